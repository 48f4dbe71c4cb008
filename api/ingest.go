package api

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/workflows"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// Bounds of a single-metric call. The whole body travels in the workflow
// input (to be kept whole if inboxed), so it is held well under Temporal's
// payload limit.
const (
	maxMetricBody     = 256 << 10
	maxMetadata       = 64 << 10
	maxIdempotencyKey = 255
)

func (s *Server) parseMetric(body []byte) (intake.MetricInput, error) {
	var in intake.MetricInput
	o, err := decodeObject(body)
	if err != nil {
		return in, err
	}
	if in.Metric, err = o.requiredStr("metric", 200); err != nil {
		return in, err
	}
	v, ok, err := o.number("value")
	if err != nil {
		return in, err
	}
	if !ok {
		return in, intake.Invalid("value", "value is required")
	}
	in.Value = v
	if in.Source, err = o.str("source", 200); err != nil {
		return in, err
	}
	if in.Source == "" {
		in.Source = "api"
	}
	in.Timestamp = s.now().UTC()
	if raw, ok := o["timestamp"]; ok && !isNull(raw) {
		if in.Timestamp, err = intake.ParseTimestamp(raw, s.now()); err != nil {
			return in, intake.Invalid("timestamp", "timestamp %v", err)
		}
	}
	if raw, ok := o["metadata"]; ok && !isNull(raw) {
		if raw[0] != '{' {
			return in, intake.Invalid("metadata", "metadata must be a JSON object")
		}
		if len(raw) > maxMetadata {
			return in, intake.Invalid("metadata", "metadata is larger than %d KB", maxMetadata>>10)
		}
		in.Metadata = bytes.Clone(raw)
	}
	in.Raw = string(bytes.TrimSpace(body))
	return in, nil
}

// ingestID returns the call's ingest ID: derived from the Idempotency-Key
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

func (s *Server) ingestMetric(c *fiber.Ctx) error {
	if len(c.Body()) > maxMetricBody {
		return intake.Errorf(intake.ErrPayloadTooLarge, "a single metric body may be at most %d KB", maxMetricBody>>10)
	}
	p := principal(c)
	in, err := s.parseMetric(c.Body())
	if err != nil {
		return err
	}
	id, err := ingestID(c, p.ProjectID)
	if err != nil {
		return err
	}
	call := activities.Call{
		IngestID: id, ProjectID: p.ProjectID, Kind: intake.KindMetric,
		WorkflowID: workflows.WorkflowID(p.ProjectID, workflows.APIConnector, id), ReceivedAt: s.now().UTC(),
	}
	attrs := workflows.Attrs{Project: p.ProjectID, Source: in.Source, Kind: intake.KindMetric}
	run, err := s.start(c.UserContext(), call.WorkflowID, attrs, workflows.IngestMetric,
		workflows.IngestMetricInput{Call: call, Metric: in})
	if err != nil {
		return err
	}
	var out workflows.IngestMetricResult
	waitCtx, cancel := context.WithTimeout(c.UserContext(), s.opts.SyncWait)
	defer cancel()
	if err := run.Get(waitCtx, &out); err != nil {
		if waitCtx.Err() != nil {
			return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"ok": true, "accepted": true, "ingest_id": id})
		}
		return err
	}
	return c.JSON(metricAnswer(id, out.Result))
}

// metricAnswer is the contract's answer for one metric update.
func metricAnswer(ingestID string, r intake.MetricResult) fiber.Map {
	if r.Outcome == intake.OutcomeInboxed {
		return fiber.Map{"ok": true, "inboxed": true, "message": r.Message, "inbox_id": r.InboxID, "ingest_id": ingestID}
	}
	out := fiber.Map{
		"ok": true, "metric_id": r.MetricID, "new_value": intake.FormatValue(r.NewValue, r.Unit),
		"ingest_id": ingestID, "current": r.Current,
	}
	if r.PreviousValue != nil {
		out["previous_value"] = intake.FormatValue(*r.PreviousValue, r.Unit)
	}
	if r.Message != "" {
		out["message"] = r.Message
	}
	return out
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
		answer["status"] = call.Status
		answer["received_at"] = call.ReceivedAt
		answer["completed_at"] = call.CompletedAt
		if call.Error != "" {
			answer["error"] = call.Error
		}
		if r, err := call.MetricResult(); err == nil && call.Status == intake.StatusDone {
			answer["result"] = metricAnswer(id, r)
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

// now is the server's clock, a field so tests can pin it.
func (s *Server) now() time.Time { return s.clock() }
