package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/encryption"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/store"
)

// firedLog collects what the store reports as committed transitions.
type firedLog struct {
	mu   sync.Mutex
	refs []store.AlertEventRef
}

func (l *firedLog) fired(_ context.Context, refs []store.AlertEventRef) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refs = append(l.refs, refs...)
}

func (l *firedLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.refs)
}

func (f fixture) alerting(t *testing.T) *firedLog {
	t.Helper()
	log := &firedLog{}
	f.st.UseAlerts(store.Alerting{Conditions: mapping.NewConditions(16), Fired: log.fired})
	return log
}

func (f fixture) alert(t *testing.T, a store.Alert) store.Alert {
	t.Helper()
	a.ID, a.ProjectID, a.MetricID, a.Enabled, a.Channels = intake.NewID("al"), f.project.ID, f.metric.ID, true, `[]`
	if a.Name == "" {
		a.Name = "test"
	}
	if err := f.st.CreateAlert(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func (f fixture) events(t *testing.T, alertID string) []store.AlertEvent {
	t.Helper()
	evs, _, err := f.st.ListAlertEvents(context.Background(), f.project.ID, alertID, store.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestAlertFiresOnceAndResolvesOnce: values below the threshold fire the
// alert once, more of them keep it firing without an event, and a value
// back above resolves it once; each transition is reported after commit
// with the value that caused it.
func TestAlertFiresOnceAndResolvesOnce(t *testing.T) {
	f := newFixture(t)
	log := f.alerting(t)
	a := f.alert(t, store.Alert{Condition: "value < 1000"})
	now := time.Now()
	for i, v := range []float64{5000, 900, 800, 700, 1200, 1300} {
		if _, err := f.applyMetric(f.call(intake.NewID("ing")), update(f.metric.Key, v, now.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	evs := f.events(t, a.ID)
	if len(evs) != 2 || log.len() != 2 {
		t.Fatalf("events %+v, reported %d; want one firing and one resolved", evs, log.len())
	}
	resolved, fired := evs[0], evs[1] // newest first
	if fired.State != intake.AlertFiring || *fired.Value != 900 || *fired.Previous != 5000 || fired.CallID == "" {
		t.Fatalf("firing event %+v", fired)
	}
	if resolved.State != intake.AlertOK || *resolved.Value != 1200 {
		t.Fatalf("resolved event %+v", resolved)
	}
	first, next, err := f.st.ListAlertEvents(context.Background(), f.project.ID, a.ID, store.Page{Limit: 1})
	if err != nil || len(first) != 1 || first[0].ID != resolved.ID || next == "" {
		t.Fatalf("first page %+v %q %v", first, next, err)
	}
	second, last, err := f.st.ListAlertEvents(context.Background(), f.project.ID, a.ID, store.Page{Limit: 1, Cursor: next})
	if err != nil || len(second) != 1 || second[0].ID != fired.ID || last != "" {
		t.Fatalf("second page %+v %q %v", second, last, err)
	}
	got, err := f.st.GetAlert(context.Background(), f.project.ID, a.ID)
	if err != nil || got.State != intake.AlertOK || *got.LastValue != 1300 {
		t.Fatalf("alert after: %+v, %v", got, err)
	}
}

// TestAlertDeltaAndFor: delta_pct compares with the value before; a
// condition with For fires only when a sweep finds it held that long.
func TestAlertDeltaAndFor(t *testing.T) {
	f := newFixture(t)
	f.alerting(t)
	drop := f.alert(t, store.Alert{Condition: "delta_pct <= -20"})
	held := f.alert(t, store.Alert{Condition: "value > 0", For: 1})
	now := time.Now()
	for i, v := range []float64{100, 90, 60} {
		if _, err := f.applyMetric(f.call(intake.NewID("ing")), update(f.metric.Key, v, now.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	if evs := f.events(t, drop.ID); len(evs) != 1 || *evs[0].Value != 60 {
		t.Fatalf("delta alert events %+v: want one, at 60 (-33%%)", evs)
	}
	if evs := f.events(t, held.ID); len(evs) != 0 {
		t.Fatalf("the held alert fired before its For: %+v", evs)
	}
	refs, err := f.st.SweepAlerts(context.Background(), time.Now().Add(2*time.Second), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if evs := f.events(t, held.ID); len(evs) != 1 || evs[0].State != intake.AlertFiring || len(refs) != 1 {
		t.Fatalf("after the sweep: events %+v, refs %+v", evs, refs)
	}
}

// TestStaleAlert: a sweep fires a metric without a point past
// stale_after, once; the next point resolves it. A sweep also returns
// transitions whose notifications are still due once they are older
// than the grace.
func TestStaleAlert(t *testing.T) {
	f := newFixture(t)
	log := f.alerting(t)
	a := f.alert(t, store.Alert{StaleAfter: 60})
	ctx := context.Background()
	if refs, err := f.st.SweepAlerts(ctx, time.Now(), time.Hour); err != nil || len(refs) != 0 {
		t.Fatalf("a fresh alert swept: %v %v", refs, err)
	}
	later := time.Now().Add(2 * time.Minute)
	for range 2 {
		if _, err := f.st.SweepAlerts(ctx, later, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if evs := f.events(t, a.ID); len(evs) != 1 || evs[0].State != intake.AlertFiring {
		t.Fatalf("stale events %+v", evs)
	}
	if _, err := f.applyMetric(f.call(intake.NewID("ing")), update(f.metric.Key, 1, time.Now())); err != nil {
		t.Fatal(err)
	}
	evs := f.events(t, a.ID) // by time: the sweep's is in the future this test swept at
	if len(evs) != 2 || evs[1].State != intake.AlertOK || log.len() != 1 {
		t.Fatalf("after a point: events %+v, reported by applies %d", evs, log.len())
	}
	soon := time.Now().Add(30 * time.Second) // the metric is not stale again yet
	refs, err := f.st.SweepAlerts(ctx, soon, 10*time.Second)
	if err != nil || len(refs) != 2 {
		t.Fatalf("undelivered transitions: %v %v", refs, err)
	}
	if err := f.st.FinishDelivery(ctx, refs[0], nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	if refs, _ = f.st.SweepAlerts(ctx, soon, 10*time.Second); len(refs) != 1 {
		t.Fatalf("a delivered transition is still due: %v", refs)
	}
}

// TestAlertChannelsAreSealed: channels hold secrets (a Slack URL is one);
// with keys they are sealed in the row and read back whole.
func TestAlertChannelsAreSealed(t *testing.T) {
	f := newFixture(t)
	f.st.UseKeys(keyring(t, newKey(t, "k1")))
	a := f.alert(t, store.Alert{Condition: "value < 1"})
	raw, err := f.st.RawChannels(context.Background(), a.ID)
	if err != nil || encryption.SealedWith([]byte(raw)) != "k1" {
		t.Fatalf("channels stored as %q (%v)", raw, err)
	}
	got, err := f.st.GetAlert(context.Background(), f.project.ID, a.ID)
	if err != nil || got.Channels != "[]" {
		t.Fatalf("read back %q, %v", got.Channels, err)
	}
}

// TestDisabledAlertIsNotEvaluated: a disabled or deleted alert sees no
// point; enabled again, it does.
func TestDisabledAlertIsNotEvaluated(t *testing.T) {
	f := newFixture(t)
	f.alerting(t)
	ctx := context.Background()
	a := f.alert(t, store.Alert{Condition: "value < 10"})
	set := func(enabled bool) {
		t.Helper()
		if _, err := f.st.UpdateAlert(ctx, f.project.ID, a.ID, func(a *store.Alert) error { a.Enabled = enabled; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	push := func(v float64) {
		t.Helper()
		if _, err := f.applyMetric(f.call(intake.NewID("ing")), update(f.metric.Key, v, time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	set(false)
	push(1)
	if evs := f.events(t, a.ID); len(evs) != 0 {
		t.Fatalf("a disabled alert fired: %+v", evs)
	}
	set(true)
	push(2)
	if evs := f.events(t, a.ID); len(evs) != 1 {
		t.Fatalf("an enabled alert did not fire: %+v", evs)
	}
	// Disabled while firing, it resolves, saying so (and is notified).
	set(false)
	if evs := f.events(t, a.ID); len(evs) != 2 || evs[0].State != intake.AlertOK || evs[0].Reason != "the alert was disabled" {
		t.Fatalf("disabling a firing alert: %+v", evs)
	}
	if refs, err := f.st.SweepAlerts(ctx, time.Now().Add(time.Hour), time.Minute); err != nil || len(refs) != 2 {
		t.Fatalf("the resolution is not due for notification: %v %v", refs, err)
	}
	if err := f.st.DeleteAlert(ctx, f.project.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	push(20)
	if m, err := f.st.GetMetric(ctx, f.project.ID, f.metric.ID); err != nil || m.Alerts != 0 || m.Value != 20 {
		t.Fatalf("after the delete: %+v %v", m, err)
	}
}

// TestDeletedMetricIsNotWatched: a metric alerts watch cannot be deleted;
// once deleted (its points with it), no alert can be made or moved to it,
// however the two interleave (both lock the metric's row).
func TestDeletedMetricIsNotWatched(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.applyMetric(f.call(intake.NewID("ing")), update("revenue", 3, time.Now())); err != nil {
		t.Fatal(err)
	}
	a := f.alert(t, store.Alert{Condition: "value < 0"})
	if err := f.st.DeleteMetric(ctx, f.project.ID, f.metric.ID); intake.ErrorCode(err) != intake.ErrConflict {
		t.Fatalf("deleting a watched metric: %v", err)
	}
	other := store.Metric{ID: intake.NewID("m"), ProjectID: f.project.ID, Key: "other", Name: "Other"}
	if err := f.st.CreateMetric(ctx, &other); err != nil {
		t.Fatal(err)
	}
	if err := f.st.DeleteAlert(ctx, f.project.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.st.DeleteMetric(ctx, f.project.ID, f.metric.ID); err != nil {
		t.Fatal(err)
	}
	if pts := f.points(t); len(pts) != 0 {
		t.Fatalf("the deleted metric's points remain: %+v", pts)
	}
	late := store.Alert{ID: intake.NewID("al"), ProjectID: f.project.ID, MetricID: f.metric.ID, Name: "late", Enabled: true, Channels: `[]`}
	if err := f.st.CreateAlert(ctx, &late); intake.ErrorCode(err) != intake.ErrNotFound {
		t.Fatalf("an alert on a deleted metric: %v", err)
	}
	b := store.Alert{ID: intake.NewID("al"), ProjectID: f.project.ID, MetricID: other.ID, Name: "moved", Enabled: true, Channels: `[]`}
	if err := f.st.CreateAlert(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.UpdateAlert(ctx, f.project.ID, b.ID, func(a *store.Alert) error { a.MetricID = f.metric.ID; return nil }); intake.ErrorCode(err) != intake.ErrNotFound {
		t.Fatalf("moving an alert to a deleted metric: %v", err)
	}
	renamed, err := f.st.UpdateMetric(ctx, f.project.ID, other.ID, func(m *store.Metric) error { m.Name, m.Unit = "Renamed", "EUR"; return nil })
	if err != nil || renamed.Name != "Renamed" || renamed.Unit != "EUR" || renamed.Key != "other" {
		t.Fatalf("renamed %+v %v", renamed, err)
	}
}
