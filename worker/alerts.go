package worker

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/workflows"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// AlertGrace is how long a transition's notifications have to start from
// the transaction that made it before a sweep starts them instead.
const AlertGrace = 30 * time.Second

// AlertScheduleID is the Temporal Schedule that sweeps alerts: staleness
// and For are checked by it, visible in the Temporal UI.
const AlertScheduleID = "intake-alerts"

// DefaultAlertSweep is how often the Schedule runs.
const DefaultAlertSweep = time.Minute

// alertStarter starts NotifyAlert workflows. Their IDs are the
// transitions', and a finished one is never started again, so asking
// twice (at commit, then in a sweep) sends once.
type alertStarter struct {
	c client.Client
}

// StartAlerts starts what it can and returns how many it started; the
// others are left to the next sweep.
func (s *alertStarter) StartAlerts(ctx context.Context, refs []store.AlertEventRef) int {
	n := 0
	for _, ref := range refs {
		opts := client.StartWorkflowOptions{
			ID:                                       intake.AlertWorkflowID(ref.ProjectID, ref.EventID),
			TaskQueue:                                workflows.TaskQueue,
			WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			WorkflowExecutionErrorWhenAlreadyStarted: true,
			TypedSearchAttributes:                    workflows.Attrs{Project: ref.ProjectID, Kind: "alert"}.SearchAttributes(),
		}
		_, err := s.c.ExecuteWorkflow(ctx, opts, workflows.NotifyAlert, activities.DeliverAlertInput{Event: ref})
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		switch {
		case err == nil:
			n++
		case errors.As(err, &started):
		default:
			slog.Default().Warn("alert notification not started; the next sweep starts it", "event", ref.EventID, "error", err)
		}
	}
	return n
}

// EnsureAlertSchedule creates the Schedule that sweeps alerts every
// every, or sets its interval when it exists with another.
func EnsureAlertSchedule(ctx context.Context, c client.Client, every time.Duration) error {
	if every <= 0 {
		every = DefaultAlertSweep
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   AlertScheduleID,
		Spec: spec,
		Action: &client.ScheduleWorkflowAction{ID: "alerts/sweep", Workflow: workflows.SweepAlerts,
			Args: []any{workflows.SweepAlertsInput{}}, TaskQueue: workflows.TaskQueue,
			WorkflowRunTimeout: 10 * time.Minute},
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
	})
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return err
	}
	h := c.ScheduleClient().GetHandle(ctx, AlertScheduleID)
	return h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
		iv := in.Description.Schedule.Spec.Intervals
		if len(iv) == 1 && iv[0].Every == every {
			return nil, temporal.ErrSkipScheduleUpdate
		}
		in.Description.Schedule.Spec = &spec
		return &client.ScheduleUpdate{Schedule: &in.Description.Schedule}, nil
	}})
}
