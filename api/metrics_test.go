package api_test

import (
	"testing"
)

// TestMetricPatchAndDelete: a metric is renamed and its unit changed, its
// key and value are not the PATCH's to change, a watched metric cannot be
// deleted, and once deleted its points go with it and a call for it goes
// to the inbox.
func TestMetricPatchAndDelete(t *testing.T) {
	p, other := newProject(t), newProject(t)
	path := "/api/admin/metrics/" + p.metricID
	push(t, p, 1250)
	res := do(t, "PATCH", path, p.adminKey, map[string]any{"name": "Net revenue", "unit": "EUR"})
	want(t, res, 200)
	if res.str("name") != "Net revenue" || res.str("unit") != "EUR" || res.str("key") != "revenue" || res.body["value"] != 1250.0 ||
		res.str("display") != "€1,250.00" {
		t.Fatalf("patched %s", res.raw)
	}
	for field, body := range map[string]map[string]any{
		"key": {"key": "net"}, "value": {"value": 3}, "name": {"name": "  "}, "unit": {"unit": 5},
	} {
		res := do(t, "PATCH", path, p.adminKey, body)
		want(t, res, 400)
		if got, _ := res.body["details"].(map[string]any); got["field"] != field {
			t.Errorf("PATCH %v: details %v, want field %s: %s", body, got, field, res.raw)
		}
	}
	want(t, do(t, "PATCH", path, other.adminKey, map[string]any{"name": "theirs"}), 404)
	want(t, do(t, "DELETE", path, other.adminKey, nil), 404)

	alert := newAlert(t, p, newReceiver(t, 0), map[string]any{"condition": "value < 0"})
	want(t, do(t, "DELETE", path, p.adminKey, nil), 409)
	want(t, do(t, "DELETE", "/api/admin/alerts/"+alert, p.adminKey, nil), 204)
	want(t, do(t, "DELETE", path, p.adminKey, nil), 204)
	want(t, do(t, "GET", path+"/points", p.adminKey, nil), 404)
	want(t, do(t, "DELETE", path, p.adminKey, nil), 404)

	push(t, p, 7)
	inbox := do(t, "GET", "/api/admin/inbox", p.adminKey, nil)
	want(t, inbox, 200)
	if data, _ := inbox.body["data"].([]any); len(data) != 1 {
		t.Fatalf("after the delete, a call for the metric should be in the inbox: %s", inbox.raw)
	}
}
