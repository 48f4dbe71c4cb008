package bench

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// sample resolves the workflow of every accepted call (from the answer,
// from verify, else from GET /api/ingest/{id}), counts the calls each
// workflow carried, and reads the histories of up to n distinct workflows,
// in the order of their first call. Under load one workflow may carry
// several calls, so the figures are per workflow: the sampled workflows'
// events and workflow tasks over the calls they carried.
func (t target) sample(ctx context.Context, tc client.Client, res *Result, outs []outcome, n int) error {
	carried := map[string]int{}
	var order []string
	for i := range outs {
		o := &outs[i]
		if !o.accepted() {
			continue
		}
		if o.workflowID == "" && o.ingestID != "" {
			if st, code, err := t.status(ctx, o.ingestID); err == nil && code == 200 {
				o.workflowID = st.WorkflowID
			}
		}
		if o.workflowID == "" {
			continue
		}
		if carried[o.workflowID] == 0 {
			order = append(order, o.workflowID)
		}
		carried[o.workflowID]++
	}
	res.Workflows, res.WorkflowCalls = len(order), 0
	for _, c := range carried {
		res.WorkflowCalls += c
	}
	var events, tasks, calls float64
	for _, id := range order[:min(n, len(order))] {
		e, k, err := countHistory(ctx, tc, id)
		if err != nil {
			return fmt.Errorf("history of %s: %w", id, err)
		}
		events, tasks, calls = events+e, tasks+k, calls+float64(carried[id])
	}
	if calls > 0 {
		res.EventsPerCall, res.TasksPerCall = events/calls, tasks/calls
	}
	return nil
}

// countHistory counts a closed workflow's events and workflow tasks.
func countHistory(ctx context.Context, tc client.Client, id string) (events, tasks float64, err error) {
	it := tc.GetWorkflowHistory(ctx, id, "", true, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return 0, 0, err
		}
		events++
		if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			tasks++
		}
	}
	return events, tasks, nil
}
