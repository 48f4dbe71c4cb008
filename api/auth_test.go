package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"go.temporal.io/api/workflowservice/v1"
)

func TestKeysAndScopes(t *testing.T) {
	p := newProject(t)
	revoked := do(t, "POST", "/api/admin/keys", p.adminKey, map[string]any{"name": "old"})
	want(t, revoked, 201)
	if revoked.str("scope") != "ingest" || revoked.body["hash"] != nil {
		t.Fatalf("created key %s", revoked.raw)
	}
	// Use it once so its lookup is cached, then revoke it.
	want(t, do(t, "POST", "/api/ingest/metric", revoked.str("key"), `{"metric":"revenue","value":1}`), 200)
	want(t, do(t, "DELETE", "/api/admin/keys/"+revoked.str("id"), p.adminKey, nil), 200)
	expiring := do(t, "POST", "/api/admin/keys", p.adminKey, map[string]any{
		"name": "short", "expires_at": time.Now().Add(1500 * time.Millisecond).UTC().Format(time.RFC3339Nano)})
	want(t, expiring, 201)
	time.Sleep(1600 * time.Millisecond)

	// The refused calls carry a source of their own: a workflow started
	// for any of them, under whatever project, would carry it too.
	refused := intake.NewID("refused")
	metric := `{"metric":"revenue","value":1,"source":"` + refused + `"}`
	tests := []struct {
		name       string
		method     string
		path       string
		token      string
		body       string
		wantStatus int
		wantCode   string
	}{
		{"no key", "POST", "/api/ingest/metric", "", metric, 401, "invalid_api_key"},
		{"garbage", "POST", "/api/ingest/metric", "hunter2", metric, 401, "invalid_api_key"},
		{"unknown key", "POST", "/api/ingest/metric", "ik_0000000000000000000000000000000000000000", metric, 401, "invalid_api_key"},
		{"revoked key", "POST", "/api/ingest/metric", revoked.str("key"), metric, 401, "invalid_api_key"},
		{"expired key", "POST", "/api/ingest/metric", expiring.str("key"), metric, 401, "invalid_api_key"},
		{"instance token cannot ingest", "POST", "/api/ingest/metric", e2e.token, metric, 403, "forbidden"},
		{"ingest key cannot admin", "GET", "/api/admin/keys", p.ingestKey, "", 403, "forbidden"},
		{"admin key cannot make projects", "POST", "/api/admin/projects", p.adminKey, `{"name":"x"}`, 403, "forbidden"},
		{"project name required", "POST", "/api/admin/projects", e2e.token, `{}`, 400, "invalid_payload"},
		{"bad scope", "POST", "/api/admin/keys", p.adminKey, `{"name":"x","scope":"root"}`, 400, "invalid_payload"},
		{"past expiry", "POST", "/api/admin/keys", p.adminKey, `{"name":"x","expires_at":"2020-01-01T00:00:00Z"}`, 400, "invalid_payload"},
		{"revoke unknown key", "DELETE", "/api/admin/keys/key_nope", p.adminKey, "", 404, "not_found"},
		{"metric key not snake_case", "POST", "/api/admin/metrics", p.adminKey, `{"key":"Revenue","name":"R"}`, 400, "invalid_payload"},
		{"metric key taken", "POST", "/api/admin/metrics", p.adminKey, `{"key":"revenue","name":"R"}`, 409, "conflict"},
		{"unknown route", "GET", "/api/nope", p.adminKey, "", 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.body != "" {
				body = tt.body
			}
			r := do(t, tt.method, tt.path, tt.token, body, "Idempotency-Key", "auth-"+tt.name)
			want(t, r, tt.wantStatus)
			if r.str("error") != tt.wantCode || r.str("message") == "" {
				t.Fatalf("answer %s, want code %s", r.raw, tt.wantCode)
			}
		})
	}

	// A refused call never started a workflow: none carries their source,
	// while the same query finds an accepted call's workflow by its own.
	accepted := intake.NewID("accepted")
	want(t, do(t, "POST", "/api/ingest/metric", p.ingestKey, `{"metric":"revenue","value":1,"source":"`+accepted+`"}`), 200)
	bySource := func(source string) int64 {
		n, err := e2e.temporal.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{
			Query: "IntakeSource = '" + source + "'"})
		if err != nil {
			t.Fatal(err)
		}
		return n.GetCount()
	}
	for deadline := time.Now().Add(10 * time.Second); bySource(accepted) != 1; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the accepted call's workflow is not found by its source")
		}
	}
	if n := bySource(refused); n != 0 {
		t.Errorf("%d workflows carry the refused calls' source", n)
	}
	if n := len(p.points(t)); n != 2 {
		t.Fatalf("%d points, want the one before revocation and the accepted one", n)
	}

	list := do(t, "GET", "/api/admin/keys", p.adminKey, nil)
	want(t, list, 200)
	if data := list.body["data"].([]any); len(data) != 4 {
		t.Fatalf("%d keys listed, want 4: %s", len(data), list.raw)
	}
}
