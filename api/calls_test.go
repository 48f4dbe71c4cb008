package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/intakehq/intake"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/store"
	enumspb "go.temporal.io/api/enums/v1"
)

func results(t *testing.T, r response) []map[string]any {
	t.Helper()
	raw, _ := r.body["results"].([]any)
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i], _ = v.(map[string]any)
	}
	return out
}

// eventCounts reads a workflow's history and counts its events by type.
func eventCounts(t *testing.T, workflowID string) (map[enumspb.EventType]int, string) {
	t.Helper()
	counts := map[enumspb.EventType]int{}
	var wfType string
	it := e2e.temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		counts[ev.GetEventType()]++
		if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil {
			wfType = a.GetWorkflowType().GetName()
		}
	}
	return counts, wfType
}

func TestBatchOfHundredIsOneWorkflow(t *testing.T) {
	p := newProject(t)
	items := make([]map[string]any, 100)
	for i := range items {
		items[i] = map[string]any{"metric": "revenue", "value": i, "timestamp": time.Now().Add(time.Duration(i-200) * time.Second).Unix()}
	}
	items[7] = map[string]any{"metric": "unknown_thing", "value": 1}
	r := do(t, "POST", "/api/ingest/batch", p.ingestKey, map[string]any{"metrics": items})
	want(t, r, 200)
	res := results(t, r)
	if len(res) != 100 || res[0]["status"] != "updated" || res[7]["status"] != "inboxed" || res[99]["new_value"] != "$99.00" {
		t.Fatalf("results %s", r.raw)
	}
	if n := len(p.points(t)); n != 99 {
		t.Fatalf("%d points, want 99", n)
	}
	counts, wfType := eventCounts(t, intake.WorkflowID(p.id, intake.APIConnector, r.str("ingest_id")))
	if wfType != "Ingest" || counts[enumspb.EVENT_TYPE_MARKER_RECORDED] != 1 || counts[enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED] != 1 {
		t.Fatalf("batch history: type %s, %v", wfType, counts)
	}
}

func TestBatchValidatesEachItem(t *testing.T) {
	p := newProject(t)
	r := do(t, "POST", "/api/ingest/batch", p.ingestKey, `{"metrics": [
		{"metric": "revenue", "value": 10},
		{"metric": "revenue", "value": "12"},
		{"value": 3},
		{"metric": "revenue", "value": 5, "op": "add"}]}`)
	want(t, r, 200)
	res := results(t, r)
	if len(res) != 4 || res[0]["status"] != "updated" || res[1]["status"] != "invalid" || res[1]["field"] != "metrics[1].value" ||
		res[2]["status"] != "invalid" || res[3]["new_value"] != "$15.00" {
		t.Fatalf("results %s", r.raw)
	}
	tests := []struct {
		name, give, field string
	}{
		{"101 items", `{"metrics": [` + strings.TrimSuffix(strings.Repeat(`{"metric":"revenue","value":1},`, 101), ",") + `]}`, "metrics"},
		{"empty", `{"metrics": []}`, "metrics"},
		{"missing", `{}`, "metrics"},
		{"not an array", `{"metrics": {}}`, "metrics"},
		{"all invalid", `{"metrics": [{"metric": 1}]}`, "metrics"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, "POST", "/api/ingest/batch", p.ingestKey, tt.give)
			want(t, r, 400)
			if d, _ := r.body["details"].(map[string]any); d["field"] != tt.field {
				t.Fatalf("answer %s", r.raw)
			}
		})
	}
	if n := len(p.points(t)); n != 2 {
		t.Fatalf("%d points, want 2", n)
	}
}

