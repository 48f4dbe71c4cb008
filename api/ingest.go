package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/coalesce"
	"github.com/intakehq/intake/workflows"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Bounds of ingest bodies. A call's body is kept whole if inboxed; bodies
// larger than a workflow input should carry travel by reference.
const (
	maxMetricBody     = 256 << 10
	maxCallBody       = 1 << 20
	maxDataBody       = MaxBody
	maxMetadata       = 64 << 10
	maxItems          = 100
	maxIdempotencyKey = 255
)

// parseMetric validates one metric update, a body or a batch item; field
// names errors with prefix (e.g. "metrics[3].").
func (s *Server) parseMetric(o object, raw []byte, prefix string) (intake.MetricInput, error) {
	var in intake.MetricInput
	var err error
	if in.Metric, err = o.requiredStr("metric", 200); err != nil {
		return in, prefixed(err, prefix)
	}
	v, ok, err := o.number("value")
	if err != nil {
		return in, prefixed(err, prefix)
	}
	if !ok {
		return in, intake.Invalid(prefix+"value", "%svalue is required", prefix)
	}
	in.Value = v
	if in.Source, err = o.str("source", 200); err != nil {
		return in, prefixed(err, prefix)
	}
	if in.Source == "" {
		in.Source = "api"
	}
	if in.Op, err = o.str("op", 8); err != nil {
		return in, prefixed(err, prefix)
	}
	if in.Op != "" && in.Op != intake.OpSet && in.Op != intake.OpAdd {
		return in, intake.Invalid(prefix+"op", "%sop must be %q or %q", prefix, intake.OpSet, intake.OpAdd)
	}
	if in.Timestamp, err = s.timestamp(o, "timestamp"); err != nil {
		return in, prefixed(err, prefix)
	}
	if raw, ok := o["metadata"]; ok && !isNull(raw) {
		if raw[0] != '{' {
			return in, intake.Invalid(prefix+"metadata", "%smetadata must be a JSON object", prefix)
		}
		if len(raw) > maxMetadata {
			return in, intake.Invalid(prefix+"metadata", "%smetadata is larger than %d KB", prefix, maxMetadata>>10)
		}
		in.Metadata = bytes.Clone(raw)
	}
	in.Raw = string(bytes.TrimSpace(raw))
	return in, nil
}

// prefixed puts prefix before the field an invalid_payload error names.
func prefixed(err error, prefix string) error {
	var e *intake.Error
	if prefix == "" || !errors.As(err, &e) || e.Field == "" {
		return err
	}
	return &intake.Error{Code: e.Code, Field: prefix + e.Field, Message: prefix + e.Message}
}

// callBody decodes an ingest call's body, a JSON object of at most max bytes.
func callBody(c *fiber.Ctx, max int) (object, error) {
	if err := bodyWithin(c, max); err != nil {
		return nil, err
	}
	return decodeObject(c.Body())
}

// timestamp reads an optional timestamp field in any accepted form, at
// most MaxClockSkew ahead; now when absent.
func (s *Server) timestamp(o object, field string) (time.Time, error) {
	raw, ok := o[field]
	if !ok || isNull(raw) {
		return s.now().UTC(), nil
	}
	t, err := intake.ParseTimestamp(raw, s.now())
	if err != nil {
		return t, intake.Invalid(field, "%s %v", field, err)
	}
	return t, nil
}

func (s *Server) ingestMetric(c *fiber.Ctx) error {
	o, err := callBody(c, maxMetricBody)
	if err != nil {
		return err
	}
	in, err := s.parseMetric(o, c.Body(), "")
	if err != nil {
		return err
	}
	base, err := s.newCall(c, in.Source, "")
	if err != nil {
		return err
	}
	call, err := activities.Metric.Call(base, in)
	if err != nil {
		return err
	}
	return s.process(c, call, nil)
}

// ingestID returns a call's ingest ID: derived from the Idempotency-Key
// header when there is one, so a retried request finds the first call.
func ingestID(c *fiber.Ctx, projectID string) (string, error) {
	key := c.Get("Idempotency-Key")
	if key == "" {
		return intake.NewID("ing"), nil
	}
	if len(key) > maxIdempotencyKey {
		return "", intake.Invalid("Idempotency-Key", "Idempotency-Key is longer than %d characters", maxIdempotencyKey)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return "", intake.Invalid("Idempotency-Key", "Idempotency-Key must be printable ASCII")
		}
	}
	return intake.IngestIDFromKey(projectID, key), nil
}

