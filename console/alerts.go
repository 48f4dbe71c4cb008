package console

import (
	"context"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// alertStore is what the alerts page reads.
type alertStore interface {
	ListAlerts(ctx context.Context, projectID string, p store.Page) ([]store.Alert, string, error)
	GetAlert(ctx context.Context, projectID, id string) (store.Alert, error)
	ListAlertEvents(ctx context.Context, projectID, alertID string, p store.Page) ([]store.AlertEvent, string, error)
	FiringMetrics(ctx context.Context, projectID string) (map[string]bool, error)
	GetMetric(ctx context.Context, projectID, id string) (store.Metric, error)
}

type alertRow struct {
	ID, Name, Metric, Watch, State, LastValue, Changed, Error string
	Enabled                                                   bool
}

type eventRow struct {
	At, State, Value, Reason, Delivery, CallID string
}

// showAlert is an alert as the console lists it, its values formatted in
// its metric's unit.
func (k *console) showAlert(ctx context.Context, a store.Alert, metrics map[string]store.Metric) alertRow {
	m, ok := metrics[a.MetricID]
	if !ok {
		m, _ = k.o.Store.GetMetric(ctx, a.ProjectID, a.MetricID)
		metrics[a.MetricID] = m
	}
	row := alertRow{ID: a.ID, Name: a.Name, Metric: m.Name, State: a.State, Enabled: a.Enabled, Error: a.LastError}
	switch {
	case a.StaleAfter > 0:
		row.Watch = "no point for " + a.StaleDuration().String()
	case a.For > 0:
		row.Watch = a.Condition + " for " + a.ForDuration().String()
	default:
		row.Watch = a.Condition
	}
	if a.LastValue != nil {
		row.LastValue = intake.FormatValue(*a.LastValue, m.Unit)
	}
	if a.ChangedAt != nil {
		row.Changed = a.ChangedAt.UTC().Format(time.DateTime)
	}
	return row
}

// alerts lists the project's alerts with their state.
func (k *console) alerts(c *fiber.Ctx) error {
	sess := c.Locals(sessionKey).(store.ConsoleSession)
	v := k.formView(c, "Alerts")
	ctx := c.UserContext()
	rows, next, err := k.o.Store.ListAlerts(ctx, sess.ProjectID, store.Page{Limit: 50, Cursor: c.Query("cursor")})
	if err != nil {
		return err
	}
	metrics := map[string]store.Metric{}
	for _, a := range rows {
		v.Alerts = append(v.Alerts, k.showAlert(ctx, a, metrics))
	}
	if next != "" {
		v.Next = "/console/alerts?" + url.Values{"cursor": {next}}.Encode()
	}
	return render(c, fiber.StatusOK, "alerts.html", v)
}

// alert shows one alert and its transitions, newest first.
func (k *console) alert(c *fiber.Ctx) error {
	sess := c.Locals(sessionKey).(store.ConsoleSession)
	v := k.formView(c, "Alert")
	ctx := c.UserContext()
	a, err := k.o.Store.GetAlert(ctx, sess.ProjectID, c.Params("id"))
	if intake.ErrorCode(err) == intake.ErrNotFound {
		v.Title = "Not found"
		return render(c, fiber.StatusNotFound, "alert.html", v)
	}
	if err != nil {
		return err
	}
	metrics := map[string]store.Metric{}
	row := k.showAlert(ctx, a, metrics)
	v.Alert = &row
	events, next, err := k.o.Store.ListAlertEvents(ctx, sess.ProjectID, a.ID, store.Page{Limit: 50, Cursor: c.Query("cursor")})
	if err != nil {
		return err
	}
	unit := metrics[a.MetricID].Unit
	for _, e := range events {
		ev := eventRow{At: e.At.UTC().Format(time.DateTime), State: e.State, Reason: e.Reason, CallID: e.CallID, Delivery: "sending"}
		if e.State == intake.AlertOK {
			ev.State = "resolved"
		}
		if e.Value != nil {
			ev.Value = intake.FormatValue(*e.Value, unit)
		}
		switch {
		case e.DeliveredAt != nil:
			ev.Delivery = "sent " + e.DeliveredAt.UTC().Format(time.DateTime)
		case e.Failed:
			ev.Delivery = "failed: " + e.Error
		}
		v.Events = append(v.Events, ev)
	}
	if next != "" {
		v.Next = "/console/alerts/" + url.PathEscape(a.ID) + "?" + url.Values{"cursor": {next}}.Encode()
	}
	return render(c, fiber.StatusOK, "alert.html", v)
}
