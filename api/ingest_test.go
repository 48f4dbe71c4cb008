package api_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/api"
	"go.temporal.io/sdk/client"
)

func TestPushMetricEndToEnd(t *testing.T) {
	p := newProject(t)
	r := do(t, "POST", "/api/ingest/metric", p.ingestKey, `{"metric": "revenue", "value": 123456.78, "source": "api"}`)
	want(t, r, 200)
	if r.body["ok"] != true || r.str("metric_id") != p.metricID || r.str("previous_value") != "$0.00" || r.str("new_value") != "$123,456.78" {
		t.Fatalf("answer %s", r.raw)
	}
	pts := p.points(t)
	if len(pts) != 1 || pts[0].Value != 123456.78 || pts[0].Source != "api" {
		t.Fatalf("points %+v", pts)
	}

	// The same metric by name, any case, with an admin key.
	r = do(t, "POST", "/api/ingest/metric", p.adminKey, `{"metric": "REVENUE", "value": 5}`)
	want(t, r, 200)
	if r.str("previous_value") != "$123,456.78" || r.str("new_value") != "$5.00" {
		t.Fatalf("answer %s", r.raw)
	}

	id := r.str("ingest_id")
	status := do(t, "GET", "/api/ingest/"+id, p.ingestKey, nil)
	want(t, status, 200)
	if status.str("status") != "done" || !strings.HasPrefix(status.str("workflow_id"), "ingest/"+p.id+"/api/") {
		t.Fatalf("status %s", status.raw)
	}
	if res, _ := status.body["result"].(map[string]any); res["new_value"] != "$5.00" {
		t.Fatalf("status result %s", status.raw)
	}

	calls := do(t, "GET", "/api/admin/calls", p.adminKey, nil)
	want(t, calls, 200)
	data, _ := calls.body["data"].([]any)
	if len(data) != 2 || data[0].(map[string]any)["ingest_id"] != id || data[0].(map[string]any)["workflow_id"] == "" {
		t.Fatalf("calls %s", calls.raw)
	}

	metrics := do(t, "GET", "/api/admin/metrics", p.adminKey, nil)
	want(t, metrics, 200)
	if m := metrics.body["data"].([]any)[0].(map[string]any); m["value"] != 5.0 || m["display"] != "$5.00" {
		t.Fatalf("metrics %s", metrics.raw)
	}
}

func TestUnknownMetricIsInboxedWhole(t *testing.T) {
	p := newProject(t)
	body := `{"metric": "churn_rate", "value": 3.5, "metadata": {"plan": "pro"}}`
	r := do(t, "POST", "/api/ingest/metric", p.ingestKey, body)
	want(t, r, 200)
	if r.body["inboxed"] != true || !strings.Contains(r.str("message"), "churn_rate") {
		t.Fatalf("answer %s", r.raw)
	}
	item, err := e2e.store.GetInboxItem(context.Background(), p.id, r.str("inbox_id"))
	if err != nil {
		t.Fatal(err)
	}
	if item.Payload != body || item.Status != "open" {
		t.Fatalf("inbox item %+v", item)
	}
}

