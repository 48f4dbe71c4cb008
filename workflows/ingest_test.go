package workflows_test

import (
	"context"
	"encoding/json"
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

// fakeStore fails its first failures runs with err, then answers each call
// with outcome(call). Only ApplyCalls is implemented.
type fakeStore struct {
	activities.Store
	failures, runs int
	err            error
	outcome        func(intake.Call) intake.Outcome
}

func (s *fakeStore) ApplyCalls(_ context.Context, calls []intake.Call, _ int, _ store.Applier) ([]intake.Outcome, error) {
	s.runs++
	if s.runs <= s.failures {
		return nil, s.err
	}
	outs := make([]intake.Outcome, len(calls))
	for i, c := range calls {
		outs[i] = s.outcome(c)
	}
	return outs, nil
}

func (s *fakeStore) RecordAttempt(context.Context, []intake.Call, int, error) error { return nil }

// updated answers a metric call with its ingest id as the metric id.
func updated(c intake.Call) intake.Outcome {
	raw, _ := json.Marshal(intake.MetricResult{Outcome: intake.OutcomeUpdated, MetricID: c.IngestID, NewValue: 12})
	return intake.Outcome{Result: raw}
}

func calls(n int) workflows.IngestInput {
	in := workflows.IngestInput{}
	for i := range n {
		c, _ := activities.Metric.Call(intake.Call{IngestID: "ing_" + string(rune('a'+i)), ProjectID: "p_1", ReceivedAt: time.Unix(1767261600, 0)},
			intake.MetricInput{Metric: "revenue", Value: 12})
		in.Calls = append(in.Calls, c)
	}
	return in
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

func TestIngestAnswersEachCall(t *testing.T) {
	st := &fakeStore{outcome: updated}
	out, err := execute[workflows.IngestResult](t, st, workflows.Ingest, calls(3))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Outcomes) != 3 || st.runs != 1 {
		t.Fatalf("%d outcomes after %d runs", len(out.Outcomes), st.runs)
	}
	for i, o := range out.Outcomes {
		r, err := activities.Metric.Result(o.Result)
		if err != nil || r.MetricID != calls(3).Calls[i].IngestID {
			t.Fatalf("outcome %d: %+v %v", i, r, err)
		}
	}
}

func TestIngestRetriesDatabaseErrors(t *testing.T) {
	st := &fakeStore{failures: 3, err: errors.New("connection refused"), outcome: updated}
	out, err := execute[workflows.IngestResult](t, st, workflows.Ingest, calls(2))
	if err != nil {
		t.Fatalf("a transient error failed the workflow: %v", err)
	}
	if st.runs != 4 || len(out.Outcomes) != 2 {
		t.Fatalf("%d runs, %d outcomes", st.runs, len(out.Outcomes))
	}
}

// A call that fails for good is its own outcome: the workflow and the
// calls it shares the workflow with complete.
func TestIngestCallFailureStaysInItsOutcome(t *testing.T) {
	st := &fakeStore{outcome: func(c intake.Call) intake.Outcome {
		if c.IngestID == "ing_b" {
			return intake.Outcome{Error: intake.Invalid("value", "value is out of range")}
		}
		return updated(c)
	}}
	out, err := execute[workflows.IngestResult](t, st, workflows.Ingest, calls(3))
	if err != nil {
		t.Fatal(err)
	}
	if e := out.Outcomes[1].Error; e == nil || e.Code != intake.ErrInvalidPayload || e.Field != "value" {
		t.Fatalf("failing call's outcome %+v", out.Outcomes[1])
	}
	if out.Outcomes[0].Error != nil || out.Outcomes[2].Error != nil || st.runs != 1 {
		t.Fatalf("outcomes %+v after %d runs", out.Outcomes, st.runs)
	}
}

// The workflow's only step is one local activity: no timers, no regular
// activities, no child workflows, so a workflow is one workflow task
// however many calls it carries.
func TestIngestIsOneLocalActivity(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Activities{Store: &fakeStore{outcome: updated}})
	locals := 0
	env.SetOnLocalActivityStartedListener(func(*activity.Info, context.Context, []any) { locals++ })
	env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) {
		t.Error("a regular activity was scheduled")
	})
	env.SetOnTimerScheduledListener(func(string, time.Duration) { t.Error("a timer was scheduled") })
	env.ExecuteWorkflow(workflows.Ingest, calls(40))
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if locals != 1 {
		t.Fatalf("%d local activities, want 1", locals)
	}
}

// A workflow of the first release still fails fast when its one call is
// invalid, as it did then.
func TestFirstReleaseWorkflowFailsOnInvalidCall(t *testing.T) {
	st := &fakeStore{outcome: func(intake.Call) intake.Outcome {
		return intake.Outcome{Error: intake.Invalid("agent_id", "agent_id \"a\" is unknown")}
	}}
	in := activities.UpsertSaleInput{Call: intake.Call{IngestID: "ing_1", ProjectID: "p_1", ConnectorID: "c_1", Kind: intake.KindSale},
		Sale: intake.SaleInput{ID: "s-1", Agent: intake.Person{ID: "a"}, PropositionID: "p", SoldAt: time.Unix(1767261600, 0)}}
	_, err := execute[activities.UpsertResult](t, st, workflows.IngestSale, in)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || appErr.Type() != string(intake.ErrInvalidPayload) || st.runs != 1 {
		t.Fatalf("err = %v after %d runs, want one non-retryable failure", err, st.runs)
	}
}
