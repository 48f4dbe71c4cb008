package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/notify"
	"github.com/intakehq/intake/store"
	"go.temporal.io/sdk/temporal"
)

// AlertStore is what the alert activities need of the store.
type AlertStore interface {
	SweepAlerts(ctx context.Context, now time.Time, grace time.Duration) ([]store.AlertEventRef, error)
	AlertNotice(ctx context.Context, ref store.AlertEventRef) (store.AlertNotice, error)
	MarkDelivered(ctx context.Context, eventID, channel string, at time.Time) error
	FinishDelivery(ctx context.Context, ref store.AlertEventRef, failure error, at time.Time) error
}

// AlertStarter starts the workflow that notifies each transition, once
// per transition however often it is asked; it returns how many it
// started.
type AlertStarter interface {
	StartAlerts(ctx context.Context, events []store.AlertEventRef) int
}

// Alerts are the activities of alert notifications.
type Alerts struct {
	Store   AlertStore
	Sender  *notify.Sender
	Starter AlertStarter
	// Grace is how long a transition's own start has before a sweep
	// starts it instead.
	Grace time.Duration
}

// SweepAlertsInput is the input of SweepAlerts.
type SweepAlertsInput struct{}

// SweepAlertsResult counts the notification workflows a sweep started.
type SweepAlertsResult struct {
	Started int `json:"started"`
}

// SweepAlerts fires stale alerts and those held past their For, and
// starts the notifications of every transition not yet started.
func (a *Alerts) SweepAlerts(ctx context.Context, _ SweepAlertsInput) (SweepAlertsResult, error) {
	refs, err := a.Store.SweepAlerts(ctx, time.Now().UTC(), a.Grace)
	if err != nil {
		return SweepAlertsResult{}, err
	}
	return SweepAlertsResult{Started: a.Starter.StartAlerts(ctx, refs)}, nil
}

// DeliverAlertInput is the input of DeliverAlert: one transition.
type DeliverAlertInput struct {
	Event store.AlertEventRef `json:"event"`
}

// DeliverAlertResult counts the channels notified by this attempt.
type DeliverAlertResult struct {
	Sent int `json:"sent"`
}

// DeliverAlert sends one transition's notification to every channel of
// its alert that has not had it, recording each as it succeeds, so a
// retry after a failure sends only to the channels that failed. A
// channel whose address is refused fails for good; others are retried.
func (a *Alerts) DeliverAlert(ctx context.Context, in DeliverAlertInput) (DeliverAlertResult, error) {
	n, err := a.Store.AlertNotice(ctx, in.Event)
	if intake.ErrorCode(err) == intake.ErrNotFound {
		return DeliverAlertResult{}, nil // the alert was deleted: nothing to say
	}
	if err != nil {
		return DeliverAlertResult{}, err
	}
	var channels []notify.Channel
	if err := json.Unmarshal([]byte(n.Alert.Channels), &channels); err != nil {
		return DeliverAlertResult{}, temporal.NewNonRetryableApplicationError("the alert's channels are unreadable", "invalid_channels", err)
	}
	msg, err := notice(n)
	if err != nil {
		return DeliverAlertResult{}, err
	}
	// Channels are sent to at once, each within notify's own timeout, so
	// a slow one neither delays nor starves the others; each one reached
	// is recorded even if this attempt's time runs out meanwhile, so that
	// no retry sends to it again.
	errs := make([]error, len(channels))
	var wg sync.WaitGroup
	for i, ch := range channels {
		if n.Delivered[ch.Key()] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = a.Sender.Send(ctx, ch, msg); errs[i] == nil {
				errs[i] = a.Store.MarkDelivered(context.WithoutCancel(ctx), n.Event.ID, ch.Key(), time.Now())
			} else {
				errs[i] = fmt.Errorf("channel %d (%s): %w", i, ch.Type, errs[i])
			}
		}()
	}
	wg.Wait()
	var res DeliverAlertResult
	var failed []error
	permanent := true
	for i, err := range errs {
		switch {
		case err == nil && !n.Delivered[channels[i].Key()]:
			res.Sent++
		case err != nil:
			failed = append(failed, err)
			permanent = permanent && errors.Is(err, notify.ErrRefused)
		}
	}
	if len(failed) == 0 {
		return res, a.Store.FinishDelivery(ctx, in.Event, nil, time.Now())
	}
	err = errors.Join(failed...)
	if permanent {
		return res, temporal.NewNonRetryableApplicationError(err.Error(), "channel_refused", nil)
	}
	return res, err
}

