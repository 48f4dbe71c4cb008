// Package coalesce starts the Temporal workflows that carry accepted calls.
// A call whose lane (project, connector, kind, source and event type) has
// no workflow running starts one of its own at once, as if there were no
// coalescing; calls that arrive while it runs wait for it to finish and
// then share the next workflow, up to a workflow's bounds, which lingers
// a moment for the callers just answered to call again. This is group
// commit: under load a call waits for one short workflow rather than in
// Temporal's queue, and Temporal's cost follows workflows, not calls. The
// wait is bounded and in memory only: a caller is answered once its
// workflow has started (durably), never before.
package coalesce

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/workflows"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// Options tune a Starter; zero values take the defaults, but a zero
// Linger is none.
type Options struct {
	// EagerStart hands new workflows straight to a worker in this process.
	EagerStart bool
	// StartTimeout bounds one start request to Temporal.
	StartTimeout time.Duration
	// ResultWait bounds how long outcomes are awaited: the longest any
	// caller waits for its answer.
	ResultWait time.Duration
	// MaxCalls and MaxBytes bound the calls of one workflow and the bytes
	// of their encoded calls, well under Temporal's payload limits.
	MaxCalls, MaxBytes int
	// Hold is the longest a running workflow keeps its lane from starting
	// the next one. The hold is four times the recent time from start to
	// outcome, within [MinHold, Hold]: a workflow far slower than usual
	// (no worker is polling, say) stops holding back the calls behind it,
	// which are accepted in workflows of their own until it catches up.
	Hold, MinHold time.Duration
	// MaxRunning bounds a lane's running workflows when more calls wait
	// than one workflow may carry. With MaxCalls 1 there is no bound:
	// every call starts a workflow of its own at once.
	MaxRunning int
	// AnsweredAtStart reports the kinds of call whose callers are answered
	// once their workflow has started (webhooks): their lane starts its
	// next workflow as soon as the last start is acknowledged, and nobody
	// waits for their outcomes, so a lone sender is never held back by
	// its previous call's work.
	AnsweredAtStart func(kind string) bool
	// Started, when set, is told of each workflow started and the calls it
	// carries, after their callers have been told: the API records them
	// as accepted. It runs on its own goroutine. finished reports, when
	// asked later, whether the workflow has completed and its outcomes
	// came back (always false for lanes answered at start, whose outcomes
	// nobody awaits).
	Started func(workflowID string, calls []intake.Call, finished func() bool)
	// Linger is the longest a lane waits for more calls when its running
	// workflow frees it while calls are waiting: its next workflow starts
	// once the callers of the one that freed it are back (as many calls
	// wait as it carried, plus those waiting then), once it is full, or
	// after Linger, whichever is first. Under load the callers just
	// answered are most of the next calls, and with them aboard a
	// workflow carries about twice as many: Temporal's cost per call
	// halves for a few milliseconds of wait. An idle lane never lingers,
	// so a lone call starts at once. Zero: the next workflow starts at
	// once.
	Linger time.Duration
}

// Defaults of Options. The ingest ids a workflow carries are one search
// attribute, which Temporal bounds at 2 KB by default (about 50 ids).
const (
	DefaultMaxCalls   = 64
	DefaultMaxBytes   = 256 << 10
	DefaultHold       = time.Second
	DefaultMinHold    = 50 * time.Millisecond
	DefaultMaxRunning = 4
	maxIDBytes        = 2000
)

