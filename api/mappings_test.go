package api_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/intakehq/intake/store"
	enumspb "go.temporal.io/api/enums/v1"
)

func TestBadRuleIsRefusedWithItsPosition(t *testing.T) {
	p := newProject(t)
	r := do(t, "POST", "/api/admin/mappings", p.adminKey, `{"source": "shop", "rules": [
		{"name": "ok", "metric": "revenue", "value": "payload.total"},
		{"name": "typo", "metric": "revenue", "when": "payload.kind == 'x' &&\n  payload.total >", "value": "1"}]}`)
	want(t, r, 400)
	details, _ := r.body["details"].([]any)
	if len(details) != 1 {
		t.Fatalf("answer %s", r.raw)
	}
	d := details[0].(map[string]any)
	if d["rule"] != "typo" || d["field"] != "when" || d["line"] != 2.0 || d["column"] == nil || d["snippet"] == "" || d["message"] == "" {
		t.Fatalf("detail %v", d)
	}
	if got := do(t, "GET", "/api/admin/mappings?source=shop", p.adminKey, nil); got.body["version"] != 0.0 {
		t.Fatalf("a refused rule set was saved: %s", got.raw)
	}
}

func TestRulesTestEndpointWritesNothing(t *testing.T) {
	p := newProject(t)
	payload := `{"source": "shop", "data_type": "order", "total": 1999, "currency": "EUR"}`
	inboxed := do(t, "POST", "/api/ingest/data", p.ingestKey, payload)
	want(t, inboxed, 200)
	draft := `{"source": "shop", "rules": [
		{"name": "order total", "when": "event.type == 'order'", "metric": "revenue", "value": "cents(payload.total, payload.currency)", "op": "add"},
		{"name": "refunds", "when": "event.type == 'refund'", "metric": "revenue", "value": "1"},
		{"name": "broken", "metric": "revenue", "value": "payload.lines[3].amount"}]`
	for name, body := range map[string]string{
		"payload": draft + `, "payload": ` + payload + `}`,
		"inbox":   draft + `, "inbox_id": "` + inboxed.str("inbox_id") + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			r := do(t, "POST", "/api/admin/mappings/test", p.adminKey, body)
			want(t, r, 200)
			res := results(t, r)
			if len(res) != 3 || res[0]["matched"] != true || res[0]["value"] != 19.99 || res[0]["metric"] != "revenue" ||
				res[1]["matched"] != false || res[2]["matched"] != false || res[2]["error"] == nil {
				t.Fatalf("results %s", r.raw)
			}
		})
	}
	if n := len(p.points(t)); n != 0 {
		t.Fatalf("the dry run wrote %d points", n)
	}
	if got := do(t, "GET", "/api/admin/mappings?source=shop", p.adminKey, nil); got.body["version"] != 0.0 {
		t.Fatalf("the dry run saved rules: %s", got.raw)
	}
}

