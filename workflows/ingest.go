package workflows

import (
	"context"
	"encoding/json"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// IngestInput is the input of Ingest: the calls it carries, one when the
// call came alone, several when calls of one project, connector, kind,
// source and event type arrived while an earlier workflow of theirs ran.
type IngestInput = activities.ApplyCallsInput

// IngestName is Ingest's workflow type, as histories name it.
const IngestName = "Ingest"

// IngestArg is the input of an Ingest start whose calls were each encoded
// already (as JSON, by EncodeCall): the IngestInput they make, assembled
// without encoding them again. Calls are encoded by their callers, in
// parallel, so that a lane's start does no more than join them.
func IngestArg(calls [][]byte) converter.RawValue {
	n := len(`{"calls":[]}`) + len(calls)
	for _, c := range calls {
		n += len(c)
	}
	b := make([]byte, 0, n)
	b = append(b, `{"calls":[`...)
	for i, c := range calls {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, c...)
	}
	b = append(b, "]}"...)
	return converter.NewRawValue(&commonpb.Payload{
		Metadata: map[string][]byte{converter.MetadataEncoding: []byte(converter.MetadataEncodingJSON)},
		Data:     b,
	})
}

// EncodeCall is a call as IngestArg takes it.
func EncodeCall(c intake.Call) ([]byte, error) { return json.Marshal(c) }

// IngestResult is each call's outcome, in input order.
type IngestResult = activities.ApplyCallsResult

// Ingest applies the calls it carries. Its single step is a local
// activity, so a workflow is one workflow task and six history events
// however many calls it carries, and the marker in the history shows each
// call's outcome. A call that fails for good fails alone, in its outcome;
// the workflow fails only if it cannot run at all.
//
// Its result is an IngestResult: the step's, passed through as the
// payload the step recorded rather than decoded and encoded again (a
// workflow of batches carries a thousand results and more). Replay
// compares no result, so histories recorded either way replay.
func Ingest(ctx workflow.Context, in IngestInput) (converter.RawValue, error) {
	var a *activities.Activities
	var out converter.RawValue
	err := localInto(ctx, a.ApplyCalls, in, &out)
	return out, err
}

// applyRetry retries transient failures (a database that is down, a lock
// timeout) with backoff and without limit: an accepted call is never dropped.
// Invalid input fails at once, as a non-retryable error from the activity.
var applyRetry = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    time.Minute,
}

// local runs one step of a call as a local activity, with the options of
// every step that writes: it shows in the history as a marker with its
// result, and retries until it succeeds or fails for good.
func local[I, O any](ctx workflow.Context, step func(context.Context, I) (O, error), in I) (O, error) {
	var out O
	err := localInto(ctx, step, in, &out)
	return out, err
}

// localInto is local with the step's result decoded into out, which may
// be a *converter.RawValue to keep it as recorded.
func localInto(ctx workflow.Context, step, in, out any) error {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         applyRetry,
	})
	return workflow.ExecuteLocalActivity(ctx, step, in).Get(ctx, out)
}
