package workflows

import (
	"context"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// IngestMetricInput is the input of IngestMetric: who called, and the
// validated update.
type IngestMetricInput struct {
	Call   activities.Call
	Metric intake.MetricInput
}

// IngestMetricResult is what the call did, as the API reports it.
type IngestMetricResult struct {
	Result intake.MetricResult
}

// applyRetry retries transient failures (a database that is down, a lock
// timeout) with backoff and without limit: an accepted call is never dropped.
// Invalid input fails at once, as a non-retryable error from the activity.
var applyRetry = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    time.Minute,
}

// IngestMetric applies one metric update. Its single step is a local activity,
// so the whole call is one workflow task and six history events, and the
// marker in the history shows the activity's input and result.
func IngestMetric(ctx workflow.Context, in IngestMetricInput) (IngestMetricResult, error) {
	var a *activities.Activities
	out, err := local(ctx, a.ApplyMetric, activities.ApplyMetricInput(in))
	return IngestMetricResult{Result: out.Result}, err
}

// local runs one step of a call as a local activity, with the options of
// every step that writes: it shows in the history as a marker with its
// input and result, and retries until it succeeds or fails for good.
func local[I, O any](ctx workflow.Context, step func(context.Context, I) (O, error), in I) (O, error) {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         applyRetry,
	})
	var out O
	err := workflow.ExecuteLocalActivity(ctx, step, in).Get(ctx, &out)
	return out, err
}
