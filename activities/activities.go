// Package activities holds every Temporal activity of intake and the one
// table of the kinds of call: how each kind's input is applied in the
// database and how its result answers. All I/O a workflow does happens
// here, in methods of structs that carry their dependencies.
package activities

import (
	"context"
	"slices"
	"sync"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/store"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// Store is what the activities need of the store.
type Store interface {
	ApplyCalls(ctx context.Context, calls []intake.Call, attempt int, apply store.Applier) ([]intake.Outcome, error)
	RecordAttempt(ctx context.Context, calls []intake.Call, attempt int, cause error) error
	LatestRules(ctx context.Context, scope store.RuleScope) ([]intake.Rule, int, error)
	OpenInboxItems(ctx context.Context, projectID string, sel store.InboxSelection) ([]store.InboxItem, error)
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

// ApplyCallsInput is the input of ApplyCalls: every call one workflow
// carries.
type ApplyCallsInput struct {
	Calls []intake.Call `json:"calls"`
}

// ApplyCallsResult is each call's outcome, in input order.
type ApplyCallsResult struct {
	Outcomes []intake.Outcome `json:"outcomes"`
}

// ApplyCalls applies the calls a workflow carries in one transaction. A
// call that fails for good gets its own error in its outcome and leaves
// the others unharmed; an error returned here is the database's (or a
// call's that is tried again, see store.ApplyCalls), and the step is
// retried. Running it again for the same calls returns the first outcomes
// and writes nothing.
func (a *Activities) ApplyCalls(ctx context.Context, in ApplyCallsInput) (ApplyCallsResult, error) {
	info := activity.GetInfo(ctx)
	// The calls do not repeat the workflow that carries them.
	for i := range in.Calls {
		if in.Calls[i].WorkflowID == "" {
			in.Calls[i].WorkflowID = info.WorkflowExecution.ID
		}
	}
	outs, err := a.apply(ctx, in.Calls, int(info.Attempt))
	return ApplyCallsResult{Outcomes: withinResultBytes(outs)}, err
}

// MaxResultBytes bounds the results one step returns to its workflow, far
// under Temporal's 2 MB payload limit (it warns past 512 KB). A result too
// large for the workflow would fail every workflow task after the
// database had committed it.
const MaxResultBytes = 256 << 10

// withinResultBytes leaves the largest results out, marked Stored, until
// the rest fit MaxResultBytes: their callers read them from the calls'
// rows, where they were committed.
func withinResultBytes(outs []intake.Outcome) []intake.Outcome {
	total := 0
	for _, o := range outs {
		total += len(o.Result)
	}
	if total <= MaxResultBytes {
		return outs
	}
	order := make([]int, len(outs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return len(outs[j].Result) - len(outs[i].Result) })
	for _, i := range order {
		if total <= MaxResultBytes {
			break
		}
		total -= len(outs[i].Result)
		outs[i].Result, outs[i].Stored = nil, true
	}
	return outs
}

// apply applies calls at an attempt of their step. A failed attempt is
// recorded on the calls it leaves unfinished, so that they are listed with
// their attempts and last error while they retry; when the database is
// what failed, that record fails too, and the calls show as they were.
func (a *Activities) apply(ctx context.Context, calls []intake.Call, attempt int) ([]intake.Outcome, error) {
	outs, err := a.Store.ApplyCalls(ctx, calls, attempt, a.applier(calls))
	if err != nil && ctx.Err() == nil {
		_ = a.Store.RecordAttempt(ctx, calls, attempt, err)
	}
	return outs, err
}

// applier applies each call through its kind's row of the table. The
// inputs carried inline are decoded first, outside the transaction, so
// that it holds its connection (and its locks) for the writes only.
func (a *Activities) applier(calls []intake.Call) store.Applier {
	decoded := make(map[string]any, len(calls))
	for _, c := range calls {
		if _, seen := decoded[c.IngestID]; seen {
			continue // a repeat is answered as the first; only the first is applied
		}
		if k, ok := kinds[c.Kind]; ok && c.BodyRef == "" {
			if v, err := k.decode(c); err == nil {
				decoded[c.IngestID] = v
			}
		}
	}
	return func(tx *store.Tx, c intake.Call) (any, error) {
		k, ok := kinds[c.Kind]
		if !ok {
			return nil, intake.Invalid("kind", "no kind of call %q", c.Kind)
		}
		return k.apply(a, tx, c, decoded[c.IngestID])
	}
}

// applyOne applies a single call of kind k and returns its result, or its
// error as a non-retryable failure: the first release's activities and
// the inbox replay, whose workflows carry one call each, fail the
// workflow when their call fails.
func applyOne[I, R any](ctx context.Context, a *Activities, k CallKind[I, R], c intake.Call, in I) (R, error) {
	var zero R
	call, err := k.Call(c, in)
	if err != nil {
		return zero, err
	}
	outs, err := a.apply(ctx, []intake.Call{call}, int(activity.GetInfo(ctx).Attempt))
	if err != nil {
		return zero, err
	}
	if e := outs[0].Error; e != nil {
		return zero, temporal.NewNonRetryableApplicationError(e.Message, string(e.Code), e)
	}
	return k.Result(outs[0].Result)
}
