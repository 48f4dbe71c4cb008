package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/intakehq/intake"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ConditionEvaluator evaluates an alert's condition (mapping.Conditions):
// the store applies points, the mapping package owns expressions.
type ConditionEvaluator interface {
	Holds(condition string, v intake.AlertVars) (bool, error)
}

// AlertEventRef names one alert transition whose notifications are due.
type AlertEventRef struct {
	ProjectID string `json:"project_id"`
	EventID   string `json:"event_id"`
}

// Alerting is what evaluating alerts needs: the conditions' evaluator,
// and Fired, told of the transitions a transaction committed so their
// notifications start at once (those it misses are found by SweepAlerts).
type Alerting struct {
	Conditions ConditionEvaluator
	Fired      func(ctx context.Context, events []AlertEventRef)
}

// UseAlerts makes the store evaluate alerts where points are applied.
func (s *Store) UseAlerts(a Alerting) { s.alerting = a }

func (s *Store) fired(ctx context.Context, events []AlertEventRef) {
	if len(events) > 0 && s.alerting.Fired != nil {
		s.alerting.Fired(ctx, events)
	}
}

// errNoConditions: alerts exist but this process cannot evaluate them (a
// wiring mistake). It is nobody's input error: the calls wait and retry,
// as for a database that is down, rather than fail.
var errNoConditions = intake.Errorf(intake.ErrUnavailable, "this process evaluates no alert conditions (store.UseAlerts)")

// alertsOf returns the enabled alerts on metric m, read once per
// transaction. The metric's row is locked (PostgreSQL) by the update
// that led here, which serialises the alerts' changes too.
func (t *Tx) alertsOf(m *Metric) []*Alert {
	if m.Alerts == 0 {
		return nil
	}
	if as, ok := t.alerts[m.ID]; ok {
		return as
	}
	var rows []Alert
	if err := t.db.Where("project_id = ? AND metric_id = ? AND enabled = ?", m.ProjectID, m.ID, true).Find(&rows).Error; err != nil {
		t.setErr(err)
		return nil
	}
	as := make([]*Alert, len(rows))
	for i := range rows {
		as[i] = &rows[i]
	}
	t.alerts[m.ID] = as
	return as
}

// recountAlerts sets the Alerts count of metrics, in the transaction
// that changed their alerts.
func recountAlerts(tx *gorm.DB, metricIDs ...string) error {
	for _, id := range metricIDs {
		if id == "" {
			continue
		}
		n := tx.Model(&Alert{}).Select("COUNT(*)").Where("metric_id = ? AND enabled = ?", id, true)
		if err := tx.Model(&Metric{}).Where("id = ?", id).UpdateColumn("alerts", n).Error; err != nil {
			return err
		}
	}
	return nil
}

// setErr keeps the first error of work done where no error can be
// returned; flush returns it, failing the attempt.
func (t *Tx) setErr(err error) {
	if t.err == nil {
		t.err = err
	}
}

// observe evaluates m's alerts after one of its points: staleness ends
// with any point, conditions are evaluated on current values.
func (t *Tx) observe(c intake.Call, m *Metric, prev float64, at time.Time, current bool) {
	alerts := t.alertsOf(m)
	if len(alerts) == 0 {
		return
	}
	now := time.Now().UTC()
	for _, a := range alerts {
		if a.StaleAfter > 0 {
			a.SeenAt = &now
			if a.State == intake.AlertFiring {
				t.transition(a, intake.AlertOK, m.Value, nil, c.IngestID, "a point arrived", now)
			}
			t.alertDirty[a.ID] = a
			continue
		}
		if !current {
			continue
		}
		if t.conditions == nil {
			t.setErr(errNoConditions)
			return
		}
		value := m.Value
		holds, err := t.conditions.Holds(a.Condition, intake.NewAlertVars(value, prev, at, m.Unit))
		a.LastValue, a.LastError = &value, ""
		if err != nil {
			// A condition that cannot be evaluated on this value (it
			// divides by zero, say) changes nothing: the alert keeps its
			// state and says why, and the point is applied regardless.
			a.LastError = err.Error()
		} else {
			step(t, a, holds, value, &prev, c.IngestID, now)
		}
		t.alertDirty[a.ID] = a
	}
}

// step moves a condition alert on one evaluation.
func step(t *Tx, a *Alert, holds bool, value float64, prev *float64, callID string, now time.Time) {
	switch {
	case holds && a.State == intake.AlertOK:
		if a.PendingSince == nil {
			a.PendingSince = &now
		}
		if now.Sub(*a.PendingSince) >= a.ForDuration() {
			t.transition(a, intake.AlertFiring, value, prev, callID, "the condition holds: "+a.Condition, now)
		}
	case !holds:
		a.PendingSince = nil
		if a.State == intake.AlertFiring {
			t.transition(a, intake.AlertOK, value, prev, callID, "the condition no longer holds: "+a.Condition, now)
		}
	}
}

// transition records a change of state as an event, written by flush.
func (t *Tx) transition(a *Alert, state string, value float64, prev *float64, callID, reason string, now time.Time) {
	a.State, a.ChangedAt, a.PendingSince = state, &now, nil
	v := value
	t.events = append(t.events, AlertEvent{ID: intake.NewID("alev"), ProjectID: a.ProjectID, AlertID: a.ID, State: state,
		Value: &v, Previous: prev, CallID: callID, Reason: reason, At: now})
}

// flushAlerts writes the alerts the transaction changed and their events.
func (t *Tx) flushAlerts() error {
	for _, a := range t.alertDirty {
		err := t.db.Model(a).Select("state", "pending_since", "seen_at", "last_value", "last_error", "changed_at", "updated_at").
			Updates(a).Error
		if err != nil {
			return err
		}
	}
	clear(t.alertDirty)
	if len(t.events) > 0 {
		if err := t.db.Create(&t.events).Error; err != nil {
			return err
		}
		for _, e := range t.events {
			t.committed = append(t.committed, AlertEventRef{ProjectID: e.ProjectID, EventID: e.ID})
		}
		t.events = t.events[:0]
	}
	return nil
}

