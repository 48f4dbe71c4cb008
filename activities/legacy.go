package activities

import (
	"context"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/mapping"
)

// The first release ran one workflow type per kind of call, each with an
// activity of its own. Those activities stay registered under their names,
// with their input and result types frozen, so that a workflow the first
// release started finishes on this worker: each applies its one call
// through the kinds table, like every call.

// ApplyMetricInput is the first release's input of ApplyMetric.
type ApplyMetricInput struct {
	Call   intake.Call
	Metric intake.MetricInput
}

// ApplyMetricResult is the first release's result of ApplyMetric.
type ApplyMetricResult struct {
	Result intake.MetricResult
}

// ApplyMetric is the first release's activity of IngestMetric.
func (a *Activities) ApplyMetric(ctx context.Context, in ApplyMetricInput) (ApplyMetricResult, error) {
	c := in.Call
	c.Source = in.Metric.Source
	r, err := applyOne(ctx, a, Metric, c, in.Metric)
	return ApplyMetricResult{Result: r}, err
}

// ApplyMetricsInput is the first release's input of ApplyMetrics.
type ApplyMetricsInput struct {
	Call    intake.Call
	Source  string
	Metrics []intake.MetricInput
}

// ApplyMetricsResult is the first release's result of ApplyMetrics.
type ApplyMetricsResult struct {
	Results []intake.MetricResult
}

// ApplyMetrics is the first release's activity of IngestBatch, which
// carried batch and custom calls.
func (a *Activities) ApplyMetrics(ctx context.Context, in ApplyMetricsInput) (ApplyMetricsResult, error) {
	c := in.Call
	c.Source = in.Source
	k := Batch
	if c.Kind == intake.KindCustom {
		k = Custom
	}
	r, err := applyOne(ctx, a, k, c, MetricsInput{Metrics: in.Metrics})
	return ApplyMetricsResult{Results: r}, err
}

// UpsertTasksInput is the first release's input of UpsertTasks.
type UpsertTasksInput struct {
	Call   intake.Call
	Source string
	Tasks  []intake.TaskInput
}

// UpsertTasksResult is the first release's result of UpsertTasks.
type UpsertTasksResult struct {
	Result intake.TasksResult
}

// UpsertTasks is the first release's activity of IngestTasks.
func (a *Activities) UpsertTasks(ctx context.Context, in UpsertTasksInput) (UpsertTasksResult, error) {
	c := in.Call
	c.Source = in.Source
	r, err := applyOne(ctx, a, Tasks, c, TasksInput{Tasks: in.Tasks})
	return UpsertTasksResult{Result: r}, err
}

// ApplyDataInput is the first release's input of ApplyData.
type ApplyDataInput struct {
	Call      intake.Call
	Source    string
	DataType  string
	Payload   string
	Timestamp time.Time
	Headers   map[string]string `json:",omitempty"`
}

// ApplyDataResult is the first release's result of ApplyData.
type ApplyDataResult struct {
	Result intake.DataResult
	Rules  []mapping.Outcome
}

// ApplyData is the first release's activity of IngestData.
func (a *Activities) ApplyData(ctx context.Context, in ApplyDataInput) (ApplyDataResult, error) {
	c := in.Call
	c.Source, c.EventType = in.Source, in.DataType
	r, err := applyOne(ctx, a, Data, c, DataInput{Payload: in.Payload, Timestamp: in.Timestamp, Headers: in.Headers})
	return ApplyDataResult{Result: r.DataResult, Rules: r.Rules}, err
}

// ApplyEventInput is the first release's input of ApplyEvent.
type ApplyEventInput struct {
	Call        intake.Call
	Provider    string
	Event       intake.Event
	Headers     map[string]string `json:",omitempty"`
	InboxItemID string            `json:",omitempty"`
}

// ApplyEventResult is the first release's result of ApplyEvent.
type ApplyEventResult struct {
	Result intake.DataResult
	Rules  []mapping.Outcome
}

// ApplyEvent is the first release's activity of IngestEvent.
func (a *Activities) ApplyEvent(ctx context.Context, in ApplyEventInput) (ApplyEventResult, error) {
	c := in.Call
	c.Source, c.EventType = in.Provider, in.Event.Type
	r, err := applyOne(ctx, a, Webhook, c, EventInput{Event: in.Event, Headers: in.Headers})
	return ApplyEventResult{Result: r.DataResult, Rules: r.Rules}, err
}

// UpsertActivityInput is the first release's input of UpsertActivity.
type UpsertActivityInput struct {
	Call     intake.Call
	Activity intake.ActivityInput
}

// UpsertSaleInput is the first release's input of UpsertSale.
type UpsertSaleInput struct {
	Call intake.Call
	Sale intake.SaleInput
}

// UpsertResult is the first release's result of UpsertActivity and
// UpsertSale.
type UpsertResult struct {
	Result intake.UpsertResult
}

// UpsertActivity is the first release's activity of IngestActivity.
func (a *Activities) UpsertActivity(ctx context.Context, in UpsertActivityInput) (UpsertResult, error) {
	c := in.Call
	c.Source, c.EventType = intake.SalesDash, in.Activity.Type
	r, err := applyOne(ctx, a, Activity, c, in.Activity)
	return UpsertResult{Result: r}, err
}

// UpsertSale is the first release's activity of IngestSale.
func (a *Activities) UpsertSale(ctx context.Context, in UpsertSaleInput) (UpsertResult, error) {
	c := in.Call
	c.Source, c.EventType = intake.SalesDash, intake.KindSale
	r, err := applyOne(ctx, a, Sale, c, in.Sale)
	return UpsertResult{Result: r}, err
}
