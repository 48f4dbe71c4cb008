package coalesce_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/coalesce"
	"github.com/intakehq/intake/devserver"
	"github.com/intakehq/intake/workflows"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

var temporal client.Client

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ts, err := devserver.Start(devserver.Options{SearchAttributes: workflows.SearchAttributes(), LogLevel: "error"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer ts.Stop()
	quiet := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError + 4})))
	if temporal, err = client.Dial(client.Options{HostPort: ts.FrontendAddress(), Logger: quiet}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer temporal.Close()
	return m.Run()
}

// echo stands in for the Ingest workflow: each call's outcome is the
// workflow that carried it and the calls it shared it with.
func echo(ctx workflow.Context, in workflows.IngestInput) (workflows.IngestResult, error) {
	var out workflows.IngestResult
	raw, _ := json.Marshal(map[string]any{"workflow": workflow.GetInfo(ctx).WorkflowExecution.ID, "with": len(in.Calls)})
	for range in.Calls {
		out.Outcomes = append(out.Outcomes, intake.Outcome{Result: raw})
	}
	return out, nil
}

// startWorker runs echo on intake's task queue, where the starter starts
// workflows, until the returned stop. Each test uses a project of its own.
func startWorker(t *testing.T) func() {
	t.Helper()
	w := sdkworker.New(temporal, workflows.TaskQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(echo, workflow.RegisterOptions{Name: "Ingest"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	return w.Stop
}

// newStarter is coalesce.New with start and result bounds far above what a
// start takes on a loaded CI machine, where other packages' Temporal servers
// share the two cores: these tests are about grouping, not about timeouts
// (TestStartFailureRefusesTheCalls sets its own).
func newStarter(o coalesce.Options) *coalesce.Starter {
	if o.StartTimeout == 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.ResultWait == 0 {
		o.ResultWait = 30 * time.Second
	}
	return coalesce.New(temporal, o)
}

func metricCall(project, id string) intake.Call {
	return intake.Call{IngestID: id, ProjectID: project, Kind: intake.KindMetric, Source: "api", ReceivedAt: time.Now(),
		Input: json.RawMessage(`{"metric":"revenue","value":1}`)}
}

// workflowsCarrying lists the workflows whose IntakeIngestIDs hold id.
func workflowsCarrying(project, id string) *workflowservice.ListWorkflowExecutionsRequest {
	return &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("IntakeProject = '%s' AND IntakeIngestIDs = '%s'", project, id)}
}

type echoed struct {
	Workflow string
	With     int
}

func outcome(t *testing.T, tk coalesce.Ticket) echoed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o, err := tk.Outcome(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var e echoed
	if err := json.Unmarshal(o.Result, &e); err != nil {
		t.Fatal(err)
	}
	if e.Workflow != tk.WorkflowID {
		t.Fatalf("ticket says %s, outcome came from %s", tk.WorkflowID, e.Workflow)
	}
	return e
}

func TestLoneCallHasAWorkflowOfItsOwn(t *testing.T) {
	defer startWorker(t)()
	s := newStarter(coalesce.Options{Linger: time.Minute}) // an idle lane never lingers
	p := intake.NewID("p")
	tickets, err := s.Submit(context.Background(), metricCall(p, "ing_lone1"))
	if err != nil {
		t.Fatal(err)
	}
	if want := intake.WorkflowID(p, intake.APIConnector, "ing_lone1"); tickets[0].WorkflowID != want {
		t.Fatalf("workflow %s, want %s", tickets[0].WorkflowID, want)
	}
	if e := outcome(t, tickets[0]); e.With != 1 {
		t.Fatalf("a lone call shared its workflow: %+v", e)
	}
}

// Calls of one lane submitted together share a workflow; a call of
// another lane (another kind) does not join them.
func TestCallsOfALaneShareAWorkflow(t *testing.T) {
	defer startWorker(t)()
	s := newStarter(coalesce.Options{})
	p := intake.NewID("p")
	calls := []intake.Call{metricCall(p, "ing_a"), metricCall(p, "ing_b"), metricCall(p, "ing_c")}
	other := metricCall(p, "ing_d")
	other.Kind = intake.KindBatch
	tickets, err := s.Submit(context.Background(), append(calls, other)...)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if e := outcome(t, tickets[i]); e.With != 3 || tickets[i].WorkflowID != tickets[0].WorkflowID {
			t.Fatalf("call %d: %+v in %s", i, e, tickets[i].WorkflowID)
		}
	}
	if e := outcome(t, tickets[3]); e.With != 1 {
		t.Fatalf("a call of another kind joined: %+v", e)
	}
}

// Calls arriving while their lane's workflow runs wait for it, then share
// the next workflow; one a caller gave up on before that is never started.
func TestCallsWaitingForTheLaneShareTheNextWorkflow(t *testing.T) {
	s := newStarter(coalesce.Options{Hold: time.Minute, MinHold: time.Minute})
	p := intake.NewID("p")
	first, err := s.Submit(context.Background(), metricCall(p, "ing_w0")) // no worker yet: it keeps running
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err = s.Submit(ctx, metricCall(p, "ing_gaveup"))
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a caller that gave up: err = %v", err)
	}
	var wg sync.WaitGroup
	later := make([]coalesce.Ticket, 4)
	for i := range later {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk, err := s.Submit(context.Background(), metricCall(p, fmt.Sprintf("ing_w%d", i+1)))
			if err != nil {
				t.Error(err)
				return
			}
			later[i] = tk[0]
		}()
	}
	time.Sleep(300 * time.Millisecond) // the four are queued behind the first
	defer startWorker(t)()
	wg.Wait()
	if e := outcome(t, first[0]); e.With != 1 {
		t.Fatalf("first: %+v", e)
	}
	for i, tk := range later {
		if e := outcome(t, tk); e.With != 4 || tk.WorkflowID != later[0].WorkflowID {
			t.Fatalf("queued call %d: %+v in %s", i, e, tk.WorkflowID)
		}
	}
	// The query finds a call that was started (visibility may lag a
	// moment), and not the withdrawn one.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		list, err := temporal.ListWorkflow(context.Background(), workflowsCarrying(p, "ing_w1"))
		if err == nil && len(list.GetExecutions()) == 1 && list.GetExecutions()[0].GetExecution().GetWorkflowId() == later[0].WorkflowID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no workflow found carrying ing_w1: %v %v", list.GetExecutions(), err)
		}
	}
	list, err := temporal.ListWorkflow(context.Background(), workflowsCarrying(p, "ing_gaveup"))
	if err != nil || len(list.GetExecutions()) != 0 {
		t.Fatalf("the withdrawn call was started: %v %v", list.GetExecutions(), err)
	}
}