func TestDataFieldMappings(t *testing.T) {
	p := newProject(t)
	want(t, do(t, "POST", "/api/admin/metrics", p.adminKey, map[string]any{"key": "net", "name": "Net", "unit": "EUR"}), 201)
	saved := do(t, "POST", "/api/admin/mappings", p.adminKey, `{"source": "quickbooks", "rules": [
		{"sourceField": "TotalIncome", "metricId": "revenue"},
		{"name": "net", "metric": "net", "value": "num(payload.totals.net)", "when": "payload.data_type == 'report'"}]}`)
	want(t, saved, 201)
	if saved.body["version"] != 1.0 {
		t.Fatalf("saved %s", saved.raw)
	}

	body := `{"source": "quickbooks", "data_type": "report", "TotalIncome": 85000, "TotalExpenses": 1200, "totals": {"net": "83800.5"}}`
	r := do(t, "POST", "/api/ingest/data", p.ingestKey, body)
	want(t, r, 200)
	updated, _ := r.body["updated"].([]any)
	if len(updated) != 2 || r.body["inboxed"] != true || !strings.Contains(r.str("message"), "TotalExpenses") || r.body["rule_version"] != 1.0 {
		t.Fatalf("answer %s", r.raw)
	}
	if u := updated[0].(map[string]any); u["field"] != "TotalIncome" || u["new_value"] != "$85,000.00" {
		t.Fatalf("first update %v", u)
	}
	item, err := e2e.store.GetInboxItem(context.Background(), p.id, r.str("inbox_id"))
	if err != nil || item.Payload != body {
		t.Fatalf("inbox item %+v %v", item, err)
	}
	pts := p.points(t)
	if len(pts) != 1 || pts[0].RuleVersion != 1 || pts[0].Value != 85000 {
		t.Fatalf("points %+v", pts)
	}

	// Everything mapped: nothing inboxed.
	r = do(t, "POST", "/api/ingest/data", p.ingestKey, `{"source": "quickbooks", "TotalIncome": 90000}`)
	want(t, r, 200)
	if r.body["inboxed"] != false {
		t.Fatalf("answer %s", r.raw)
	}
	// A source nobody mapped: the whole object goes to the inbox.
	r = do(t, "POST", "/api/ingest/data", p.ingestKey, `{"source": "hubspot", "deals": 4}`)
	want(t, r, 200)
	if r.body["inboxed"] != true || len(r.body["updated"].([]any)) != 0 {
		t.Fatalf("answer %s", r.raw)
	}

	list := do(t, "GET", "/api/admin/mappings?source=quickbooks", p.adminKey, nil)
	want(t, list, 200)
	rules, _ := list.body["rules"].([]any)
	if len(rules) != 2 {
		t.Fatalf("mappings %s", list.raw)
	}
	id := rules[0].(map[string]any)["id"].(string)
	del := do(t, "DELETE", "/api/admin/mappings/"+id+"?source=quickbooks", p.adminKey, nil)
	want(t, del, 200)
	if del.body["version"] != 2.0 || len(del.body["rules"].([]any)) != 1 {
		t.Fatalf("after delete %s", del.raw)
	}
	want(t, do(t, "DELETE", "/api/admin/mappings/"+id+"?source=quickbooks", p.adminKey, nil), 404)
	for _, bad := range []string{
		`{"source": "x", "rules": [{"sourceField": "a"}]}`,
		`{"source": "x", "rules": [{"name": "n", "metric": "m", "value": "paylod.a"}]}`,
		`{"rules": [{"sourceField": "a", "metricId": "m"}]}`,
	} {
		want(t, do(t, "POST", "/api/admin/mappings", p.adminKey, bad), 400)
	}
	want(t, do(t, "POST", "/api/ingest/data", p.ingestKey, `{"TotalIncome": 1}`), 400)
}

