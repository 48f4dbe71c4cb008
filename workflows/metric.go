package workflows

import (
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
	var out activities.ApplyMetricResult
	err := workflow.ExecuteLocalActivity(applyOptions(ctx), a.ApplyMetric, activities.ApplyMetricInput(in)).Get(ctx, &out)
	return IngestMetricResult{Result: out.Result}, err
}

// applyOptions are the options of every local activity that writes a call.
func applyOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         applyRetry,
	})
}
