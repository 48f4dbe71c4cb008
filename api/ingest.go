package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/workflows"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Bounds of ingest bodies. A call's body travels in its workflow input (to be
// kept whole if inboxed), so it is held well under Temporal's payload limit.
const (
	maxMetricBody     = 256 << 10
	maxCallBody       = 1 << 20
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

// bodyWithin refuses a body over max before it is decoded.
func bodyWithin(c *fiber.Ctx, max int) error {
	if len(c.Body()) > max {
		return intake.Errorf(intake.ErrPayloadTooLarge, "this endpoint takes bodies of at most %d KB", max>>10)
	}
	return nil
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
	call, err := s.newCall(c, intake.KindMetric)
	if err != nil {
		return err
	}
	var out workflows.IngestMetricResult
	attrs := workflows.Attrs{Source: in.Source}
	return s.run(c, call, attrs, workflows.IngestMetric, workflows.IngestMetricInput{Call: call, Metric: in}, &out,
		func() any { return metricAnswer(call.IngestID, out.Result) })
}

// metricAnswer is the contract's answer for one metric update.
func metricAnswer(ingestID string, r intake.MetricResult) fiber.Map {
	out := metricOutcome(r)
	out["ok"], out["ingest_id"] = true, ingestID
	return out
}

// metricOutcome is one update's outcome, for single and batch answers.
func metricOutcome(r intake.MetricResult) fiber.Map {
	if r.Outcome == intake.OutcomeInboxed {
		return fiber.Map{"inboxed": true, "message": r.Message, "inbox_id": r.InboxID}
	}
	out := fiber.Map{"metric_id": r.MetricID, "new_value": intake.FormatValue(r.NewValue, r.Unit), "current": r.Current}
	if r.PreviousValue != nil {
		out["previous_value"] = intake.FormatValue(*r.PreviousValue, r.Unit)
	}
	if r.Message != "" {
		out["message"] = r.Message
	}
	return out
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
	return workflows.IngestIDFromKey(projectID, key), nil
}

// newCall names a call of the caller's project.
func (s *Server) newCall(c *fiber.Ctx, kind string) (activities.Call, error) {
	p := principal(c)
	id, err := ingestID(c, p.ProjectID)
	if err != nil {
		return activities.Call{}, err
	}
	return activities.Call{
		IngestID: id, ProjectID: p.ProjectID, Kind: kind, ReceivedAt: s.now().UTC(),
		WorkflowID: workflows.WorkflowID(p.ProjectID, workflows.APIConnector, id),
	}, nil
}

// run starts a call's workflow and waits up to the sync wait for its result
// in out: then it answers 200 with answer(), else 202 with the ingest ID.
func (s *Server) run(c *fiber.Ctx, call activities.Call, attrs workflows.Attrs, wf, input, out any, answer func() any) error {
	attrs.Project, attrs.Kind = call.ProjectID, call.Kind
	wr, err := s.start(c.UserContext(), call.WorkflowID, attrs, wf, input)
	if err != nil {
		return err
	}
	waitCtx, cancel := context.WithTimeout(c.UserContext(), s.opts.SyncWait)
	defer cancel()
	if err := wr.Get(waitCtx, out); err != nil {
		// Only a finished workflow's failure is the call's answer. Anything
		// else (the wait ran out, often as an RPC deadline just before
		// waitCtx's own) leaves a started, durable call: 202, never a 5xx
		// that a caller would retry into a second call.
		var failed *temporal.WorkflowExecutionError
		if !errors.As(err, &failed) {
			return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"ok": true, "accepted": true, "ingest_id": call.IngestID})
		}
		return err
	}
	return c.JSON(answer())
}

// start starts the workflow of a call, or finds the one already started for
// the same ID: Temporal's ID policies are what make a repeated call one call.
func (s *Server) start(ctx context.Context, id string, attrs workflows.Attrs, wf any, input any) (client.WorkflowRun, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.StartTimeout)
	defer cancel()
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    attrs.SearchAttributes(),
		EnableEagerStart:         s.opts.EagerStart,
	}, wf, input)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return s.temporal.GetWorkflow(ctx, id, ""), nil
	}
	if err != nil {
		return nil, temporalError(err)
	}
	return run, nil
}