// A workflow carries at most MaxCalls; the rest start alongside it.
func TestWorkflowBounds(t *testing.T) {
	defer startWorker(t)()
	s := newStarter(coalesce.Options{MaxCalls: 3})
	p := intake.NewID("p")
	calls := make([]intake.Call, 7)
	for i := range calls {
		calls[i] = metricCall(p, fmt.Sprintf("ing_bound%d", i))
	}
	tickets, err := s.Submit(context.Background(), calls...)
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int{}
	for _, tk := range tickets {
		sizes[tk.WorkflowID] = outcome(t, tk).With
	}
	if len(sizes) != 3 {
		t.Fatalf("7 calls, at most 3 a workflow, in %d workflows: %v", len(sizes), sizes)
	}
}

// When Temporal cannot be reached, every call is refused and none is
// started.
func TestStartFailureRefusesTheCalls(t *testing.T) {
	down, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1",
		Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError + 4})))})
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	s := coalesce.New(down, coalesce.Options{StartTimeout: 500 * time.Millisecond})
	p := intake.NewID("p")
	if _, err := s.Submit(context.Background(), metricCall(p, "ing_x"), metricCall(p, "ing_y")); err == nil {
		t.Fatal("calls accepted with Temporal down")
	}
}

// A lane whose callers are answered at start does not wait for its
// running workflow: a lone sender's next call starts at once, alone.
func TestLaneAnsweredAtStartDoesNotWaitForTheWork(t *testing.T) {
	s := newStarter(coalesce.Options{Hold: time.Minute, MinHold: time.Minute, Linger: time.Minute,
		AnsweredAtStart: func(kind string) bool { return kind == intake.KindWebhook }})
	p := intake.NewID("p")
	for i := range 3 { // no worker: none of them runs
		c := metricCall(p, fmt.Sprintf("whk_%d", i))
		c.Kind = intake.KindWebhook
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		tickets, err := s.Submit(ctx, c)
		cancel()
		if err != nil {
			t.Fatalf("call %d waited for the work of the one before: %v", i, err)
		}
		if want := intake.WorkflowID(p, intake.APIConnector, c.IngestID); tickets[0].WorkflowID != want || !tickets[0].Started() {
			t.Fatalf("call %d in %s, want %s", i, tickets[0].WorkflowID, want)
		}
	}
}