func (o *Options) defaults() {
	if o.StartTimeout <= 0 {
		o.StartTimeout = 5 * time.Second
	}
	if o.ResultWait <= 0 {
		o.ResultWait = 5 * time.Second
	}
	if o.MaxCalls <= 0 {
		o.MaxCalls = DefaultMaxCalls
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Hold <= 0 {
		o.Hold = DefaultHold
	}
	if o.MinHold <= 0 {
		o.MinHold = min(DefaultMinHold, o.Hold)
	}
	if o.MaxRunning <= 0 {
		o.MaxRunning = DefaultMaxRunning
	}
	if o.MaxCalls == 1 {
		o.MaxRunning = math.MaxInt
	}
}

// Starter starts the workflows of calls. It is safe for concurrent use.
type Starter struct {
	tc    client.Client
	o     Options
	mu    sync.Mutex
	lanes map[lane]*queue
	// took is a moving average of the time from start to outcome, in
	// nanoseconds.
	took atomic.Int64
}

// New returns a Starter on tc.
func New(tc client.Client, o Options) *Starter {
	o.defaults()
	return &Starter{tc: tc, o: o, lanes: map[lane]*queue{}}
}

// lane is what calls sharing a workflow agree on: every search attribute
// of the workflow but the ingest ids.
type lane struct {
	project, connector, kind, source, eventType string
}

func laneOf(c intake.Call) lane {
	return lane{c.ProjectID, c.ConnectorID, c.Kind, c.Source, c.EventType}
}

// queue is one lane's calls waiting for a workflow, and its workflows
// still running.
type queue struct {
	running int
	pending []*entry
	// linger, while set, holds the lane's next start back until as many
	// calls wait as lingerFor, or until it fires (see Options.Linger).
	linger    *time.Timer
	lingerFor int
}

// entry is one submitted call until its workflow has started.
type entry struct {
	call intake.Call
	// wire is the call encoded, by its submitter: a start only joins its
	// calls' encodings, so a lane's starts wait on no encoding.
	wire  []byte
	size  int
	taken bool          // in a group: its start is under way (guarded by mu)
	ready chan struct{} // closed once its workflow started, or failed to
	group *group
	index int
	// span is the submitter's (the HTTP request's), for the start's trace.
	span trace.SpanContext
}

// group is the calls of one workflow, and their outcomes once it ends.
type group struct {
	id       string
	entries  []*entry
	run      client.WorkflowRun
	startErr error
	done     chan struct{} // closed once outcomes (or resultErr) are in
	outcomes []intake.Outcome
	err      error
	// answered: g's callers have been given their answers, while waiting
	// calls of the lane were waiting already (both guarded by mu).
	answered bool
	waiting  int
}

// Ticket is a call durably started in a workflow: the workflow's id, and
// the call's outcome to come.
type Ticket struct {
	WorkflowID string
	g          *group
	i          int
}

// ErrNoOutcome is returned by Outcome when the workflow ended without one
// for the call (a workflow of the first release with the same id).
var ErrNoOutcome = errors.New("the workflow gave no outcome for this call")

// Outcome waits until the call's workflow has applied it or ctx ends.
func (t Ticket) Outcome(ctx context.Context) (intake.Outcome, error) {
	select {
	case <-t.g.done:
	case <-ctx.Done():
		return intake.Outcome{}, ctx.Err()
	}
	if t.g.err != nil {
		return intake.Outcome{}, t.g.err
	}
	if t.i >= len(t.g.outcomes) {
		return intake.Outcome{}, ErrNoOutcome
	}
	return t.g.outcomes[t.i], nil
}

// Started reports whether the call is durably in a workflow.
func (t Ticket) Started() bool { return t.g != nil && t.g.startErr == nil }

// Submit starts calls and returns once each is durably in a workflow or
// refused: a ticket per call, in order, and the first refusal. When ctx
// ends before a call's workflow starts, the call is withdrawn and never
// starts (ctx's error); calls whose start was already under way finish
// starting, and their tickets say so.
func (s *Starter) Submit(ctx context.Context, calls ...intake.Call) ([]Ticket, error) {
	entries := make([]*entry, len(calls))
	for i, c := range calls {
		wire, err := workflows.EncodeCall(c)
		if err != nil {
			return nil, err
		}
		entries[i] = &entry{call: c, wire: wire, size: len(wire), ready: make(chan struct{}), span: trace.SpanContextFromContext(ctx)}
	}
	s.mu.Lock()
	touched := map[lane]*queue{}
	for i, c := range calls {
		e := entries[i]
		k := laneOf(c)
		q := s.lanes[k]
		if q == nil {
			q = &queue{}
			s.lanes[k] = q
		}
		q.pending = append(q.pending, e)
		touched[k] = q
	}
	for k, q := range touched {
		s.dispatch(k, q)
	}
	s.mu.Unlock()
	var err error
	for _, e := range entries {
		select {
		case <-e.ready:
		case <-ctx.Done():
			if s.withdraw(e) {
				err = ctx.Err()
				continue
			}
			<-e.ready // its start is under way, bounded by StartTimeout
		}
		if e.group.startErr != nil && err == nil {
			err = e.group.startErr
		}
	}
	tickets := make([]Ticket, len(calls))
	for i, e := range entries {
		if e.group != nil {
			tickets[i] = Ticket{WorkflowID: e.group.id, g: e.group, i: e.index}
		}
	}
	return tickets, err
}

// withdraw takes e out of its queue unless its start is under way, and
// reports whether it did.
func (s *Starter) withdraw(e *entry) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.taken {
		return false
	}
	k := laneOf(e.call)
	q := s.lanes[k]
	for j, p := range q.pending {
		if p == e {
			q.pending = append(q.pending[:j], q.pending[j+1:]...)
			break
		}
	}
	s.tidy(k, q)
	return true
}