// SweepAlerts fires what no point can: alerts whose metric is stale, and
// alerts whose condition has held for their For without a new point. It
// returns those transitions and every older one whose notifications are
// still due (their start was missed: a worker stopped between commit and
// start), for the caller to start. grace is how old such an event must be.
func (s *Store) SweepAlerts(ctx context.Context, now time.Time, grace time.Duration) ([]AlertEventRef, error) {
	var due []Alert
	err := s.db.WithContext(ctx).Where("enabled = ? AND state = ? AND (stale_after > 0 OR pending_since IS NOT NULL)",
		true, intake.AlertOK).Find(&due).Error
	if err != nil {
		return nil, err
	}
	var out []AlertEventRef
	for _, a := range due {
		if !sweepDue(a, now) {
			continue
		}
		refs, err := s.fireDue(ctx, a.ProjectID, a.ID, now)
		if err != nil {
			return nil, err
		}
		out = append(out, refs...)
	}
	var late []AlertEvent
	err = s.db.WithContext(ctx).Select("id", "project_id").
		Where("delivered_at IS NULL AND failed = ? AND created_at < ?", false, now.Add(-grace)).
		Order("id").Limit(500).Find(&late).Error
	seen := make(map[string]bool, len(out))
	for _, r := range out {
		seen[r.EventID] = true
	}
	for _, e := range late {
		if !seen[e.ID] {
			out = append(out, AlertEventRef{ProjectID: e.ProjectID, EventID: e.ID})
		}
	}
	return out, err
}

func sweepDue(a Alert, now time.Time) bool {
	if a.StaleAfter > 0 {
		return a.SeenAt == nil || !now.Before(a.SeenAt.Add(a.StaleDuration()))
	}
	return a.PendingSince != nil && !now.Before(a.PendingSince.Add(a.ForDuration()))
}

// fireDue fires one alert found due, if it still is once its metric is
// locked: a point applied meanwhile may have changed it.
func (s *Store) fireDue(ctx context.Context, projectID, id string, now time.Time) ([]AlertEventRef, error) {
	var refs []AlertEventRef
	err := s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		var a Alert
		if err := db.Where("project_id = ? AND id = ?", projectID, id).Take(&a).Error; err != nil {
			return ignoreMissing(err)
		}
		var m Metric
		q := db.Where("id = ?", a.MetricID)
		if s.postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Take(&m).Error; err != nil {
			return ignoreMissing(err)
		}
		if err := db.Where("id = ?", id).Take(&a).Error; err != nil || !a.Enabled || a.State != intake.AlertOK ||
			a.MetricID != m.ID || !sweepDue(a, now) {
			return ignoreMissing(err)
		}
		tx := s.newTx(db)
		reason := "the condition has held for " + a.ForDuration().String() + ": " + a.Condition
		if a.StaleAfter > 0 {
			reason = "no point for " + a.StaleDuration().String()
		}
		tx.transition(&a, intake.AlertFiring, m.Value, nil, "", reason, now)
		tx.alertDirty[a.ID] = &a
		if err := tx.flushAlerts(); err != nil {
			return err
		}
		refs = tx.committed
		return nil
	})
	return refs, err
}

func ignoreMissing(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	return err
}

// AlertNotice is what the notifications of one transition say, read
// when they are sent.
type AlertNotice struct {
	Event     AlertEvent
	Alert     Alert
	Metric    Metric
	Delivered map[string]bool // by channel key
}

// AlertNotice reads an event with its alert, metric and the channels
// already notified. A deleted alert has nothing to notify: not found.
func (s *Store) AlertNotice(ctx context.Context, ref AlertEventRef) (AlertNotice, error) {
	var n AlertNotice
	db := s.db.WithContext(ctx)
	if err := db.Where("project_id = ? AND id = ?", ref.ProjectID, ref.EventID).Take(&n.Event).Error; err != nil {
		return n, notFound(err, "alert event")
	}
	var err error
	if n.Alert, err = s.GetAlert(ctx, ref.ProjectID, n.Event.AlertID); err != nil {
		return n, err
	}
	if err := db.Where("project_id = ? AND id = ?", ref.ProjectID, n.Alert.MetricID).Take(&n.Metric).Error; err != nil {
		return n, notFound(err, "metric")
	}
	var done []AlertDelivery
	if err := db.Where("event_id = ?", ref.EventID).Find(&done).Error; err != nil {
		return n, err
	}
	n.Delivered = make(map[string]bool, len(done))
	for _, d := range done {
		n.Delivered[d.ChannelKey] = true
	}
	return n, nil
}

// MarkDelivered records that the channel with key channel got event's
// notification.
func (s *Store) MarkDelivered(ctx context.Context, eventID, channel string, at time.Time) error {
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&AlertDelivery{EventID: eventID, ChannelKey: channel, DeliveredAt: at.UTC()}).Error
}

// FinishDelivery records how an event's notifications ended: all sent,
// or given up on with the last error.
func (s *Store) FinishDelivery(ctx context.Context, ref AlertEventRef, failure error, at time.Time) error {
	set := map[string]any{"delivered_at": at.UTC(), "error": ""}
	if failure != nil {
		set = map[string]any{"failed": true, "error": fmt.Sprint(failure)}
	}
	return s.db.WithContext(ctx).Model(&AlertEvent{}).Where("project_id = ? AND id = ?", ref.ProjectID, ref.EventID).
		Updates(set).Error
}
