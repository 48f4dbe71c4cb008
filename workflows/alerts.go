package workflows

import (
	"errors"
	"time"

	"github.com/intakehq/intake/activities"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// NotifyAlertInput is the input of NotifyAlert: one transition.
type NotifyAlertInput = activities.DeliverAlertInput

// DeliveryPolicy is how NotifyAlert retries a channel that fails: soon,
// then backing off to every ten minutes, for a day. Retries carry the
// same webhook-id, so a receiver that answered but was not heard counts
// one notification.
var DeliveryPolicy = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    10 * time.Minute,
}

// DeliveryWindow is how long a transition's notifications are tried.
const DeliveryWindow = 24 * time.Hour

// NotifyAlert sends the notifications of one alert transition. Its ID is
// the transition's (intake.AlertWorkflowID), so each is sent by one
// workflow; the activity records each channel it reached, so retries
// reach only the others. When the window ends, the transition is marked
// failed and the workflow fails, for an operator to see.
func NotifyAlert(ctx workflow.Context, in NotifyAlertInput) (activities.DeliverAlertResult, error) {
	var a *activities.Alerts
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: DeliveryWindow,
		RetryPolicy:            DeliveryPolicy,
	})
	var out activities.DeliverAlertResult
	err := workflow.ExecuteActivity(actx, a.DeliverAlert, in).Get(ctx, &out)
	if err == nil {
		return out, nil
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second, RetryPolicy: applyRetry,
	})
	finish := activities.FinishAlertInput{Event: in.Event, Error: deliveryError(err)}
	if ferr := workflow.ExecuteLocalActivity(lctx, a.FinishAlert, finish).Get(ctx, nil); ferr != nil {
		return out, ferr
	}
	return out, err
}

// SweepAlertsInput is the input of SweepAlerts.
type SweepAlertsInput = activities.SweepAlertsInput

// SweepAlerts is what the alerts Schedule runs: it fires stale alerts and
// those held past their For, and starts the notifications not yet
// started. One local activity: one workflow task per run.
func SweepAlerts(ctx workflow.Context, in SweepAlertsInput) (activities.SweepAlertsResult, error) {
	var a *activities.Alerts
	return local(ctx, a.SweepAlerts, in)
}

// deliveryError is what an admin is shown of a delivery given up on: the
// channels' own errors, not the activity's workings (ids, worker hosts).
func deliveryError(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "not delivered within " + DeliveryWindow.String()
	}
	return "not delivered"
}
