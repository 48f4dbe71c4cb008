package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/workflows"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// flakyStore fails its first failures calls with err, then applies. Only
// ApplyMetric is implemented.
type flakyStore struct {
	activities.Store
	failures int
	err      error
	calls    int
}

func (s *flakyStore) ApplyMetric(_ context.Context, c store.CallRecord, in intake.MetricInput) (intake.MetricResult, error) {
	s.calls++
	if s.calls <= s.failures {
		return intake.MetricResult{}, s.err
	}
	return intake.MetricResult{Outcome: intake.OutcomeUpdated, MetricID: "m_1", NewValue: in.Value, Current: true}, nil
}

func input() workflows.IngestMetricInput {
	return workflows.IngestMetricInput{
		Call:   activities.Call{IngestID: "ing_1", ProjectID: "p_1", Kind: intake.KindMetric, WorkflowID: "ingest/p_1/api/ing_1"},
		Metric: intake.MetricInput{Metric: "revenue", Value: 12, Timestamp: time.Unix(1767261600, 0)},
	}
}

func run(t *testing.T, st activities.Store) (workflows.IngestMetricResult, error) {
	t.Helper()
	return execute[workflows.IngestMetricResult](t, st, workflows.IngestMetric, input())
}

// execute runs one workflow to its end in the test environment, with the
// activities on st, and returns its result or error.
func execute[R any](t *testing.T, st activities.Store, wf, in any) (R, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Activities{Store: st})
	env.ExecuteWorkflow(wf, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var out R
	err := env.GetWorkflowError()
	if err == nil {
		err = env.GetWorkflowResult(&out)
	}
	return out, err
}

func TestIngestMetricApplies(t *testing.T) {
	st := &flakyStore{}
	out, err := run(t, st)
	if err != nil {
		t.Fatal(err)
	}
	if out.Result.Outcome != intake.OutcomeUpdated || out.Result.NewValue != 12 || st.calls != 1 {
		t.Fatalf("result %+v after %d calls", out.Result, st.calls)
	}
}

func TestIngestMetricRetriesTransientErrors(t *testing.T) {
	st := &flakyStore{failures: 3, err: errors.New("connection refused")}
	out, err := run(t, st)
	if err != nil {
		t.Fatalf("a transient error failed the call: %v", err)
	}
	if st.calls != 4 || out.Result.NewValue != 12 {
		t.Fatalf("%d calls, result %+v", st.calls, out.Result)
	}
}

func TestIngestMetricFailsFastOnInvalidInput(t *testing.T) {
	st := &flakyStore{failures: 100, err: intake.Invalid("value", "value is out of range")}
	_, err := run(t, st)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != string(intake.ErrInvalidPayload) || !appErr.NonRetryable() {
		t.Fatalf("err = %v, want a non-retryable invalid_payload", err)
	}
	if st.calls != 1 {
		t.Fatalf("invalid input was tried %d times", st.calls)
	}
}

// The workflow's only step is one local activity: no timers, no regular
// activities, no child workflows, so a call is one workflow task.
func TestIngestMetricIsOneLocalActivity(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Activities{Store: &flakyStore{}})
	locals := 0
	env.SetOnLocalActivityStartedListener(func(*activity.Info, context.Context, []any) { locals++ })
	env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) {
		t.Error("a regular activity was scheduled")
	})
	env.SetOnTimerScheduledListener(func(string, time.Duration) { t.Error("a timer was scheduled") })
	env.ExecuteWorkflow(workflows.IngestMetric, input())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if locals != 1 {
		t.Fatalf("%d local activities, want 1", locals)
	}
}