func TestTasksUpsertBySenderID(t *testing.T) {
	p := newProject(t)
	r := do(t, "POST", "/api/ingest/tasks", p.ingestKey, `{"source": "crm", "tasks": [
		{"id": "t-1", "text": "Call Acme", "dueDate": "2030-01-02", "priority": "high"},
		{"text": "Send invoice", "priority": 2}]}`)
	want(t, r, 200)
	if r.body["created"] != 2.0 || r.body["total"] != 2.0 {
		t.Fatalf("answer %s", r.raw)
	}
	r = do(t, "POST", "/api/ingest/tasks", p.ingestKey, `{"source": "crm", "tasks": [{"id": "t-1", "text": "Call Acme again"}]}`)
	want(t, r, 200)
	if r.body["created"] != 0.0 || r.body["updated"] != 1.0 || r.body["total"] != 2.0 {
		t.Fatalf("answer %s", r.raw)
	}
	list := do(t, "GET", "/api/admin/tasks?source=crm", p.adminKey, nil)
	want(t, list, 200)
	var tasks struct{ Data []store.Task }
	_ = json.Unmarshal(list.raw, &tasks)
	if len(tasks.Data) != 2 || !strings.Contains(string(list.raw), "Call Acme again") {
		t.Fatalf("tasks %s", list.raw)
	}
	for field, give := range map[string]string{
		"tasks[0].text":    `{"source": "crm", "tasks": [{"id": 1}]}`,
		"tasks[0].dueDate": `{"source": "crm", "tasks": [{"text": "x", "dueDate": "soon"}]}`,
		"source":           `{"tasks": [{"text": "x"}]}`,
		"tasks":            `{"source": "crm", "tasks": []}`,
	} {
		r := do(t, "POST", "/api/ingest/tasks", p.ingestKey, give)
		if d, _ := r.body["details"].(map[string]any); r.status != 400 || d["field"] != field {
			t.Errorf("%s: %d %s", field, r.status, r.raw)
		}
	}
}

func TestCustomWebhookCreatesMetrics(t *testing.T) {
	p := newProject(t)
	r := do(t, "POST", "/api/webhooks/custom", p.ingestKey, `{"metricId": "new_signups", "name": "New Signups", "value": 12, "unit": "count"}`)
	want(t, r, 200)
	if res := results(t, r); len(res) != 1 || res[0]["status"] != "updated" || res[0]["display"] != "12" {
		t.Fatalf("answer %s", r.raw)
	}
	ms := fmt.Sprint(time.Now().Add(-time.Minute).UnixMilli())
	r = do(t, "POST", "/api/webhooks/custom", p.ingestKey, `{"projectId": "`+p.id+`", "metrics": [
		{"metricId": "new_signups", "value": 15, "timestamp": `+ms+`},
		{"metricId": "churned", "name": "Churned", "value": 1}]}`)
	want(t, r, 200)
	metrics := do(t, "GET", "/api/admin/metrics", p.adminKey, nil)
	if !strings.Contains(string(metrics.raw), `"key":"churned"`) || !strings.Contains(string(metrics.raw), `"name":"New Signups"`) {
		t.Fatalf("metrics %s", metrics.raw)
	}
	future := fmt.Sprint(time.Now().Add(time.Hour).UnixMilli())
	tests := []struct {
		name, give string
		status     int
		field      string
	}{
		{"camelCase id", `{"metricId": "NewSignups", "value": 1}`, 400, "metricId"},
		{"string value", `{"metricId": "a", "value": "12"}`, 400, "value"},
		{"future", `{"metricId": "a", "value": 1, "timestamp": ` + future + `}`, 400, "timestamp"},
		{"item field", `{"metrics": [{"metricId": "a", "value": 1}, {"metricId": "b"}]}`, 400, "metrics[1].value"},
		{"other project", `{"metricId": "a", "value": 1, "projectId": "p_someone_else"}`, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, "POST", "/api/webhooks/custom", p.ingestKey, tt.give)
			want(t, r, tt.status)
			if d, _ := r.body["details"].(map[string]any); tt.field != "" && d["field"] != tt.field {
				t.Fatalf("answer %s", r.raw)
			}
		})
	}
	if strings.Contains(string(do(t, "GET", "/api/admin/metrics", p.adminKey, nil).raw), `"key":"a"`) {
		t.Fatal("a refused request created a metric")
	}
}