// ingestStatus answers GET /api/ingest/{id}: from the call row once the
// workflow has written it, else from Temporal.
func (s *Server) ingestStatus(c *fiber.Ctx) error {
	p := principal(c)
	id := c.Params("id")
	if !workflows.ValidIngestID(id) {
		return intake.Errorf(intake.ErrNotFound, "no call with ingest id %q", id)
	}
	wfID := workflows.WorkflowID(p.ProjectID, workflows.APIConnector, id)
	answer := fiber.Map{"ingest_id": id, "workflow_id": wfID}
	call, err := s.store.GetCall(c.UserContext(), p.ProjectID, id)
	if err == nil {
		answer["workflow_id"], answer["status"], answer["kind"] = call.WorkflowID, call.Status, call.Kind
		answer["received_at"], answer["completed_at"] = call.ReceivedAt, call.CompletedAt
		if call.Error != "" {
			answer["error"] = call.Error
		}
		if call.Status == intake.StatusDone {
			if r, err := renderResult(id, call.Kind, call.Result); err == nil {
				answer["result"] = r
			}
		}
		return c.JSON(answer)
	}
	if intake.ErrorCode(err) != intake.ErrNotFound {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), s.opts.StartTimeout)
	defer cancel()
	desc, err := s.temporal.DescribeWorkflowExecution(ctx, wfID, "")
	var missing *serviceerror.NotFound
	if errors.As(err, &missing) && p.ConnectorID != "" {
		// A connector's key also makes calls whose workflow ID names the
		// connector (SalesDash).
		wfID = workflows.WorkflowID(p.ProjectID, p.ConnectorID, id)
		answer["workflow_id"] = wfID
		desc, err = s.temporal.DescribeWorkflowExecution(ctx, wfID, "")
	}
	if errors.As(err, &missing) {
		return intake.Errorf(intake.ErrNotFound, "no call with ingest id %q", id)
	}
	if err != nil {
		return temporalError(err)
	}
	info := desc.GetWorkflowExecutionInfo()
	answer["received_at"] = info.GetStartTime().AsTime()
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		answer["status"] = intake.StatusProcessing
	default:
		answer["status"] = intake.StatusFailed
		answer["error"] = "workflow " + info.GetStatus().String()
	}
	return c.JSON(answer)
}

// renderResult turns a call's stored result into the answer its endpoint
// gave, so GET /api/ingest/{id} shows what a synchronous caller saw.
func renderResult(ingestID, kind, stored string) (any, error) {
	switch kind {
	case intake.KindMetric:
		var r intake.MetricResult
		err := json.Unmarshal([]byte(stored), &r)
		return metricAnswer(ingestID, r), err
	case intake.KindBatch, intake.KindCustom:
		var rs []intake.MetricResult
		err := json.Unmarshal([]byte(stored), &rs)
		out := make([]fiber.Map, len(rs))
		for i, r := range rs {
			out[i] = metricOutcome(r)
		}
		return fiber.Map{"ok": true, "ingest_id": ingestID, "results": out}, err
	case intake.KindData:
		var r intake.DataResult
		err := json.Unmarshal([]byte(stored), &r)
		return dataAnswer(ingestID, r), err
	case intake.KindTasks:
		var r intake.TasksResult
		err := json.Unmarshal([]byte(stored), &r)
		return tasksAnswer(ingestID, r), err
	case intake.KindActivity, intake.KindSale:
		var r intake.UpsertResult
		err := json.Unmarshal([]byte(stored), &r)
		return upsertAnswer(ingestID, r), err
	}
	return nil, errors.New("unknown kind " + kind)
}

// now is the server's clock, a field so tests can pin it.
func (s *Server) now() time.Time { return s.clock() }