// dispatch starts as many workflows as lane k may now run. Called with mu.
func (s *Starter) dispatch(k lane, q *queue) {
	if s.lingers(q) {
		return
	}
	for len(q.pending) > 0 && (q.running == 0 || q.running < s.o.MaxRunning && s.full(q)) {
		g := &group{entries: s.take(q), done: make(chan struct{})}
		q.running++
		go s.run(k, q, g)
	}
	s.tidy(k, q)
}

// lingers reports whether q's next start waits for more calls, and ends
// the wait once it need not. Called with mu.
func (s *Starter) lingers(q *queue) bool {
	if q.linger == nil {
		return false
	}
	if q.running == 0 && len(q.pending) > 0 && len(q.pending) < q.lingerFor && !s.full(q) {
		return true
	}
	q.linger.Stop()
	q.linger = nil
	return false
}

func (s *Starter) tidy(k lane, q *queue) {
	if q.running == 0 && len(q.pending) == 0 {
		if q.linger != nil {
			q.linger.Stop()
			q.linger = nil
		}
		delete(s.lanes, k)
	}
}

// full reports whether more calls wait than one workflow may carry.
func (s *Starter) full(q *queue) bool {
	if len(q.pending) >= s.o.MaxCalls {
		return true
	}
	bytes, ids := 0, 2
	for _, e := range q.pending {
		bytes, ids = bytes+e.size, ids+len(e.call.IngestID)+3
		if bytes > s.o.MaxBytes || ids > maxIDBytes {
			return true
		}
	}
	return false
}

// take removes the next workflow's calls from q: at least one, then as
// many as its bounds allow, oldest first.
func (s *Starter) take(q *queue) []*entry {
	n, bytes, ids := 0, 0, 2
	for n < len(q.pending) && n < s.o.MaxCalls {
		e := q.pending[n]
		bytes, ids = bytes+e.size, ids+len(e.call.IngestID)+3
		if n > 0 && (bytes > s.o.MaxBytes || ids > maxIDBytes) {
			break
		}
		e.taken = true
		n++
	}
	out := append([]*entry(nil), q.pending[:n]...)
	q.pending = append(q.pending[:0:0], q.pending[n:]...)
	return out
}

// run starts one group's workflow, tells its callers, and frees the lane
// once the workflow ends or Hold has passed, whichever is first.
func (s *Starter) run(k lane, q *queue, g *group) {
	g.startErr = s.start(g)
	answeredAtStart := s.o.AnsweredAtStart != nil && s.o.AnsweredAtStart(k.kind)
	if g.startErr == nil && answeredAtStart {
		s.answering(q, g)
	}
	for i, e := range g.entries {
		e.group, e.index = g, i
		close(e.ready)
	}
	if g.startErr != nil {
		g.err = g.startErr
		close(g.done)
		s.release(k, q, g)
		return
	}
	if s.o.Started != nil {
		calls := make([]intake.Call, len(g.entries))
		for i, e := range g.entries {
			calls[i] = e.call
		}
		go s.o.Started(g.id, calls, func() bool {
			select {
			case <-g.done:
				return !answeredAtStart && g.err == nil
			default:
				return false
			}
		})
	}
	if answeredAtStart {
		close(g.done)
		s.release(k, q, g)
		return
	}
	began := time.Now()
	go func() {
		h := s.hold()
		hold := time.NewTimer(h)
		defer hold.Stop()
		select {
		case <-g.done:
			s.observe(time.Since(began))
		case <-hold.C:
			s.observe(h) // a stall raises the next hold, up to Hold
		}
		s.release(k, q, g)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), s.o.ResultWait)
	defer cancel()
	var res workflows.IngestResult
	g.err = g.run.Get(ctx, &res)
	g.outcomes = res.Outcomes
	s.answering(q, g)
	close(g.done)
}