// newCall names a call of the caller's project from source.
func (s *Server) newCall(c *fiber.Ctx, source, eventType string) (intake.Call, error) {
	p := principal(c)
	id, err := ingestID(c, p.ProjectID)
	if err != nil {
		return intake.Call{}, err
	}
	call := intake.Call{IngestID: id, ProjectID: p.ProjectID, Source: source, EventType: eventType, ReceivedAt: s.now().UTC()}
	if c.Get("Idempotency-Key") != "" {
		call.Fingerprint = intake.Fingerprint(c.Method()+" "+c.Path(), c.Body())
	}
	return call, nil
}

// maxInlineInput is the largest call input that travels in its workflow's
// input; larger ones are stored first and travel by reference, so a
// workflow's payload stays far below Temporal's limits however large the
// bodies (up to 5 MB) of the calls it carries.
const maxInlineInput = 128 << 10

// submit starts calls, each durably in a workflow when it returns without
// error. Nothing of a call whose start failed is accepted: its stored
// input, if any, is removed, and the caller is told 503.
func (s *Server) submit(c *fiber.Ctx, calls ...intake.Call) ([]coalesce.Ticket, error) {
	ctx := c.UserContext()
	for i := range calls {
		if len(calls[i].Input) <= maxInlineInput {
			continue
		}
		ref, err := s.store.PutBody(ctx, calls[i].ProjectID, calls[i].Input)
		if err != nil {
			return nil, err
		}
		calls[i].Input, calls[i].BodyRef = nil, ref
	}
	waitCtx, cancel := context.WithTimeout(ctx, s.opts.StartTimeout)
	defer cancel()
	tickets, err := s.starter.Submit(waitCtx, calls...)
	if err != nil {
		for i, c := range calls {
			if c.BodyRef != "" && !tickets[i].Started() {
				_ = s.store.DeleteBody(context.WithoutCancel(ctx), c.BodyRef)
			}
		}
		return nil, temporalError(err)
	}
	return tickets, nil
}

// process starts one call and waits up to the sync wait for its outcome:
// then it answers 200 with the kind's answer (passed through edit when
// given), or the call's own error, else 202 with the ingest ID.
func (s *Server) process(c *fiber.Ctx, call intake.Call, edit func(map[string]any, intake.Outcome) error) error {
	tickets, err := s.submit(c, call)
	if err != nil {
		return err
	}
	waitCtx, cancel := context.WithTimeout(c.UserContext(), s.opts.SyncWait)
	defer cancel()
	o, err := tickets[0].Outcome(waitCtx)
	if err != nil {
		// A started call is durable: whatever kept its outcome (the wait
		// ran out, the workflow is still retrying) it is answered 202,
		// never a 5xx that a caller would retry into a second call.
		// Location is where its outcome will be.
		c.Location("/api/ingest/" + call.IngestID)
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"ok": true, "accepted": true, "ingest_id": call.IngestID})
	}
	if o.Stored {
		// Too large to come back through Temporal: its row holds it.
		row, err := s.store.GetCall(c.UserContext(), call.ProjectID, call.IngestID)
		if err != nil {
			return err
		}
		replayed := o.Replayed
		o = row.Outcome()
		o.Replayed = replayed
	}
	if o.Reused(call) {
		return intake.Errorf(intake.ErrKeyReused, "Idempotency-Key %q was used for another call (another route or body); use a new key for a new call", c.Get("Idempotency-Key"))
	}
	if o.Replayed {
		c.Set("Idempotent-Replayed", "true")
	}
	if o.Error != nil {
		return o.Error
	}
	k, _ := activities.KindOf(call.Kind)
	answer, err := k.Answer(call.IngestID, o.Result)
	if err == nil && edit != nil {
		err = edit(answer, o)
	}
	if err != nil {
		return err
	}
	return c.JSON(answer)
}

// runWorkflow starts an admin workflow of its own (an inbox replay) under
// id, or finds the one already started, and waits up to the sync wait for
// its result in out: then it answers 200 with answer(), else 202.
func (s *Server) runWorkflow(c *fiber.Ctx, id string, attrs workflows.Attrs, wf, input, out any, answer func() any) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), s.opts.StartTimeout)
	defer cancel()
	wr, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    attrs.SearchAttributes(),
		EnableEagerStart:         s.opts.EagerStart,
	}, wf, input)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		wr, err = s.temporal.GetWorkflow(ctx, id, ""), nil
	}
	if err != nil {
		return temporalError(err)
	}
	waitCtx, cancelWait := context.WithTimeout(c.UserContext(), s.opts.SyncWait)
	defer cancelWait()
	if err := wr.Get(waitCtx, out); err != nil {
		var failed *temporal.WorkflowExecutionError
		if !errors.As(err, &failed) {
			return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"ok": true, "accepted": true, "workflow_id": id})
		}
		return err
	}
	return c.JSON(answer())
}

