package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/api"
	"github.com/intakehq/intake/notify"
	"github.com/intakehq/intake/worker"
	historypb "go.temporal.io/api/history/v1"
)

// receiver is an alert channel: it verifies each notification's
// signature, fails the first failures requests with 500, and keeps what
// it accepted.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	secret   string
	failures int
	requests []string // webhook-id of every request
	accepted []notice
}

type notice struct{ id, body string }

func newReceiver(t *testing.T, failures int) *receiver {
	r := &receiver{failures: failures}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.requests = append(r.requests, req.Header.Get("webhook-id"))
		if err := notify.Verify(r.secret, req.Header, body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("a notification fails its signature: %v", err)
			http.Error(w, "bad signature", 400)
			return
		}
		if len(r.requests) <= r.failures {
			http.Error(w, "down", 500)
			return
		}
		r.accepted = append(r.accepted, notice{req.Header.Get("webhook-id"), string(body)})
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() ([]notice, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notice(nil), r.accepted...), append([]string(nil), r.requests...)
}

// waitFor waits until the receiver accepted n notifications.
func (r *receiver) waitFor(t *testing.T, n int, within time.Duration) []notice {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got, reqs := r.got()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver accepted %d notifications (of %d requests) in %s, want %d", len(got), len(reqs), within, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// newAlert creates an alert on p's revenue metric notifying r.
func newAlert(t *testing.T, p project, r *receiver, fields map[string]any) string {
	t.Helper()
	body := map[string]any{"name": "Revenue watch", "metric": "revenue",
		"channels": []map[string]any{{"type": "webhook", "url": r.URL + "/hook"}}}
	for k, v := range fields {
		body[k] = v
	}
	res := do(t, "POST", "/api/admin/alerts", p.adminKey, body)
	want(t, res, 201)
	chs, _ := res.body["channels"].([]any)
	if len(chs) != 1 {
		t.Fatalf("created alert %s", res.raw)
	}
	secret, _ := chs[0].(map[string]any)["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") || res.str("state") != "ok" {
		t.Fatalf("created alert %s: want state ok and the secret made, shown once", res.raw)
	}
	r.mu.Lock()
	r.secret = secret
	r.mu.Unlock()
	if got := do(t, "GET", "/api/admin/alerts/"+res.str("id"), p.adminKey, nil); strings.Contains(string(got.raw), secret) {
		t.Fatalf("the secret is shown again: %s", got.raw)
	}
	return res.str("id")
}

func push(t *testing.T, p project, v float64) {
	t.Helper()
	want(t, do(t, "POST", "/api/ingest/metric", p.ingestKey, map[string]any{"metric": "revenue", "value": v}), 200)
}

// TestAlertNotifiesOncePerTransition: a metric pushed below its
// threshold fires once, stays quiet while still below, and resolves once
// when back above; each notification is signed, says what happened, and
// the alert's state, events and gauge follow.
func TestAlertNotifiesOncePerTransition(t *testing.T) {
	p, r := newProject(t), newReceiver(t, 0)
	push(t, p, 5000)
	id := newAlert(t, p, r, map[string]any{"condition": "value < 1000"})
	push(t, p, 900)
	got := r.waitFor(t, 1, 20*time.Second)
	if !strings.Contains(got[0].body, `"type":"alert.firing"`) || !strings.Contains(got[0].body, `"formatted_value":"$900.00"`) {
		t.Fatalf("firing notification %s", got[0].body)
	}
	if res := do(t, "GET", "/api/admin/alerts/"+id, p.adminKey, nil); res.str("state") != "firing" {
		t.Fatalf("alert after firing: %s", res.raw)
	}
	if m := do(t, "GET", "/metrics", "", nil); !strings.Contains(string(m.raw), fmt.Sprintf(`intake_alerts_firing{project=%q} 1`, p.id)) {
		t.Fatalf("no firing gauge for %s", p.id)
	}
	// A point that changes no alert's state adds nothing in Temporal:
	// its call's workflow has the shape of any other.
	quiet := do(t, "POST", "/api/ingest/metric", p.ingestKey, map[string]any{"metric": "revenue", "value": 800})
	want(t, quiet, 200)
	shape(t, history(t, intake.WorkflowID(p.id, intake.APIConnector, quiet.str("ingest_id"))))
	push(t, p, 700)
	push(t, p, 1200)
	got = r.waitFor(t, 2, 20*time.Second)
	if !strings.Contains(got[1].body, `"type":"alert.resolved"`) || got[0].id == got[1].id {
		t.Fatalf("notifications %+v", got)
	}
	time.Sleep(1500 * time.Millisecond) // a second notification of either would have come by now
	if got, reqs := r.got(); len(got) != 2 || len(reqs) != 2 {
		t.Fatalf("%d notifications in %d requests, want 2 in 2: %+v", len(got), len(reqs), got)
	}
	ev := do(t, "GET", "/api/admin/alerts/"+id+"/events", p.adminKey, nil)
	want(t, ev, 200)
	evs, _ := ev.body["data"].([]any)
	if len(evs) != 2 || evs[0].(map[string]any)["state"] != "ok" || evs[1].(map[string]any)["value"] != 900.0 {
		t.Fatalf("events %s", ev.raw)
	}
}

// TestAlertReceiverFailingTwice: a channel that fails twice gets the
// transition on the third try, with the same webhook-id: one
// notification.
func TestAlertReceiverFailingTwice(t *testing.T) {
	p, r := newProject(t), newReceiver(t, 2)
	newAlert(t, p, r, map[string]any{"condition": "value < 0"})
	push(t, p, -1)
	got := r.waitFor(t, 1, 30*time.Second)
	time.Sleep(500 * time.Millisecond)
	_, reqs := r.got()
	if len(reqs) != 3 || reqs[0] != got[0].id || reqs[1] != got[0].id {
		t.Fatalf("requests %v, accepted %+v; want three tries of one notification", reqs, got)
	}
	wf := intake.AlertWorkflowID(p.id, got[0].id)
	events := closedHistory(t, wf)
	if name := events[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName(); name != "NotifyAlert" {
		t.Fatalf("workflow %s is a %s", wf, name)
	}
	record(t, events, "notify_alert")
}

// closedHistory waits for a workflow to close and returns its history.
func closedHistory(t *testing.T, id string) []*historypb.HistoryEvent {
	t.Helper()
	if err := e2e.temporal.GetWorkflow(context.Background(), id, "").Get(context.Background(), nil); err != nil {
		t.Fatalf("workflow %s: %v", id, err)
	}
	return history(t, id)
}

// TestStaleAlertFires: a metric without a point for stale_after fires
// (found by the intake-alerts Schedule), and its next point resolves it.
func TestStaleAlertFires(t *testing.T) {
	p, r := newProject(t), newReceiver(t, 0)
	newAlert(t, p, r, map[string]any{"stale_after": "2s"})
	got := r.waitFor(t, 1, 30*time.Second)
	if !strings.Contains(got[0].body, `"type":"alert.firing"`) || !strings.Contains(got[0].body, `"stale_after":"2s"`) {
		t.Fatalf("stale notification %s", got[0].body)
	}
	push(t, p, 1)
	got = r.waitFor(t, 2, 20*time.Second)
	if !strings.Contains(got[1].body, `"type":"alert.resolved"`) {
		t.Fatalf("resolved notification %s", got[1].body)
	}
	// The sweeps are the Schedule's workflows, in the Temporal UI.
	desc, err := e2e.temporal.ScheduleClient().GetHandle(context.Background(), worker.AlertScheduleID).Describe(context.Background())
	if err != nil || len(desc.Info.RecentActions) == 0 {
		t.Fatalf("the alerts schedule: %v, %+v", err, desc)
	}
	last := desc.Info.RecentActions[len(desc.Info.RecentActions)-1].StartWorkflowResult.WorkflowID
	record(t, closedHistory(t, last), "sweep_alerts")
}

// TestAlertValidation: what cannot work is refused at save with the
// field named, a condition's error with its line and column.
func TestAlertValidation(t *testing.T) {
	p := newProject(t)
	hook := []map[string]any{{"type": "webhook", "url": "https://93.184.216.34/hook"}}
	tests := []struct {
		name  string
		give  map[string]any
		field string
	}{
		{"no name", map[string]any{"metric": "revenue", "condition": "value < 1", "channels": hook}, "name"},
		{"unknown metric", map[string]any{"name": "x", "metric": "nope", "condition": "value < 1", "channels": hook}, "metric"},
		{"neither", map[string]any{"name": "x", "metric": "revenue", "channels": hook}, "condition"},
		{"both", map[string]any{"name": "x", "metric": "revenue", "condition": "value < 1", "stale_after": "1h", "channels": hook}, "stale_after"},
		{"bad duration", map[string]any{"name": "x", "metric": "revenue", "condition": "value < 1", "for": "soon", "channels": hook}, "for"},
		{"no channels", map[string]any{"name": "x", "metric": "revenue", "condition": "value < 1", "channels": []any{}}, "channels"},
		{"bad channel type", map[string]any{"name": "x", "metric": "revenue", "condition": "value < 1",
			"channels": []map[string]any{{"type": "email", "url": "https://93.184.216.34/"}}}, "channels[0].type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, "POST", "/api/admin/alerts", p.adminKey, tt.give)
			want(t, res, 400)
			if d, _ := res.body["details"].(map[string]any); d == nil || d["field"] != tt.field {
				t.Fatalf("details %s, want field %s", res.raw, tt.field)
			}
		})
	}
	res := do(t, "POST", "/api/admin/alerts", p.adminKey, map[string]any{"name": "x", "metric": "revenue",
		"condition": "value < 1000 &&\n  velue > 1", "channels": hook})
	want(t, res, 400)
	if d, _ := res.body["details"].([]any); len(d) != 1 || d[0].(map[string]any)["line"] != 2.0 || d[0].(map[string]any)["column"] != 3.0 {
		t.Fatalf("a condition's error: %s", res.raw)
	}
	// Without INTAKE_ALERTS_ALLOW_PRIVATE, a channel on this machine is refused.
	strict := serverWith(t, api.Options{})
	res = call(t, strict, "POST", "/api/admin/alerts", p.adminKey, map[string]any{"name": "x", "metric": "revenue",
		"condition": "value < 1", "channels": []map[string]any{{"type": "webhook", "url": "http://127.0.0.1:9/hook"}}})
	want(t, res, 400)
	if d, _ := res.body["details"].(map[string]any); d["field"] != "channels[0].url" || strings.Contains(string(res.raw), "127.0.0.1:9") {
		t.Fatalf("a loopback channel: %s", res.raw)
	}
}

// TestAlertDryRun: POST /alerts/test evaluates a condition on a
// hypothetical value with the metric's current value as previous.
func TestAlertDryRun(t *testing.T) {
	p := newProject(t)
	push(t, p, 100)
	res := do(t, "POST", "/api/admin/alerts/test", p.adminKey, map[string]any{"condition": "delta_pct <= -20", "metric": "revenue", "value": 75})
	want(t, res, 200)
	vars, _ := res.body["vars"].(map[string]any)
	if res.body["holds"] != true || vars["previous"] != 100.0 || vars["unit"] != "USD" || res.str("formatted_value") != "$75.00" {
		t.Fatalf("dry run %s", res.raw)
	}
	res = do(t, "POST", "/api/admin/alerts/test", p.adminKey, map[string]any{"condition": "value <", "value": 1})
	want(t, res, 400)
}

// TestAlertPatchAndDelete: an alert is disabled, changed and deleted.
func TestAlertPatchAndDelete(t *testing.T) {
	p, r := newProject(t), newReceiver(t, 0)
	id := newAlert(t, p, r, map[string]any{"condition": "value < 0"})
	res := do(t, "PATCH", "/api/admin/alerts/"+id, p.adminKey, map[string]any{"enabled": false, "condition": "value < 10", "for": "5m"})
	want(t, res, 200)
	if res.body["enabled"] != false || res.str("condition") != "value < 10" || res.str("for") != "5m" {
		t.Fatalf("patched %s", res.raw)
	}
	// A change of metric is looked up before the change is written (on
	// SQLite, inside it there is no second connection).
	want(t, do(t, "POST", "/api/admin/metrics", p.adminKey, map[string]any{"key": "mrr", "name": "MRR", "unit": "USD"}), 201)
	res = do(t, "PATCH", "/api/admin/alerts/"+id, p.adminKey, map[string]any{"metric": "mrr", "for": "10m"})
	want(t, res, 200)
	if res.str("metric") != "mrr" || res.str("for") != "10m" || res.str("condition") != "value < 10" {
		t.Fatalf("patched %s", res.raw)
	}
	// Given stale_after, a condition alert becomes a staleness one: its
	// condition and for go; for alone is refused on it.
	res = do(t, "PATCH", "/api/admin/alerts/"+id, p.adminKey, map[string]any{"stale_after": "1h"})
	want(t, res, 200)
	if res.str("stale_after") != "1h" || res.str("condition") != "" || res.str("for") != "" {
		t.Fatalf("switched to staleness: %s", res.raw)
	}
	want(t, do(t, "PATCH", "/api/admin/alerts/"+id, p.adminKey, map[string]any{"for": "5m"}), 400)
	res = do(t, "PATCH", "/api/admin/alerts/"+id, p.adminKey, map[string]any{"metric": "revenue", "condition": "value < 0"})
	want(t, res, 200)
	push(t, p, 1) // disabled: nothing fires
	list := do(t, "GET", "/api/admin/alerts", p.adminKey, nil)
	if data, _ := list.body["data"].([]any); len(data) != 1 || data[0].(map[string]any)["state"] != "ok" {
		t.Fatalf("list %s", list.raw)
	}
	// A channel's URL is shown masked, its query (where tokens go) never.
	res = do(t, "PATCH", "/api/admin/alerts/"+id, p.adminKey, map[string]any{
		"channels": []map[string]any{{"type": "slack", "url": r.URL + "/services/T0/B0/xoxb?token=SECRET-TOKEN"}}})
	want(t, res, 200)
	if got := do(t, "GET", "/api/admin/alerts/"+id, p.adminKey, nil); strings.Contains(string(got.raw), "SECRET") ||
		strings.Contains(string(got.raw), "/services/T0") || !strings.Contains(string(got.raw), "/…xoxb") {
		t.Fatalf("a channel's URL shown as %s", got.raw)
	}
	// Sent back as shown, a masked URL is refused rather than saved.
	shown := do(t, "GET", "/api/admin/alerts/"+id, p.adminKey, nil).body["channels"].([]any)[0].(map[string]any)["url"]
	res = do(t, "PATCH", "/api/admin/alerts/"+id, p.adminKey, map[string]any{"channels": []map[string]any{{"type": "slack", "url": shown}}})
	want(t, res, 400)
	res = do(t, "PATCH", "/api/admin/alerts/"+id, p.adminKey, map[string]any{"condition": "value < 5", "for": nil})
	want(t, res, 200)
	if res.str("for") != "" {
		t.Fatalf("for: null kept %s", res.raw)
	}
	want(t, do(t, "DELETE", "/api/admin/alerts/"+id, p.adminKey, nil), 204)
	want(t, do(t, "GET", "/api/admin/alerts/"+id, p.adminKey, nil), 404)
}
