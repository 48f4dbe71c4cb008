package api

import (
	"context"
	"sync"

	"github.com/intakehq/intake"
)

// maxAcceptedWrites bounds the records of accepted calls written at once.
const maxAcceptedWrites = 64

// accepted tracks the records of accepted calls being written.
type accepted struct {
	slots chan struct{}
	wg    sync.WaitGroup
}

// recordAccepted records the calls of a started workflow as processing,
// so that /api/admin/calls lists them before they are done. It runs after
// their callers were answered, adding nothing to their wait. When the
// database is slow and maxAcceptedWrites are already under way the record
// is skipped: the calls are durable in Temporal all the same, and listed
// once their workflow records them.
func (s *Server) recordAccepted(workflowID string, calls []intake.Call) {
	select {
	case s.accepted.slots <- struct{}{}:
	default:
		s.opts.Logger.Debug("accepted calls not recorded: too many records under way", "workflow_id", workflowID)
		return
	}
	s.accepted.wg.Add(1)
	defer func() {
		<-s.accepted.slots
		s.accepted.wg.Done()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.StartTimeout)
	defer cancel()
	if err := s.store.AcceptCalls(ctx, workflowID, calls); err != nil {
		s.opts.Logger.Warn("recording accepted calls", "workflow_id", workflowID, "calls", len(calls), "err", err)
	}
}