// ingestStatus answers GET /api/ingest/{id}: from the call row once the
// call is done or failed, else from the workflow carrying it.
func (s *Server) ingestStatus(c *fiber.Ctx) error {
	p := principal(c)
	id := c.Params("id")
	if !intake.ValidIngestID(id) {
		return intake.Errorf(intake.ErrNotFound, "no call with ingest id %q", id)
	}
	id = strings.Clone(id)
	answer := fiber.Map{"ingest_id": id}
	call, err := s.store.GetCall(c.UserContext(), p.ProjectID, id)
	if err == nil && p.ConnectorID != "" && call.ConnectorID != p.ConnectorID {
		return intake.Errorf(intake.ErrNotFound, "no call with ingest id %q", id)
	}
	if err == nil {
		answer["workflow_id"], answer["status"], answer["kind"] = call.WorkflowID, call.Status, call.Kind
		answer["received_at"], answer["completed_at"], answer["attempts"] = call.ReceivedAt, call.CompletedAt, call.Attempts
		if call.Error != "" {
			answer["error"] = call.Error
		}
		if call.Status == intake.StatusProcessing {
			s.ended(c.UserContext(), call.WorkflowID, answer)
		}
		if call.Status == intake.StatusDone {
			if k, ok := activities.KindOf(call.Kind); ok {
				if r, err := k.Answer(id, json.RawMessage(call.Result)); err == nil {
					answer["result"] = r
				}
			}
		}
		return c.JSON(answer)
	}
	if intake.ErrorCode(err) != intake.ErrNotFound {
		return err
	}
	info, err := s.carrier(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	answer["workflow_id"] = info.GetExecution().GetWorkflowId()
	answer["received_at"] = info.GetStartTime().AsTime()
	answer["status"] = intake.StatusProcessing
	workflowEnded(info, answer)
	return c.JSON(answer)
}

// ended marks a processing call failed when the workflow carrying it
// ended without applying it (terminated by an operator, say). Temporal
// not answering leaves the call processing, as its row says.
func (s *Server) ended(ctx context.Context, workflowID string, answer fiber.Map) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.StartTimeout)
	defer cancel()
	if desc, err := s.temporal.DescribeWorkflowExecution(ctx, workflowID, ""); err == nil {
		workflowEnded(desc.GetWorkflowExecutionInfo(), answer)
	}
}

// workflowEnded marks the call failed when its workflow closed otherwise
// than completed: a completed workflow has recorded the call, or is about
// to.
func workflowEnded(info *workflowpb.WorkflowExecutionInfo, answer fiber.Map) {
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
	default:
		answer["status"] = intake.StatusFailed
		answer["error"] = "workflow " + info.GetStatus().String()
	}
}

// carrier finds the workflow carrying a call not yet applied: the call's
// own workflow when it came alone, else the one whose IntakeIngestIDs
// holds it (Temporal's visibility, which may lag a start by a moment).
func (s *Server) carrier(ctx context.Context, p intake.Principal, id string) (*workflowpb.WorkflowExecutionInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.StartTimeout)
	defer cancel()
	connectors := []string{intake.APIConnector}
	if p.ConnectorID != "" {
		connectors = []string{p.ConnectorID} // a connector's key sees its connector's calls only
	}
	var missing *serviceerror.NotFound
	for _, conn := range connectors {
		desc, err := s.temporal.DescribeWorkflowExecution(ctx, intake.WorkflowID(p.ProjectID, conn, id), "")
		if err == nil {
			return desc.GetWorkflowExecutionInfo(), nil
		}
		if !errors.As(err, &missing) {
			return nil, temporalError(err)
		}
	}
	query := fmt.Sprintf("%s = '%s' AND %s = '%s'", workflows.AttrProject.GetName(), p.ProjectID, workflows.AttrIngestIDs.GetName(), id)
	if p.ConnectorID != "" {
		query += fmt.Sprintf(" AND %s = '%s'", workflows.AttrConnector.GetName(), p.ConnectorID)
	}
	list, err := s.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: 1})
	if err != nil {
		return nil, temporalError(err)
	}
	if len(list.GetExecutions()) == 0 {
		return nil, intake.Errorf(intake.ErrNotFound, "no call with ingest id %q", id)
	}
	return list.GetExecutions()[0], nil
}

// now is the server's clock, a field so tests can pin it.
func (s *Server) now() time.Time { return s.clock() }
