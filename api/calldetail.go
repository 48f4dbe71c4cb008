package api

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/encryption"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/workflows"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/converter"
)

// callJSON is one call with what it was sent and what it did. The input
// lives in the history of the workflow that carried the call (intake
// keeps no copy), so it is there for as long as Temporal retains that
// workflow; InputUnavailable says why when it is not.
type callJSON struct {
	store.Call
	Result           map[string]any  `json:"result,omitempty"`
	Input            json.RawMessage `json:"input,omitempty"`
	InputUnavailable string          `json:"input_unavailable,omitempty"`
}

// getCall is GET /api/admin/calls/{ingest id}.
func (s *Server) getCall(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), principal(c)
	call, err := s.store.GetCall(ctx, p.ProjectID, strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	out := callJSON{Call: call}
	if call.Status == intake.StatusDone {
		if k, ok := activities.KindOf(call.Kind); ok {
			out.Result, _ = k.Answer(call.IngestID, json.RawMessage(call.Result))
		}
	}
	out.Input, out.InputUnavailable = s.callInput(ctx, call)
	return c.JSON(out)
}

// callInput reads a call's input from the start of the workflow that
// carried it, decoded as the worker decodes it.
func (s *Server) callInput(ctx context.Context, call store.Call) (json.RawMessage, string) {
	if s.temporal == nil || call.WorkflowID == "" {
		return nil, "this server is not connected to Temporal"
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.StartTimeout)
	defer cancel()
	it := s.temporal.GetWorkflowHistory(ctx, call.WorkflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return nil, "the workflow's history is empty"
	}
	first, err := it.Next()
	var missing *serviceerror.NotFound
	switch {
	case errors.As(err, &missing):
		return nil, "Temporal no longer holds the workflow that carried this call (its retention period has passed)"
	case err != nil:
		if intake.ErrorCode(temporalError(err)) == intake.ErrUnavailable {
			return nil, "Temporal did not answer; try again later"
		}
		return nil, "the workflow's history could not be read"
	}
	start := first.GetWorkflowExecutionStartedEventAttributes()
	payloads := start.GetInput().GetPayloads()
	if len(payloads) == 0 {
		return nil, "the workflow has no input"
	}
	pl := payloads[0]
	if encryption.Encrypted(pl) {
		if s.opts.Keys == nil {
			return nil, "the input is encrypted and this server has no key to open it"
		}
		opened, err := encryption.Decode(s.opts.Keys, []*commonpb.Payload{pl})
		if err != nil {
			return nil, "the input is encrypted with a key this server does not have"
		}
		pl = opened[0]
	}
	if start.GetWorkflowType().GetName() != workflows.IngestName {
		// A call of the first release: its workflow's input is the call's.
		var raw json.RawMessage
		if converter.GetDefaultDataConverter().FromPayload(pl, &raw) != nil {
			return nil, "the workflow's input is not JSON"
		}
		return raw, ""
	}
	var in workflows.IngestInput
	if err := converter.GetDefaultDataConverter().FromPayload(pl, &in); err != nil {
		return nil, "the workflow's input is not a call"
	}
	for _, carried := range in.Calls {
		if carried.IngestID != call.IngestID {
			continue
		}
		if carried.BodyRef != "" {
			return nil, "the input was too large for Temporal; it was stored by reference and removed once applied"
		}
		return carried.Input, ""
	}
	return nil, "the workflow does not carry this call"
}