func TestPointsHistoryAndCounters(t *testing.T) {
	p := newProject(t)
	base := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	for i, v := range []float64{5, 7, 11} {
		ts := base.Add(time.Duration(i) * time.Hour).Format(time.RFC3339)
		want(t, do(t, "POST", "/api/ingest/metric", p.ingestKey, fmt.Sprintf(`{"metric":"revenue","value":%v,"op":"add","timestamp":%q,"metadata":{"n":%d}}`, v, ts, i)), 200)
	}
	metrics := do(t, "GET", "/api/admin/metrics", p.adminKey, nil)
	if !strings.Contains(string(metrics.raw), `"display":"$23.00"`) {
		t.Fatalf("counter did not add up: %s", metrics.raw)
	}
	path := "/api/admin/metrics/" + p.metricID + "/points?limit=1&from=2026-01-01T10:30:00Z"
	var seen []float64
	for cursor := ""; ; {
		r := do(t, "GET", path+"&cursor="+cursor, p.adminKey, nil)
		want(t, r, 200)
		for _, d := range r.body["data"].([]any) {
			seen = append(seen, d.(map[string]any)["value"].(float64))
		}
		if cursor = r.str("next_cursor"); cursor == "" {
			break
		}
	}
	first := do(t, "GET", path, p.adminKey, nil)
	if pt := first.body["data"].([]any)[0].(map[string]any); pt["delta"] != 11.0 || pt["metadata"].(map[string]any)["n"] != 2.0 || pt["call_id"] == "" {
		t.Fatalf("point %s", first.raw)
	}
	if fmt.Sprint(seen) != "[23 12]" {
		t.Fatalf("history from 10:30, latest first: %v", seen)
	}
	want(t, do(t, "GET", "/api/admin/metrics/"+p.metricID+"/points?to=never", p.adminKey, nil), 400)
	want(t, do(t, "GET", "/api/admin/metrics/m_nope/points", p.adminKey, nil), 404)
}

func TestInboxTriage(t *testing.T) {
	p := newProject(t)
	a := do(t, "POST", "/api/ingest/metric", p.ingestKey, `{"metric":"ghost","value":1,"source":"zapier"}`)
	b := do(t, "POST", "/api/ingest/metric", p.ingestKey, `{"metric":"ghost","value":2,"source":"cron"}`)
	want(t, a, 200)
	want(t, b, 200)
	list := do(t, "GET", "/api/admin/inbox?source=zapier", p.adminKey, nil)
	want(t, list, 200)
	if data := list.body["data"].([]any); len(data) != 1 || data[0].(map[string]any)["id"] != a.str("inbox_id") {
		t.Fatalf("inbox %s", list.raw)
	}
	one := do(t, "GET", "/api/admin/inbox/"+a.str("inbox_id"), p.adminKey, nil)
	want(t, one, 200)
	if payload, _ := one.body["payload"].(map[string]any); payload["metric"] != "ghost" {
		t.Fatalf("item %s", one.raw)
	}
	dismissed := do(t, "POST", "/api/admin/inbox/"+a.str("inbox_id")+"/dismiss", p.adminKey, nil)
	want(t, dismissed, 200)
	if dismissed.str("status") != "dismissed" {
		t.Fatalf("dismissed %s", dismissed.raw)
	}
	open := do(t, "GET", "/api/admin/inbox?status=open", p.adminKey, nil)
	if data := open.body["data"].([]any); len(data) != 1 || data[0].(map[string]any)["id"] != b.str("inbox_id") {
		t.Fatalf("open inbox %s", open.raw)
	}
	want(t, do(t, "GET", "/api/admin/inbox?status=maybe", p.adminKey, nil), 400)
	other := newProject(t)
	want(t, do(t, "GET", "/api/admin/inbox/"+a.str("inbox_id"), other.adminKey, nil), 404)
}

