// Package mapping will be the only importer of expr-lang: a typed rule
// environment, Compile (once per rule-set version, cached) and Eval, turning
// incoming payloads into metric updates. Until it lands, /api/ingest/metric
// matches metrics by id, key or name in the store.
package mapping
