package workflows

import (
	"github.com/intakehq/intake/activities"
	"go.temporal.io/sdk/workflow"
)

// IngestBatchInput is the input of IngestBatch: validated updates only;
// invalid items were answered at the edge.
type IngestBatchInput = activities.ApplyMetricsInput

// IngestBatchResult is what each update did, in input order.
type IngestBatchResult = activities.ApplyMetricsResult

// IngestBatch applies up to 100 metric updates as one call: one workflow,
// one local activity, one database transaction.
func IngestBatch(ctx workflow.Context, in IngestBatchInput) (IngestBatchResult, error) {
	var a *activities.Activities
	return local(ctx, a.ApplyMetrics, in)
}

// IngestDataInput is the input of IngestData.
type IngestDataInput = activities.ApplyDataInput

// IngestDataResult is the result of IngestData.
type IngestDataResult = activities.ApplyDataResult

// IngestData maps an arbitrary object through its source's field mappings
// and applies the result; the local activity's marker shows the mapping.
func IngestData(ctx workflow.Context, in IngestDataInput) (IngestDataResult, error) {
	var a *activities.Activities
	return local(ctx, a.ApplyData, in)
}

// IngestTasksInput is the input of IngestTasks.
type IngestTasksInput = activities.UpsertTasksInput

// IngestTasksResult is the result of IngestTasks.
type IngestTasksResult = activities.UpsertTasksResult

// IngestTasks upserts a call's tasks in one transaction.
func IngestTasks(ctx workflow.Context, in IngestTasksInput) (IngestTasksResult, error) {
	var a *activities.Activities
	return local(ctx, a.UpsertTasks, in)
}

// IngestEventInput is the input of IngestEvent.
type IngestEventInput = activities.ApplyEventInput

// IngestEventResult is the result of IngestEvent.
type IngestEventResult = activities.ApplyEventResult

// IngestEvent applies one provider event. Its workflow ID carries the
// provider's event id, so a redelivery, even days later, is the same call.
func IngestEvent(ctx workflow.Context, in IngestEventInput) (IngestEventResult, error) {
	var a *activities.Activities
	return local(ctx, a.ApplyEvent, in)
}