// lingerFixture is a lane whose first call's workflow runs (no worker yet)
// while a second call queues behind it; then the worker comes and the
// first call's outcome is in. The second call's Submit reports on the
// channel.
func lingerFixture(t *testing.T, s *coalesce.Starter, p string) (queued <-chan coalesce.Ticket, stop func()) {
	t.Helper()
	first, err := s.Submit(context.Background(), metricCall(p, "ing_l0"))
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan coalesce.Ticket, 1)
	go func() {
		tk, err := s.Submit(context.Background(), metricCall(p, "ing_l1"))
		if err != nil {
			t.Error(err)
			close(ch)
			return
		}
		ch <- tk[0]
	}()
	time.Sleep(300 * time.Millisecond) // ing_l1 is queued behind the first
	stop = startWorker(t)
	if e := outcome(t, first[0]); e.With != 1 {
		t.Fatalf("first: %+v", e)
	}
	return ch, stop
}

// When its workflow frees a lane with calls waiting, the next workflow
// waits for the callers it just answered to call again, so that they
// share it: here the first call's caller calls again, and the waiting
// call starts with that one rather than alone.
func TestLaneLingersForItsCallersNextCalls(t *testing.T) {
	s := newStarter(coalesce.Options{Hold: time.Minute, MinHold: time.Minute, Linger: time.Minute})
	p := intake.NewID("p")
	queued, stop := lingerFixture(t, s, p)
	defer stop()
	select {
	case tk, ok := <-queued:
		if ok {
			t.Fatalf("the waiting call started alone in %s instead of waiting for the next", tk.WorkflowID)
		}
		t.Fatal("the waiting call was refused")
	case <-time.After(300 * time.Millisecond):
	}
	again, err := s.Submit(context.Background(), metricCall(p, "ing_l2"))
	if err != nil {
		t.Fatal(err)
	}
	waited, ok := <-queued
	if !ok {
		t.Fatal("the waiting call was refused")
	}
	for _, tk := range []coalesce.Ticket{waited, again[0]} {
		if e := outcome(t, tk); e.With != 2 || tk.WorkflowID != waited.WorkflowID {
			t.Fatalf("%+v in %s, want both in one workflow", e, tk.WorkflowID)
		}
	}
}

// A lingering lane starts its next workflow after Linger even when no
// other call comes.
func TestLingerIsBounded(t *testing.T) {
	s := newStarter(coalesce.Options{Hold: time.Minute, MinHold: time.Minute, Linger: 100 * time.Millisecond})
	p := intake.NewID("p")
	queued, stop := lingerFixture(t, s, p)
	defer stop()
	select {
	case tk, ok := <-queued:
		if !ok {
			t.Fatal("the waiting call was refused")
		}
		if e := outcome(t, tk); e.With != 1 {
			t.Fatalf("the waiting call: %+v", e)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the waiting call never started")
	}
}

// A lone sender's next call, made as soon as the last one is answered,
// may come before its workflow has freed the lane: it is then the one
// call the lane would linger for, so it starts at once, alone.
func TestLoneSenderNeverLingers(t *testing.T) {
	defer startWorker(t)()
	s := newStarter(coalesce.Options{Linger: time.Minute})
	p := intake.NewID("p")
	for i := range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		tickets, err := s.Submit(ctx, metricCall(p, fmt.Sprintf("ing_seq%d", i)))
		cancel()
		if err != nil {
			t.Fatalf("call %d waited for a call that never came: %v", i, err)
		}
		if e := outcome(t, tickets[0]); e.With != 1 {
			t.Fatalf("call %d shared its workflow: %+v", i, e)
		}
	}
}
