package api_test

import (
	"encoding/json"
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

// TestConcurrentAssignsApplyOnce: an item assigned three times at once (a
// double-clicked button, a retried request) gets its rule once and is
// applied once; a resolved item cannot be dismissed.
func TestConcurrentAssignsApplyOnce(t *testing.T) {
	p := newProject(t)
	data := do(t, "POST", "/api/ingest/data", p.ingestKey, `{"source": "till", "orders": 5}`)
	want(t, data, 200)
	item := data.str("inbox_id")
	var wg sync.WaitGroup
	statuses := make([]int, 3)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = do(t, "POST", "/api/admin/inbox/"+item+"/assign", p.adminKey, `{"sourceField": "orders", "metricId": "revenue"}`).status
		}()
	}
	wg.Wait()
	for _, st := range statuses {
		if st != 200 && st != 409 {
			t.Fatalf("assign answers %v", statuses)
		}
	}
	if pts := p.points(t); len(pts) != 1 || pts[0].Value != 5 {
		t.Fatalf("points after concurrent assigns %+v", pts)
	}
	rules := do(t, "GET", "/api/admin/mappings?source=till", p.adminKey, nil)
	if rs, _ := rules.body["rules"].([]any); len(rs) != 1 || rules.body["version"] != 1.0 {
		t.Fatalf("rules after concurrent assigns %s", rules.raw)
	}
	want(t, do(t, "POST", "/api/admin/inbox/"+item+"/dismiss", p.adminKey, nil), 409)
	if it := do(t, "GET", "/api/admin/inbox/"+item, p.adminKey, nil); it.str("status") != store.InboxResolved {
		t.Fatalf("item %s", it.raw)
	}
}

// TestMappingsTestEvaluatesAsTheLivePath: a dry run sees what the live
// path sees. A delivery tested against a connector's rules is read into
// its events and meets the provider's default rules; a webhook inbox item
// is its event, event.type included.
func TestMappingsTestEvaluatesAsTheLivePath(t *testing.T) {
	base := webhookServer(t)
	p := newProject(t)
	d := loadFixture(t, "hubspot", "deal.propertyChange")
	conn := newConnector(t, p, "hubspot", fixtureSecrets["hubspot"], map[string]any{"public_url": d.signedURL})
	r := post(t, base+"/api/webhook/hubspot?connector_id="+conn["id"].(string), d)
	want(t, r, 200)
	settle(t, r)

	dry := do(t, "POST", "/api/admin/mappings/test", p.adminKey, `{"connector_id": "`+conn["id"].(string)+`", "payload": `+string(d.body)+`}`)
	want(t, dry, 200)
	matched := 0
	events, _ := dry.body["events"].([]any)
	for _, e := range events {
		for _, res := range e.(map[string]any)["results"].([]any) {
			if res.(map[string]any)["matched"] == true {
				matched++
			}
		}
	}
	if len(events) == 0 || matched == 0 {
		t.Fatalf("the delivery against the connector's default rules: %s", dry.raw)
	}

	inbox := do(t, "GET", "/api/admin/inbox?status=open", p.adminKey, nil)
	items, _ := inbox.body["data"].([]any)
	if len(items) != 1 {
		t.Fatalf("inbox %s", inbox.raw)
	}
	item := items[0].(map[string]any)["id"].(string)
	byType := do(t, "POST", "/api/admin/mappings/test", p.adminKey, `{"inbox_id": "`+item+`", "rules": [
		{"name": "typed", "when": "event.type != \"\"", "metric": "revenue", "value": "1"}]}`)
	want(t, byType, 200)
	if res := results(t, byType); len(res) != 1 || res[0]["matched"] != true {
		t.Fatalf("the inbox item's event.type: %s", byType.raw)
	}
}

// TestConnectorDefaultsAreTheEffectiveRules: a connector running on its
// provider's default rules shows them as its rules; assigning an inbox
// item adds a rule beside them rather than switching them off.
func TestConnectorDefaultsAreTheEffectiveRules(t *testing.T) {
	base := webhookServer(t)
	p := newProject(t)
	d := loadFixture(t, "hubspot", "deal.propertyChange")
	conn := newConnector(t, p, "hubspot", fixtureSecrets["hubspot"], map[string]any{"public_url": d.signedURL})
	id := conn["id"].(string)
	shown := do(t, "GET", "/api/admin/mappings?connector_id="+id, p.adminKey, nil)
	defaults, _ := shown.body["rules"].([]any)
	if shown.body["defaults"] != true || len(defaults) == 0 || shown.body["version"] != 0.0 {
		t.Fatalf("a connector on its defaults: %s", shown.raw)
	}
	r := post(t, base+"/api/webhook/hubspot?connector_id="+id, d)
	want(t, r, 200)
	settle(t, r)
	inbox := do(t, "GET", "/api/admin/inbox?status=open", p.adminKey, nil)
	items, _ := inbox.body["data"].([]any)
	if len(items) != 1 {
		t.Fatalf("inbox %s", inbox.raw)
	}
	assigned := do(t, "POST", "/api/admin/inbox/"+items[0].(map[string]any)["id"].(string)+"/assign", p.adminKey,
		map[string]any{"name": "every other event", "metric": "revenue", "value": "1", "op": "add"})
	want(t, assigned, 200)
	after := do(t, "GET", "/api/admin/mappings?connector_id="+id, p.adminKey, nil)
	rules, _ := after.body["rules"].([]any)
	if after.body["defaults"] == true || after.body["version"] != 1.0 || len(rules) != len(defaults)+1 {
		t.Fatalf("after assigning: %s", after.raw)
	}
	for i, d := range defaults {
		if rules[i].(map[string]any)["name"] != d.(map[string]any)["name"] {
			t.Fatalf("rule %d is %v, want the default %v", i, rules[i], d)
		}
	}
}

