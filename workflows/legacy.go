package workflows

import (
	"github.com/intakehq/intake/activities"
	"go.temporal.io/sdk/workflow"
)

// The workflow types of the first release, one per kind of call. Nothing
// starts them any more; they stay registered, unchanged, so that the
// workflows the first release started finish on this release's workers
// (testdata/v1 holds a history of each, replayed by the tests).

// IngestMetricInput is the input of IngestMetric.
type IngestMetricInput = activities.ApplyMetricInput

// IngestMetricResult is the result of IngestMetric.
type IngestMetricResult = activities.ApplyMetricResult

// IngestMetric is the first release's workflow of a metric call.
func IngestMetric(ctx workflow.Context, in IngestMetricInput) (IngestMetricResult, error) {
	var a *activities.Activities
	return local(ctx, a.ApplyMetric, in)
}

// IngestBatch is the first release's workflow of a batch or custom call.
func IngestBatch(ctx workflow.Context, in activities.ApplyMetricsInput) (activities.ApplyMetricsResult, error) {
	var a *activities.Activities
	return local(ctx, a.ApplyMetrics, in)
}

// IngestData is the first release's workflow of a data call.
func IngestData(ctx workflow.Context, in activities.ApplyDataInput) (activities.ApplyDataResult, error) {
	var a *activities.Activities
	return local(ctx, a.ApplyData, in)
}

// IngestTasks is the first release's workflow of a tasks call.
func IngestTasks(ctx workflow.Context, in activities.UpsertTasksInput) (activities.UpsertTasksResult, error) {
	var a *activities.Activities
	return local(ctx, a.UpsertTasks, in)
}

// IngestEvent is the first release's workflow of a provider event.
func IngestEvent(ctx workflow.Context, in activities.ApplyEventInput) (activities.ApplyEventResult, error) {
	var a *activities.Activities
	return local(ctx, a.ApplyEvent, in)
}

// IngestActivity is the first release's workflow of a SalesDash activity.
func IngestActivity(ctx workflow.Context, in activities.UpsertActivityInput) (activities.UpsertResult, error) {
	var a *activities.Activities
	return local(ctx, a.UpsertActivity, in)
}

// IngestSale is the first release's workflow of a SalesDash sale.
func IngestSale(ctx workflow.Context, in activities.UpsertSaleInput) (activities.UpsertResult, error) {
	var a *activities.Activities
	return local(ctx, a.UpsertSale, in)
}
