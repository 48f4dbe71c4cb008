package bench

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// bareQueue is the bare baseline's own task queue, polled by this
// process, so the baseline never competes with intake's worker for tasks.
const bareQueue = "intake-bench-bare"

// Bare is the least a call can cost in Temporal: one workflow whose one
// step is a local activity that does nothing, as each intake call's
// workflow is one local activity that does the work.
func Bare(ctx workflow.Context, i int) (int, error) {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out int
	err := workflow.ExecuteLocalActivity(ctx, noop, i).Get(ctx, &out)
	return out, err
}

func noop(_ context.Context, i int) (int, error) { return i, nil }

// runBare starts and awaits Requests bare workflows at Concurrency, as the
// API starts and awaits a call's workflow. Each is done when its result is
// back.
func runBare(ctx context.Context, o Options, tc client.Client) (Result, []outcome, error) {
	w := sdkworker.New(tc, bareQueue, sdkworker.Options{})
	w.RegisterWorkflow(Bare)
	w.RegisterActivity(noop)
	if err := w.Start(); err != nil {
		return Result{}, nil, err
	}
	defer w.Stop()
	run := time.Now().UnixNano()
	res, outs := drive(ctx, KindBare, o.Requests, o.Concurrency, o.Rate, func(ctx context.Context, i int) outcome {
		id := fmt.Sprintf("bench/bare/%d/%d", run, i)
		wr, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: bareQueue, EnableEagerStart: o.Eager}, Bare, i)
		if err != nil {
			return outcome{err: err}
		}
		if err := wr.Get(ctx, nil); err != nil {
			return outcome{err: err}
		}
		return outcome{status: 200, workflowID: id, done: time.Now()}
	})
	return res, outs, nil
}