// TestRuleTimesInTheFutureAreRefused: a rule whose time for an update is
// more than five minutes after the call arrived (a typo'd year, a hostile
// payload) updates nothing; the payload goes to the inbox saying why, and
// later updates still move the metric.
func TestRuleTimesInTheFutureAreRefused(t *testing.T) {
	p := newProject(t)
	want(t, do(t, "POST", "/api/admin/mappings", p.adminKey, `{"source": "shop", "rules": [
		{"name": "sales", "metric": "revenue", "value": "num(payload.total)", "timestamp": "payload.at"}]}`), 201)
	r := do(t, "POST", "/api/ingest/data", p.ingestKey, `{"source": "shop", "total": 999999, "at": "9999-12-31T00:00:00Z"}`)
	want(t, r, 200)
	if r.body["inboxed"] != true || !strings.Contains(r.str("message"), "after the call arrived") || len(r.body["updated"].([]any)) != 0 {
		t.Fatalf("a time in 9999: %s", r.raw)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	r = do(t, "POST", "/api/ingest/data", p.ingestKey, `{"source": "shop", "total": 12, "at": "`+now+`"}`)
	want(t, r, 200)
	if u, _ := r.body["updated"].([]any); len(u) != 1 || u[0].(map[string]any)["current"] != true {
		t.Fatalf("the next update: %s", r.raw)
	}
	if pts := p.points(t); len(pts) != 1 || pts[0].Value != 12 {
		t.Fatalf("points %+v", pts)
	}
}

// TestRuleOutputsTheDatabaseWouldRefuse: a rule whose metric comes from a
// payload string holding NUL (which PostgreSQL refuses) or far too long,
// or whose value is not finite, is the rule's problem: the payload goes to
// the inbox saying why, and the call is done, never retried.
func TestRuleOutputsTheDatabaseWouldRefuse(t *testing.T) {
	p := newProject(t)
	want(t, do(t, "POST", "/api/admin/mappings", p.adminKey, `{"source": "odd", "rules": [
		{"name": "kind", "metric": "payload.kind", "value": "num(payload.v) * 10"}]}`), 201)
	for _, tt := range []struct{ name, body, says string }{
		{"NUL", `{"source": "odd", "kind": "rev\u0000enue", "v": 1}`, "control characters"},
		{"too long", `{"source": "odd", "kind": "` + strings.Repeat("r", 300) + `", "v": 1}`, "longer than"},
		{"not finite", `{"source": "odd", "kind": "revenue", "v": 1e308}`, "finite"},
	} {
		r := do(t, "POST", "/api/ingest/data", p.ingestKey, tt.body)
		want(t, r, 200)
		if r.body["inboxed"] != true || !strings.Contains(r.str("message"), tt.says) {
			t.Fatalf("%s: %s", tt.name, r.raw)
		}
	}
	if failed := do(t, "GET", "/api/admin/calls?status=failed", p.adminKey, nil); len(failed.body["data"].([]any)) != 0 {
		t.Fatalf("calls failed: %s", failed.raw)
	}
	if n := len(p.points(t)); n != 0 {
		t.Fatalf("%d points written", n)
	}
}

// TestDashelloTasksExampleVerbatim: the tasks example of Dashello's docs
// (../shared/docs/seeds), body as printed, "priority": true included.
func TestDashelloTasksExampleVerbatim(t *testing.T) {
	p := newProject(t)
	r := do(t, "POST", "/api/ingest/tasks", p.ingestKey, `{
"source": "asana",
"tasks": [
{ "text": "Review Q2 budget", "dueDate": "2026-06-15", "priority": true },
{ "text": "Update team on project status", "notes": "Include timeline changes" }
]
}`)
	want(t, r, 200)
	if r.body["ok"] != true || r.body["created"] != 2.0 || r.body["total"] != 2.0 {
		t.Fatalf("answer %s", r.raw)
	}
	tasks := do(t, "GET", "/api/admin/tasks?source=asana", p.adminKey, nil)
	found := false
	for _, d := range tasks.body["data"].([]any) {
		if task := d.(map[string]any); task["text"] == "Review Q2 budget" {
			found = task["priority"] == "true"
		}
	}
	if !found {
		t.Fatalf("the priority task: %s", tasks.raw)
	}
}
