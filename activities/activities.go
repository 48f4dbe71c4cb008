// Package activities holds every Temporal activity of intake: all I/O a
// workflow does happens here, in methods of structs that carry their
// dependencies.
package activities

import (
	"context"
	"errors"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
	"go.temporal.io/sdk/temporal"
)

// MetricStore is what the metric activities need of the store.
type MetricStore interface {
	ApplyMetric(ctx context.Context, c store.CallRecord, in intake.MetricInput) (intake.MetricResult, error)
}

// Activities are intake's activities, registered once by the worker.
type Activities struct {
	Store MetricStore
}

// Call identifies one accepted call in every activity input.
type Call struct {
	IngestID    string
	ProjectID   string
	ConnectorID string
	Kind        string
	WorkflowID  string
	ReceivedAt  time.Time
}

func (c Call) record() store.CallRecord {
	return store.CallRecord(c)
}

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
	res, err := a.Store.ApplyMetric(ctx, in.Call.record(), in.Metric)
	if err != nil {
		return ApplyMetricResult{}, classify(err)
	}
	return ApplyMetricResult{Result: res}, nil
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
