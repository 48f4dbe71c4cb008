package api_test

import (
	"strings"
	"testing"
)

// TestGetCallShowsInputAndResult: a call's page in the API shows what it
// was sent, read back from its workflow's history, with its result; a
// webhook event's call is found by its whk_ id; another project's is not.
func TestGetCallShowsInputAndResult(t *testing.T) {
	p, other := newProject(t), newProject(t)
	res := do(t, "POST", "/api/ingest/metric", p.ingestKey, map[string]any{"metric": "revenue", "value": 42, "metadata": map[string]any{"order": "A-17"}})
	want(t, res, 200)
	id := res.str("ingest_id")
	got := do(t, "GET", "/api/admin/calls/"+id, p.adminKey, nil)
	want(t, got, 200)
	input, _ := got.body["input"].(map[string]any)
	result, _ := got.body["result"].(map[string]any)
	if input["metric"] != "revenue" || input["value"] != 42.0 || input["metadata"].(map[string]any)["order"] != "A-17" ||
		result["new_value"] != "$42.00" || got.str("status") != "done" || got.str("workflow_id") == "" || got.body["input_unavailable"] != nil {
		t.Fatalf("GET /api/admin/calls/%s: %s", id, got.raw)
	}
	want(t, do(t, "GET", "/api/admin/calls/"+id, other.adminKey, nil), 404)
	want(t, do(t, "GET", "/api/admin/calls/"+id, p.ingestKey, nil), 403)
	want(t, do(t, "GET", "/api/admin/calls/ing_nothere", p.adminKey, nil), 404)

	keyed := newConnector(t, p, "generic", "", map[string]any{"event_id_path": "order.id"})
	hook := post(t, e2e.base+"/api/webhook/generic?connector_id="+keyed["id"].(string), delivery{
		body: []byte(`{"type": "order.paid", "order": {"id": "o-77", "total": 12}}`), headers: []string{"Authorization", "Bearer " + keyed["key"].(string)}})
	want(t, hook, 200)
	settle(t, hook)
	events, _ := hook.body["events"].([]any)
	if len(events) != 1 {
		t.Fatalf("delivery answer %s", hook.raw)
	}
	whk, _ := events[0].(map[string]any)["ingest_id"].(string)
	got = do(t, "GET", "/api/admin/calls/"+whk, p.adminKey, nil)
	want(t, got, 200)
	if got.str("kind") != "webhook" || got.str("connector_id") != keyed["id"] || !strings.Contains(string(got.raw), `"o-77"`) {
		t.Fatalf("GET /api/admin/calls/%s: %s", whk, got.raw)
	}
}

// A replay's call shows what its workflow was given: the inbox item it
// replays.
func TestGetReplayCallShowsItsItem(t *testing.T) {
	p := newProject(t)
	data := do(t, "POST", "/api/ingest/data", p.ingestKey, `{"source": "shop", "orders": 5}`)
	want(t, data, 200)
	item := data.str("inbox_id")
	want(t, do(t, "POST", "/api/admin/inbox/"+item+"/assign", p.adminKey, `{"sourceField": "orders", "metricId": "revenue"}`), 200)
	list := do(t, "GET", "/api/admin/calls?kind=replay", p.adminKey, nil)
	want(t, list, 200)
	calls, _ := list.body["data"].([]any)
	if len(calls) != 1 {
		t.Fatalf("replay calls %s", list.raw)
	}
	id := calls[0].(map[string]any)["ingest_id"].(string)
	got := do(t, "GET", "/api/admin/calls/"+id, p.adminKey, nil)
	want(t, got, 200)
	if !strings.Contains(string(got.raw), item) || got.body["input"] == nil {
		t.Fatalf("GET /api/admin/calls/%s: %s", id, got.raw)
	}
}