func TestInvalidBodiesAreRejectedWithTheField(t *testing.T) {
	p := newProject(t)
	tests := []struct {
		name      string
		give      string
		header    []string
		wantField string
	}{
		{"empty body", ``, nil, "body"},
		{"not json", `metric=revenue`, nil, "body"},
		{"array", `[{"metric":"revenue","value":1}]`, nil, "body"},
		{"truncated", `{"metric":"revenue","value":1`, nil, "body"},
		{"missing metric", `{"value": 1}`, nil, "metric"},
		{"metric not a string", `{"metric": 5, "value": 1}`, nil, "metric"},
		{"blank metric", `{"metric": "  ", "value": 1}`, nil, "metric"},
		{"missing value", `{"metric": "revenue"}`, nil, "value"},
		{"value as string", `{"metric": "revenue", "value": "12"}`, nil, "value"},
		{"value out of range", `{"metric": "revenue", "value": 1e400}`, nil, "value"},
		{"future timestamp", `{"metric": "revenue", "value": 1, "timestamp": "2099-01-01T00:00:00Z"}`, nil, "timestamp"},
		{"bad timestamp", `{"metric": "revenue", "value": 1, "timestamp": "last tuesday"}`, nil, "timestamp"},
		{"metadata array", `{"metric": "revenue", "value": 1, "metadata": [1]}`, nil, "metadata"},
		{"source not string", `{"metric": "revenue", "value": 1, "source": {}}`, nil, "source"},
		{"idempotency key too long", `{"metric": "revenue", "value": 1}`, []string{"Idempotency-Key", strings.Repeat("k", 300)}, "Idempotency-Key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, "POST", "/api/ingest/metric", p.ingestKey, tt.give, tt.header...)
			want(t, r, 400)
			details, _ := r.body["details"].(map[string]any)
			if r.str("error") != "invalid_payload" || details["field"] != tt.wantField || r.str("message") == "" {
				t.Fatalf("answer %s, want field %s", r.raw, tt.wantField)
			}
		})
	}
	if n := len(p.calls(t)); n != 0 {
		t.Fatalf("%d calls recorded for invalid bodies", n)
	}
	if n := len(p.points(t)); n != 0 {
		t.Fatalf("%d points written for invalid bodies", n)
	}
}

func TestIdempotencyKeyHasOneEffect(t *testing.T) {
	p := newProject(t)
	body := `{"metric": "revenue", "value": 100}`
	first := do(t, "POST", "/api/ingest/metric", p.ingestKey, body, "Idempotency-Key", "order-1")
	want(t, first, 200)
	second := do(t, "POST", "/api/ingest/metric", p.ingestKey, body, "Idempotency-Key", "order-1")
	want(t, second, 200)
	if string(first.raw) != string(second.raw) || second.header.Get("Idempotent-Replayed") != "true" || first.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("answers differ:\n%s\n%s (replayed %q)", first.raw, second.raw, second.header.Get("Idempotent-Replayed"))
	}

	// Five at once with another key: still one point for that key.
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := do(t, "POST", "/api/ingest/metric", p.ingestKey, `{"metric": "revenue", "value": 7}`, "Idempotency-Key", "order-2")
			if r.status != 200 {
				t.Errorf("concurrent duplicate: %d %s", r.status, r.raw)
			}
		}()
	}
	wg.Wait()
	if n := len(p.points(t)); n != 2 {
		t.Fatalf("%d points, want 2 (one per Idempotency-Key)", n)
	}
	// The same key in another project is another call.
	other := newProject(t)
	r := do(t, "POST", "/api/ingest/metric", other.ingestKey, body, "Idempotency-Key", "order-1")
	want(t, r, 200)
	if r.str("ingest_id") == first.str("ingest_id") || len(other.points(t)) != 1 {
		t.Fatalf("keys of two projects collided: %s", r.raw)
	}
}

// TestIdempotencyKeyIsBoundToItsCall: a key reused with another body or
// on another route is refused with 422 and applies nothing, one after the
// other and while both are in flight; the same call again is replayed.
func TestIdempotencyKeyIsBoundToItsCall(t *testing.T) {
	p := newProject(t)
	first := do(t, "POST", "/api/ingest/metric", p.ingestKey, `{"metric": "revenue", "value": 100}`, "Idempotency-Key", "bound-1")
	want(t, first, 200)
	for _, tt := range []struct{ name, path, body string }{
		{"another body", "/api/ingest/metric", `{"metric": "revenue", "value": 999}`},
		{"another route", "/api/ingest/data", `{"source": "crm", "deals": 4}`},
		{"another route", "/api/ingest/batch", `{"metrics": [{"metric": "revenue", "value": 100}]}`},
	} {
		r := do(t, "POST", tt.path, p.ingestKey, tt.body, "Idempotency-Key", "bound-1")
		if r.status != 422 || r.str("error") != "idempotency_key_reused" || r.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("%s: %d %s", tt.name, r.status, r.raw)
		}
	}
	again := do(t, "POST", "/api/ingest/metric", p.ingestKey, `{"metric": "revenue", "value": 100}`, "Idempotency-Key", "bound-1")
	want(t, again, 200)
	if again.header.Get("Idempotent-Replayed") != "true" || string(again.raw) != string(first.raw) {
		t.Fatalf("the same call again: %s", again.raw)
	}
	// Two bodies under one key at once: one is applied, the other refused.
	statuses := make([]int, 2)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = do(t, "POST", "/api/ingest/metric", p.ingestKey, fmt.Sprintf(`{"metric": "revenue", "value": %d}`, i+1),
				"Idempotency-Key", "bound-2").status
		}()
	}
	wg.Wait()
	if !(statuses[0] == 200 && statuses[1] == 422 || statuses[0] == 422 && statuses[1] == 200) {
		t.Fatalf("two bodies under one key at once: %v", statuses)
	}
	if n := len(p.points(t)); n != 2 {
		t.Fatalf("%d points, want 2 (one per key)", n)
	}
	if r := do(t, "GET", "/api/admin/calls?kind=data", p.adminKey, nil); len(r.body["data"].([]any)) != 0 {
		t.Fatalf("a refused data call was applied: %s", r.raw)
	}
}

