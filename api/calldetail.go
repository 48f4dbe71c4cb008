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
		s.opts.Logger.Warn("reading a call's workflow history", "workflow_id", call.WorkflowID, "err", err)
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
			s.opts.Logger.Warn("opening a call's workflow input", "workflow_id", call.WorkflowID, "err", err)
			return nil, "the input is encrypted with a key this server does not have"
		}
		pl = opened[0]
	}
	// Ingest carries calls; a replay (ReplayItem, ReplayInbox) its call;
	// a workflow of the first release is its call's own, whatever its shape.
	var raw json.RawMessage
	if converter.GetDefaultDataConverter().FromPayload(pl, &raw) != nil {
		return nil, "the workflow's input is not JSON"
	}
	var in struct {
		Calls []intake.Call `json:"calls"`
		Call  *intake.Call  `json:"Call"`
	}
	_ = json.Unmarshal(raw, &in) // a first-release input need not have these shapes
	if in.Call != nil {
		in.Calls = append(in.Calls, *in.Call)
	}
	for _, carried := range in.Calls {
		switch {
		case carried.IngestID != call.IngestID:
		case carried.BodyRef != "":
			return nil, "the input was too large for Temporal; it was stored by reference and removed once applied"
		case len(carried.Input) > 0:
			return carried.Input, ""
		}
	}
	if start.GetWorkflowType().GetName() != workflows.IngestName {
		return raw, ""
	}
	return nil, "the workflow does not carry this call"
}
