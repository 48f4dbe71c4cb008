package workflows

import (
	"context"
	"time"

	"github.com/intakehq/intake/activities"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// IngestInput is the input of Ingest: the calls it carries, one when the
// call came alone, several when calls of one project, connector, kind,
// source and event type arrived while an earlier workflow of theirs ran.
type IngestInput = activities.ApplyCallsInput

// IngestName is Ingest's workflow type, as histories name it.
const IngestName = "Ingest"

// IngestResult is each call's outcome, in input order.
type IngestResult = activities.ApplyCallsResult

// Ingest applies the calls it carries. Its single step is a local
// activity, so a workflow is one workflow task and six history events
// however many calls it carries, and the marker in the history shows each
// call's outcome. A call that fails for good fails alone, in its outcome;
// the workflow fails only if it cannot run at all.
func Ingest(ctx workflow.Context, in IngestInput) (IngestResult, error) {
	var a *activities.Activities
	return local(ctx, a.ApplyCalls, in)
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
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         applyRetry,
	})
	var out O
	err := workflow.ExecuteLocalActivity(ctx, step, in).Get(ctx, &out)
	return out, err
}
