// Package faults holds the fault-injection tests: a worker stopped mid-stream,
// the database cut off, the API restarted between accept and result. Each
// runs the real API, worker, embedded Temporal server and database, and then
// counts what was applied: every accepted call exactly once.
package faults