// FinishAlertInput is the input of FinishAlert.
type FinishAlertInput struct {
	Event store.AlertEventRef `json:"event"`
	Error string              `json:"error"`
}

// FinishAlert records that a transition's notifications were given up
// on, so sweeps stop starting them.
func (a *Alerts) FinishAlert(ctx context.Context, in FinishAlertInput) error {
	return a.Store.FinishDelivery(ctx, in.Event, errors.New(in.Error), time.Now())
}

// Notification is the JSON body a webhook channel receives.
type Notification struct {
	Type   string            `json:"type"`
	Alert  notificationAlert `json:"alert"`
	Event  notificationEvent `json:"event"`
	Metric notificationMeter `json:"metric"`
}

type notificationAlert struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Condition  string `json:"condition,omitempty"`
	StaleAfter string `json:"stale_after,omitempty"`
	State      string `json:"state"`
}

type notificationEvent struct {
	ID       string    `json:"id"`
	State    string    `json:"state"`
	Value    *float64  `json:"value"`
	Previous *float64  `json:"previous,omitempty"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
}

type notificationMeter struct {
	ID             string  `json:"id"`
	Key            string  `json:"key"`
	Name           string  `json:"name"`
	Unit           string  `json:"unit,omitempty"`
	Value          float64 `json:"value"`
	FormattedValue string  `json:"formatted_value"`
}

// notice is the message of one transition: the same id (the event's) on
// every attempt, so a receiver can tell a retry from a new transition.
func notice(n store.AlertNotice) (notify.Message, error) {
	kind := "alert.firing"
	if n.Event.State == intake.AlertOK {
		kind = "alert.resolved"
	}
	value := n.Metric.Value
	if n.Event.Value != nil {
		value = *n.Event.Value
	}
	body := Notification{Type: kind,
		Alert: notificationAlert{ID: n.Alert.ID, Name: n.Alert.Name, Condition: n.Alert.Condition, State: n.Event.State},
		Event: notificationEvent{ID: n.Event.ID, State: n.Event.State, Value: n.Event.Value, Previous: n.Event.Previous,
			Reason: n.Event.Reason, At: n.Event.At},
		Metric: notificationMeter{ID: n.Metric.ID, Key: n.Metric.Key, Name: n.Metric.Name, Unit: n.Metric.Unit,
			Value: value, FormattedValue: intake.FormatValue(value, n.Metric.Unit)}}
	if d := n.Alert.StaleDuration(); d > 0 {
		body.Alert.StaleAfter = d.String()
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return notify.Message{}, err
	}
	verb := "is firing"
	if n.Event.State == intake.AlertOK {
		verb = "is resolved"
	}
	text := fmt.Sprintf("Alert %q %s: %s is %s", n.Alert.Name, verb, n.Metric.Name, body.Metric.FormattedValue)
	if n.Event.Reason != "" {
		text += " (" + n.Event.Reason + ")"
	}
	// Slack reads <…> as mentions and links (<!channel> pings everyone):
	// what admins named is shown as text.
	text = slackEscape.Replace(text)
	return notify.Message{ID: n.Event.ID, Time: n.Event.At, Body: raw, Text: text}, nil
}

// slackEscape escapes the three characters Slack's text format gives a
// meaning.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