// TestMetricPushesConsultRules: a metric push whose metric no id, key or
// name matches is matched by its source's rules (the push's body is the
// payload); one no rule matches goes to the inbox, and assigning it a rule
// applies it.
func TestMetricPushesConsultRules(t *testing.T) {
	p := newProject(t)
	want(t, do(t, "POST", "/api/admin/mappings", p.adminKey, `{"source": "crm", "rules": [
		{"name": "mrr is revenue", "when": "payload.metric == \"mrr\"", "metric": "revenue", "value": "num(payload.value)"}]}`), 201)
	r := do(t, "POST", "/api/ingest/metric", p.ingestKey, `{"metric": "mrr", "value": 42, "source": "crm"}`)
	want(t, r, 200)
	if r.str("metric_id") != p.metricID || r.body["inboxed"] == true {
		t.Fatalf("a push matched by a rule: %s", r.raw)
	}
	other := do(t, "POST", "/api/ingest/metric", p.ingestKey, `{"metric": "arr", "value": 504, "source": "crm"}`)
	want(t, other, 200)
	if other.body["inboxed"] != true {
		t.Fatalf("a push no rule matches: %s", other.raw)
	}
	assigned := do(t, "POST", "/api/admin/inbox/"+other.str("inbox_id")+"/assign", p.adminKey,
		map[string]any{"name": "arr is revenue", "when": `payload.metric == "arr"`, "metric": "revenue", "value": "num(payload.value) / 12"})
	want(t, assigned, 200)
	if assigned.body["resolved"] != true {
		t.Fatalf("assigning a metric item: %s", assigned.raw)
	}
	if pts := p.points(t); len(pts) != 2 || pts[0].Value+pts[1].Value != 84 {
		t.Fatalf("points %+v, want 42 and 42", pts)
	}
}

// TestRuleEditsKeepWhatTheyCreate: a rule that creates its metric keeps
// create and unit through every edit; a unit without create is refused;
// one rule is added beside the others, which keep their ids, and to a
// connector on its defaults as version 1 of its own; a draft for a
// connector reads a pasted payload as its provider delivers it.
func TestRuleEditsKeepWhatTheyCreate(t *testing.T) {
	p := newProject(t)
	creating := map[string]any{"name": "orders", "metric": "orders_total", "value": "payload.total", "create": true, "unit": "upper(payload.currency)"}
	saved := do(t, "POST", "/api/admin/mappings", p.adminKey, map[string]any{"source": "shop", "rules": []any{creating}})
	want(t, saved, 201)
	rule := saved.body["rules"].([]any)[0].(map[string]any)
	if rule["create"] != true || rule["unit"] != "upper(payload.currency)" {
		t.Fatalf("saved %s", saved.raw)
	}
	id := rule["id"].(string)
	creating["value"] = "payload.total * 2"
	put := do(t, "PUT", "/api/admin/mappings/"+id+"?source=shop", p.adminKey, creating)
	want(t, put, 200)
	if r := put.body["rules"].([]any)[0].(map[string]any); r["create"] != true || r["unit"] != "upper(payload.currency)" || r["value"] != "payload.total * 2" {
		t.Fatalf("replaced %s", put.raw)
	}
	bad := do(t, "PUT", "/api/admin/mappings/"+id+"?source=shop", p.adminKey, map[string]any{"name": "orders", "metric": "revenue", "value": "1", "unit": "USD"})
	want(t, bad, 400)
	if d, _ := bad.body["details"].(map[string]any); d["field"] != "unit" {
		t.Fatalf("a unit without create: %s", bad.raw)
	}

	added := do(t, "POST", "/api/admin/mappings/rules", p.adminKey, map[string]any{"source": "shop", "name": "count", "metric": "revenue", "value": "1", "op": "add"})
	want(t, added, 201)
	rules := added.body["rules"].([]any)
	if len(rules) != 2 || rules[0].(map[string]any)["id"] != id || rules[1].(map[string]any)["name"] != "count" || added.body["version"] != 3.0 {
		t.Fatalf("added %s", added.raw)
	}
	want(t, do(t, "POST", "/api/admin/mappings/rules", p.adminKey, map[string]any{"source": "shop", "name": "broken", "metric": "revenue", "value": "payload.("}), 400)

	conn := newConnector(t, p, "stripe", fixtureSecrets["stripe"], nil)
	cid := conn["id"].(string)
	defaults, _ := do(t, "GET", "/api/admin/mappings?connector_id="+cid, p.adminKey, nil).body["rules"].([]any)
	own := do(t, "POST", "/api/admin/mappings/rules", p.adminKey, map[string]any{"connector_id": cid, "name": "every event", "metric": "revenue", "value": "1", "op": "add"})
	want(t, own, 201)
	if rules := own.body["rules"].([]any); own.body["version"] != 1.0 || len(rules) != len(defaults)+1 {
		t.Fatalf("added to the defaults: %s", own.raw)
	}

	delivery := loadFixture(t, "stripe", "invoice.paid")
	var payload any
	if err := json.Unmarshal(delivery.body, &payload); err != nil {
		t.Fatal(err)
	}
	tested := do(t, "POST", "/api/admin/mappings/test", p.adminKey, map[string]any{"connector_id": cid, "payload": payload,
		"rules": []any{map[string]any{"name": "paid", "when": `event.type == "invoice.paid"`, "metric": "revenue", "value": "event.data.amount_paid / 100"}}})
	want(t, tested, 200)
	if events, _ := tested.body["events"].([]any); len(events) != 1 || events[0].(map[string]any)["type"] != "invoice.paid" {
		t.Fatalf("a connector's draft on a pasted delivery: %s", tested.raw)
	}
}
