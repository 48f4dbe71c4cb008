// Package activities holds every Temporal activity of intake: all I/O a
// workflow does happens here, in methods of structs that carry their
// dependencies.
package activities

import (
	"context"
	"errors"
	"sync"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/store"
	"go.temporal.io/sdk/temporal"
)

// Store is what the activities need of the store.
type Store interface {
	ApplyMetric(ctx context.Context, c store.CallRecord, in intake.MetricInput) (intake.MetricResult, error)
	ApplyMetrics(ctx context.Context, c store.CallRecord, source string, ins []intake.MetricInput) ([]intake.MetricResult, error)
	LatestRules(ctx context.Context, scope store.RuleScope) ([]intake.Rule, int, error)
	ApplyData(ctx context.Context, c store.CallRecord, d store.DataUpdate) (intake.DataResult, error)
	UpsertTasks(ctx context.Context, c store.CallRecord, source string, tasks []intake.TaskInput) (intake.TasksResult, error)
	GetInboxItem(ctx context.Context, projectID, id string) (store.InboxItem, error)
	OpenInboxItems(ctx context.Context, projectID string, sel store.InboxSelection) ([]store.InboxItem, error)
	ReplayMetricItem(ctx context.Context, c store.CallRecord, itemID string, in intake.MetricInput) (intake.MetricResult, error)
	UpsertActivity(ctx context.Context, c store.CallRecord, in intake.ActivityInput) (intake.UpsertResult, error)
	UpsertSale(ctx context.Context, c store.CallRecord, in intake.SaleInput) (intake.UpsertResult, error)
}

// Activities are intake's activities, registered once by the worker.
type Activities struct {
	Store Store
	// Rules caches compiled rule sets; one is made on first use when nil.
	Rules *mapping.Cache
	once  sync.Once
}

func (a *Activities) rules() *mapping.Cache {
	a.once.Do(func() {
		if a.Rules == nil {
			a.Rules = mapping.NewCache(1024)
		}
	})
	return a.Rules
}

// Call identifies one accepted call in every activity input: the record
// its writes are claimed under.
type Call = store.CallRecord

// ApplyMetricInput is the input of ApplyMetric.
type ApplyMetricInput struct {
	Call   Call
	Metric intake.MetricInput
}

// ApplyMetricResult is the result of ApplyMetric.
type ApplyMetricResult struct {
	Result intake.MetricResult
}

// ApplyMetric writes one metric update and its call row in one transaction.
// Running it again for the same call returns the first result and writes
// nothing, so retries and duplicate workflows are safe.
func (a *Activities) ApplyMetric(ctx context.Context, in ApplyMetricInput) (ApplyMetricResult, error) {
	res, err := a.Store.ApplyMetric(ctx, in.Call, in.Metric)
	return ApplyMetricResult{Result: res}, classify(err)
}

// ApplyMetricsInput is the input of ApplyMetrics.
type ApplyMetricsInput struct {
	Call    Call
	Source  string
	Metrics []intake.MetricInput
}

// ApplyMetricsResult is the result of ApplyMetrics, in input order.
type ApplyMetricsResult struct {
	Results []intake.MetricResult
}

// ApplyMetrics writes a batch of updates in one transaction, exactly once.
func (a *Activities) ApplyMetrics(ctx context.Context, in ApplyMetricsInput) (ApplyMetricsResult, error) {
	res, err := a.Store.ApplyMetrics(ctx, in.Call, in.Source, in.Metrics)
	return ApplyMetricsResult{Results: res}, classify(err)
}

// UpsertTasksInput is the input of UpsertTasks.
type UpsertTasksInput struct {
	Call   Call
	Source string
	Tasks  []intake.TaskInput
}

// UpsertTasksResult is the result of UpsertTasks.
type UpsertTasksResult struct {
	Result intake.TasksResult
}

// UpsertTasks writes a tasks call in one transaction, exactly once.
func (a *Activities) UpsertTasks(ctx context.Context, in UpsertTasksInput) (UpsertTasksResult, error) {
	res, err := a.Store.UpsertTasks(ctx, in.Call, in.Source, in.Tasks)
	return UpsertTasksResult{Result: res}, classify(err)
}

// classify makes invalid input a non-retryable failure, typed by its code;
// every other error is retried.
func classify(err error) error {
	var e *intake.Error
	if errors.As(err, &e) && e.Code == intake.ErrInvalidPayload {
		return temporal.NewNonRetryableApplicationError(e.Message, string(e.Code), err)
	}
	return err
}