func TestSlowCallAnswers202ThenCompletes(t *testing.T) {
	p := newProject(t)
	impatient := api.New(e2e.store, e2e.temporal, api.Options{SyncWait: time.Nanosecond})
	base, stop, err := listen(impatient)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	r := call(t, base, "POST", "/api/ingest/metric", p.ingestKey, `{"metric": "revenue", "value": 9}`)
	want(t, r, 202)
	id := r.str("ingest_id")
	if r.body["accepted"] != true || id == "" {
		t.Fatalf("answer %s", r.raw)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := do(t, "GET", "/api/ingest/"+id, p.ingestKey, nil)
		want(t, s, 200)
		if s.str("status") == "done" {
			break
		}
		if s.str("status") != "processing" || time.Now().After(deadline) {
			t.Fatalf("status %s", s.raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(p.points(t)); n != 1 {
		t.Fatalf("%d points, want 1", n)
	}
}

func TestTemporalDownAnswers503AndWritesNothing(t *testing.T) {
	p := newProject(t)
	down, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1", Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	srv := api.New(e2e.store, down, api.Options{StartTimeout: time.Second})
	base, stop, err := listen(srv)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	r := call(t, base, "POST", "/api/ingest/metric", p.ingestKey, `{"metric": "revenue", "value": 1}`)
	want(t, r, 503)
	if r.str("error") != "unavailable" || r.header.Get("Retry-After") == "" {
		t.Fatalf("answer %s, Retry-After %q", r.raw, r.header.Get("Retry-After"))
	}
	if ready := call(t, base, "GET", "/readyz", "", nil); ready.status != 503 {
		t.Fatalf("/readyz with Temporal down: %d", ready.status)
	}
	if n := len(p.calls(t)) + len(p.points(t)); n != 0 {
		t.Fatalf("%d rows written while Temporal was down", n)
	}
}

func TestBodyLimits(t *testing.T) {
	p := newProject(t)
	// Over 5 MB is refused from the Content-Length, before the body is read
	// (the server takes up to 8 KB with the headers): send only that much
	// and read the answer.
	conn, err := net.Dial("tcp", strings.TrimPrefix(e2e.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/ingest/metric HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n{%s", p.ingestKey, api.MaxBody+1, strings.Repeat(" ", 8<<10))
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 413 || !strings.Contains(string(raw), `"payload_too_large"`) {
		t.Fatalf("5 MB + 1: %d %s", resp.StatusCode, raw)
	}

	big := fmt.Sprintf(`{"metric": "revenue", "value": 1, "pad": "%s"}`, strings.Repeat("x", 300<<10))
	r := do(t, "POST", "/api/ingest/metric", p.ingestKey, big)
	want(t, r, 413)
	if r.str("error") != "payload_too_large" {
		t.Fatalf("answer %s", r.raw)
	}
	if n := len(p.calls(t)); n != 0 {
		t.Fatalf("%d calls recorded for oversized bodies", n)
	}
}