func TestInboxAssignThenReplayOnce(t *testing.T) {
	p := newProject(t)
	data := do(t, "POST", "/api/ingest/data", p.ingestKey, `{"source": "shop", "orders": 5}`)
	want(t, data, 200)
	if data.body["inboxed"] != true {
		t.Fatalf("data %s", data.raw)
	}
	assigned := do(t, "POST", "/api/admin/inbox/"+data.str("inbox_id")+"/assign", p.adminKey, `{"sourceField": "orders", "metricId": "revenue"}`)
	want(t, assigned, 200)
	if assigned.body["resolved"] != true {
		t.Fatalf("assign %s", assigned.raw)
	}
	pts := p.points(t)
	if len(pts) != 1 || pts[0].Value != 5 || pts[0].RuleVersion != 1 {
		t.Fatalf("points after assign %+v", pts)
	}
	if it := do(t, "GET", "/api/admin/inbox/"+data.str("inbox_id"), p.adminKey, nil); it.str("status") != store.InboxResolved {
		t.Fatalf("item after assign %s", it.raw)
	}
	want(t, do(t, "POST", "/api/admin/inbox/"+data.str("inbox_id")+"/assign", p.adminKey, `{"sourceField": "orders", "metricId": "revenue"}`), 409)

	// A metric nobody had defined, then defined: replays apply it once.
	for _, v := range []string{"1", "2"} {
		want(t, do(t, "POST", "/api/ingest/metric", p.ingestKey, `{"metric": "visitors", "value": `+v+`}`), 200)
	}
	stillOpen := do(t, "POST", "/api/admin/inbox/replay", p.adminKey, `{}`)
	want(t, stillOpen, 200)
	if stillOpen.body["total"] != 2.0 || stillOpen.body["still_open"] != 2.0 {
		t.Fatalf("replay before the metric exists %s", stillOpen.raw)
	}
	m := do(t, "POST", "/api/admin/metrics", p.adminKey, `{"key": "visitors", "name": "Visitors", "unit": "count"}`)
	want(t, m, 201)

	var wg sync.WaitGroup
	replies := make([]response, 3)
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = do(t, "POST", "/api/admin/inbox/replay", p.adminKey, `{"source": "api"}`)
		}()
	}
	wg.Wait()
	resolved := 0
	for _, r := range replies {
		want(t, r, 200)
		resolved += int(r.body["resolved"].(float64))
	}
	visitors, _, err := e2e.store.ListPoints(t.Context(), p.id, m.str("id"), store.PointRange{}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(visitors) != 2 || resolved != 2 {
		t.Fatalf("three concurrent replays: %d points, %d resolved, want 2 and 2: %s %s %s", len(visitors), resolved, replies[0].raw, replies[1].raw, replies[2].raw)
	}
	again := do(t, "POST", "/api/admin/inbox/replay", p.adminKey, `{}`)
	if again.body["total"] != 0.0 {
		t.Fatalf("resolved items replayed again: %s", again.raw)
	}

	// The replay is a parent workflow with a child per item.
	counts, wfType := eventCounts(t, stillOpen.str("workflow_id"))
	if wfType != "ReplayInbox" || counts[enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED] != 2 ||
		counts[enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED] != 2 {
		t.Fatalf("replay history: type %s, %v", wfType, counts)
	}
}

func TestRuleFailingAtRunTimeInboxesWithTheError(t *testing.T) {
	p := newProject(t)
	want(t, do(t, "POST", "/api/admin/mappings", p.adminKey, `{"source": "shop", "rules": [
		{"name": "third line", "metric": "revenue", "value": "payload.lines[2].amount"},
		{"name": "count", "metric": "revenue", "value": "len(payload.lines)", "op": "add"}]}`), 201)
	r := do(t, "POST", "/api/ingest/data", p.ingestKey, `{"source": "shop", "lines": [{"amount": 5}]}`)
	want(t, r, 200)
	if r.body["inboxed"] != true || !strings.Contains(r.str("message"), `rule "third line"`) || !strings.Contains(r.str("message"), "out of range") {
		t.Fatalf("answer %s", r.raw)
	}
	if pts := p.points(t); len(pts) != 1 || pts[0].Value != 1 {
		t.Fatalf("the rule that worked was not applied: %+v", pts)
	}
}

func TestRulesSeeAllowListedHeaders(t *testing.T) {
	p := newProject(t)
	want(t, do(t, "POST", "/api/admin/mappings", p.adminKey, `{"source": "hdr", "rules": [
		{"name": "from zapier", "when": "headers[\"x-source\"] == \"zapier\" && headers[\"authorization\"] == \"\"", "metric": "revenue", "value": "payload.n"}]}`), 201)
	r := do(t, "POST", "/api/ingest/data", p.ingestKey, `{"source": "hdr", "n": 3}`, "X-Source", "zapier")
	want(t, r, 200)
	if len(r.body["updated"].([]any)) != 1 {
		t.Fatalf("with the header: %s", r.raw)
	}
	r = do(t, "POST", "/api/ingest/data", p.ingestKey, `{"source": "hdr", "n": 3}`)
	if r.body["inboxed"] != true {
		t.Fatalf("without the header: %s", r.raw)
	}
}
