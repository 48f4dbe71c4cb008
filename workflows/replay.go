package workflows

import (
	"errors"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/store"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ReplayItemInput is the input of ReplayItem.
type ReplayItemInput = activities.ReplayItemInput

// ReplayItemResult is the result of ReplayItem.
type ReplayItemResult = activities.ReplayItemResult

// ReplayItem re-runs one inbox item; its workflow ID is the item's replay
// key, so the same replay runs once.
func ReplayItem(ctx workflow.Context, in ReplayItemInput) (ReplayItemResult, error) {
	var a *activities.Activities
	return local(ctx, a.ReplayItem, in)
}

// ReplayCall is the call a replay of an item under a key is.
func ReplayCall(projectID, key string, parent intake.Call) intake.Call {
	return intake.Call{
		IngestID: "rpl_" + key, ProjectID: projectID, Kind: intake.KindReplay,
		WorkflowID: intake.ReplayItemWorkflowID(projectID, key), ReceivedAt: parent.ReceivedAt,
	}
}

// ReplayInboxInput is the input of ReplayInbox.
type ReplayInboxInput struct {
	Call      intake.Call
	Selection store.InboxSelection
}

// ReplayInboxResult counts what a replay did.
type ReplayInboxResult struct {
	Total, Resolved, StillOpen, AlreadyReplayed, Failed int
}

// ReplayInbox re-runs the selected open inbox items through the current
// rules, one child workflow per item, so an operator sees the progress and
// each item's outcome in the Temporal UI. An item already replayed in the
// same state under the same rules is not replayed again.
func ReplayInbox(ctx workflow.Context, in ReplayInboxInput) (ReplayInboxResult, error) {
	var a *activities.Activities
	sel, err := local(ctx, a.SelectReplay, activities.SelectReplayInput{ProjectID: in.Call.ProjectID, Selection: in.Selection})
	if err != nil {
		return ReplayInboxResult{}, err
	}
	res := ReplayInboxResult{Total: len(sel.Targets)}
	futures := make([]workflow.ChildWorkflowFuture, len(sel.Targets))
	for i, t := range sel.Targets {
		call := ReplayCall(in.Call.ProjectID, t.Key, in.Call)
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            call.WorkflowID,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
			TypedSearchAttributes: Attrs{Project: call.ProjectID, Kind: intake.KindReplay}.SearchAttributes(),
		})
		futures[i] = workflow.ExecuteChildWorkflow(cctx, ReplayItem, ReplayItemInput{Call: call, ItemID: t.ItemID})
	}
	for _, f := range futures {
		var out ReplayItemResult
		err := f.Get(ctx, &out)
		var started *temporal.ChildWorkflowExecutionAlreadyStartedError
		switch {
		case errors.As(err, &started):
			res.AlreadyReplayed++
		case err != nil:
			res.Failed++
		case out.Resolved:
			res.Resolved++
		default:
			res.StillOpen++
		}
	}
	return res, nil
}