// answering notes, as g's callers are about to get their answers, how many
// calls of the lane were waiting already: those and g's own callers, back
// with their next calls, are what the lane lingers for. A call that comes
// after this may be one of those callers, so it is not counted twice.
func (s *Starter) answering(q *queue, g *group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g.answered, g.waiting = true, len(q.pending)
}

// hold is how long the next workflow may hold its lane.
func (s *Starter) hold() time.Duration {
	d := 4 * time.Duration(s.took.Load())
	return min(max(d, s.o.MinHold), s.o.Hold)
}

// observe folds one workflow's time into the moving average (weight 1/8).
func (s *Starter) observe(d time.Duration) {
	for {
		old := s.took.Load()
		next := old + (int64(d)-old)/8
		if old == 0 {
			next = int64(d)
		}
		if s.took.CompareAndSwap(old, next) {
			return
		}
	}
}

// release frees one of lane k's running workflows, g. When g's callers
// have their answers, the lane lingers for their next calls; not when g
// stopped holding the lane before its outcome (see Options.Hold) or was
// refused: those callers are not coming back at once.
func (s *Starter) release(k lane, q *queue, g *group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q.running--
	if q.running == 0 && q.linger == nil && s.o.Linger > 0 && len(q.pending) > 0 && g.answered {
		var t *time.Timer
		t = time.AfterFunc(s.o.Linger, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if q.linger == t && s.lanes[k] == q {
				q.linger = nil
				s.dispatch(k, q)
			}
		})
		q.linger, q.lingerFor = t, len(g.entries)+g.waiting
	}
	s.dispatch(k, q)
}

// start starts the workflow of g. A lone call's workflow is named after
// the call, so a repeat of a call still running joins it; a group's is
// fresh. Exactly-once rests on the calls' claims in the database, so a
// closed workflow's id may be used again.
func (s *Starter) start(g *group) error {
	first := g.entries[0].call
	connector := first.ConnectorID
	if connector == "" {
		connector = intake.APIConnector
	}
	g.id = intake.WorkflowID(first.ProjectID, connector, first.IngestID)
	if len(g.entries) > 1 {
		g.id = intake.GroupWorkflowID(first.ProjectID, connector, intake.NewID("grp"))
	}
	wires := make([][]byte, len(g.entries))
	ids := make([]string, len(g.entries))
	for i, e := range g.entries {
		wires[i], ids[i] = e.wire, e.call.IngestID
	}
	attrs := workflows.Attrs{Project: first.ProjectID, Connector: first.ConnectorID, Source: first.Source,
		Kind: first.Kind, EventType: first.EventType, IngestIDs: ids}
	traced, end := traceStart(g)
	defer end()
	ctx, cancel := context.WithTimeout(traced, s.o.StartTimeout)
	defer cancel()
	run, err := s.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       g.id,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    attrs.SearchAttributes(),
		EnableEagerStart:         s.o.EagerStart,
	}, workflows.IngestName, workflows.IngestArg(wires))
	g.run = run
	return err
}

// traceStart is the context a workflow start is traced in: a lone call's
// start continues its request's trace (and the workflow and activities
// follow it there); a shared start is a span in the first call's trace,
// linked to every other call's, so each call's trace leads to the
// workflow that carried it. The start outlives no request, so only the
// span context is taken, never the request's cancellation.
func traceStart(g *group) (context.Context, func()) {
	ctx := trace.ContextWithSpanContext(context.Background(), g.entries[0].span)
	if len(g.entries) == 1 {
		return ctx, func() {}
	}
	links := make([]trace.Link, 0, len(g.entries)-1)
	for _, e := range g.entries[1:] {
		if e.span.IsValid() {
			links = append(links, trace.Link{SpanContext: e.span})
		}
	}
	ctx, span := otel.Tracer("github.com/intakehq/intake/coalesce").Start(ctx, "coalesce.start",
		trace.WithLinks(links...), trace.WithAttributes(attribute.Int("intake.calls", len(g.entries)), attribute.String("intake.workflow_id", g.id)))
	return ctx, func() { span.End() }
}
