package api

import (
	"context"
	"sync"
	"time"

	"github.com/intakehq/intake"
)

// Bounds of the records of accepted calls.
const (
	// acceptDelay is how long after its start a workflow's calls are
	// recorded as accepted: most calls are done by then (their rows
	// exist, and the record writes nothing), so under load the record
	// costs nearly nothing, and the calls that are slow, waiting for a
	// worker or retrying, are listed.
	acceptDelay = time.Second
	// maxAcceptedWrites bounds the records written at once.
	maxAcceptedWrites = 64
)

// accepted tracks the records of accepted calls.
type accepted struct {
	slots  chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
}

// recordAccepted records the calls of a started workflow as processing,
// acceptDelay after the start, so that /api/admin/calls lists the calls
// that are not done yet; a workflow whose outcomes came back by then needs
// no record. It adds nothing to the callers' wait. When the
// database is slow and maxAcceptedWrites are already under way, or the
// server is shutting down, the record is skipped: the calls are durable in
// Temporal all the same, and listed once their workflow records them.
func (s *Server) recordAccepted(workflowID string, calls []intake.Call, finished func() bool) {
	time.AfterFunc(acceptDelay, func() {
		if finished() {
			return // applied, and recorded so by its workflow
		}
		s.accepted.mu.Lock()
		if s.accepted.closed {
			s.accepted.mu.Unlock()
			return
		}
		select {
		case s.accepted.slots <- struct{}{}:
		default:
			s.accepted.mu.Unlock()
			s.opts.Logger.Debug("accepted calls not recorded: too many records under way", "workflow_id", workflowID)
			return
		}
		s.accepted.wg.Add(1)
		s.accepted.mu.Unlock()
		defer func() {
			<-s.accepted.slots
			s.accepted.wg.Done()
		}()
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.StartTimeout)
		defer cancel()
		if err := s.store.AcceptCalls(ctx, workflowID, calls); err != nil {
			s.opts.Logger.Warn("recording accepted calls", "workflow_id", workflowID, "calls", len(calls), "err", err)
		}
	})
}

// stopRecording lets the records under way finish and skips later ones.
func (a *accepted) stopRecording() {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	a.wg.Wait()
}
