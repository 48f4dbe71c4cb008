package api

import (
	"context"
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/encryption"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/workflowservice/v1"
)

// maxStatusWorkflows bounds how many open workflows one status scans
// (?limit= lowers it).
const maxStatusWorkflows = 10_000

type encryptionStatusJSON struct {
	Enabled bool     `json:"enabled"`
	Current string   `json:"current_key,omitempty"`
	Keys    []string `json:"keys"`
	// OpenWorkflows counts, by key id, the open workflows holding a
	// payload sealed with it ("plaintext": one not sealed). A key no open
	// workflow, secret or body uses can be removed.
	OpenWorkflows    map[string]int `json:"open_workflows"`
	Scanned          int            `json:"open_workflows_scanned"`
	Truncated        bool           `json:"truncated"`
	ConnectorSecrets map[string]int `json:"connector_secrets"`
	StoredBodies     map[string]int `json:"stored_bodies"`
}

// encryptionStatus reports which keys are still in use, so that an
// operator knows when an old key may leave INTAKE_ENCRYPTION_KEYS.
func (s *Server) encryptionStatus(c *fiber.Ctx) error {
	limit := maxStatusWorkflows
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxStatusWorkflows {
			return intake.Invalid("limit", "limit must be a whole number from 1 to %d", maxStatusWorkflows)
		}
		limit = n
	}
	out := encryptionStatusJSON{Enabled: s.opts.Keys != nil, Keys: []string{}, OpenWorkflows: map[string]int{}}
	if s.opts.Keys != nil {
		out.Current, out.Keys = s.opts.Keys.Current(), s.opts.Keys.IDs()
	}
	ctx := c.UserContext()
	var err error
	if out.ConnectorSecrets, out.StoredBodies, err = s.store.KeyUse(ctx); err != nil {
		return err
	}
	var page []byte
	for out.Scanned < limit {
		list, err := s.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: "ExecutionStatus = 'Running'", NextPageToken: page, PageSize: int32(min(1000, limit-out.Scanned))})
		if err != nil {
			return unavailable(err)
		}
		for _, ex := range list.GetExecutions() {
			ids, err := s.historyKeys(ctx, ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId())
			if err != nil {
				return unavailable(err)
			}
			for id := range ids {
				out.OpenWorkflows[id]++
			}
			out.Scanned++
		}
		if page = list.GetNextPageToken(); len(page) == 0 {
			break
		}
	}
	out.Truncated = len(page) > 0
	return c.JSON(out)
}

// historyKeys are the key ids of every payload in a workflow's history.
func (s *Server) historyKeys(ctx context.Context, workflowID, runID string) (map[string]bool, error) {
	ids := map[string]bool{}
	it := s.temporal.GetWorkflowHistory(ctx, workflowID, runID, false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, err
		}
		err = proxy.VisitPayloads(ctx, ev, proxy.VisitPayloadsOptions{SkipSearchAttributes: true,
			Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
				for _, p := range ps {
					if id := encryption.KeyID(p); id != "" {
						ids[id] = true
					} else {
						ids["plaintext"] = true
					}
				}
				return ps, nil
			}})
		if err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// unavailable is temporalError for a read: 503 when Temporal cannot be
// reached.
func unavailable(err error) error {
	var e *intake.Error
	if errors.As(temporalError(err), &e) && e.Code == intake.ErrUnavailable {
		return &intake.Error{Code: intake.ErrUnavailable, Message: "Temporal is unreachable; retry later"}
	}
	return err
}
