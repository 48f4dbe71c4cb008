package api_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake/api"
	"github.com/intakehq/intake/store"
)

// TestHostileRequests sends what an attacker or a broken client might:
// each is answered with its 4xx, and nothing is written.
func TestHostileRequests(t *testing.T) {
	p := newProject(t)
	sc := newSalesConnector(t, nil)
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	_ = mw.WriteField("metric", "revenue")
	_ = mw.WriteField("value", "1")
	_ = mw.Close()
	nested := strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100)
	veryNested := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	wide := "[" + strings.Repeat("0,", 150_000) + "0]" // 300 KB, 150,001 values
	tests := []struct {
		name, path, body string
		headers          []string
		key              string // "" is the project's ingest key
		status           int
		field            string
	}{
		{"xml body", "/api/ingest/metric", `<metric>revenue</metric>`, []string{"Content-Type", "application/xml"}, "", 400, "body"},
		{"multipart to a JSON route", "/api/ingest/metric", form.String(), []string{"Content-Type", mw.FormDataContentType()}, "", 400, "body"},
		{"text/plain SalesDash body", "/api/connectors/{sc}/activities", `id=1`, []string{"Content-Type", "text/plain"}, "sc", 400, "Content-Type"},
		{"nested 100 deep", "/api/ingest/metric", `{"metric":"revenue","value":1,"metadata":` + nested + `}`, nil, "", 400, "body"},
		{"nested 20000 deep", "/api/ingest/data", `{"source":"x","d":` + veryNested + `}`, nil, "", 400, "body"},
		{"150,001 values", "/api/ingest/data", `{"source":"x","d":` + wide + `}`, nil, "", 400, "body"},
		{"control character in a source", "/api/ingest/metric", `{"metric":"revenue","value":1,"source":"a\u0001b"}`, nil, "", 400, "source"},
		{"control character in a SalesDash field", "/api/connectors/{sc}/activities", `{"id":"a\u0007","type":"call"}`, nil, "sc", 400, "id"},
		{"number past float64", "/api/ingest/metric", `{"metric":"revenue","value":1e400}`, nil, "", 400, "value"},
		{"400-digit number", "/api/ingest/metric", `{"metric":"revenue","value":1` + strings.Repeat("0", 400) + `}`, nil, "", 400, "value"},
		{"NaN string", "/api/ingest/metric", `{"metric":"revenue","value":"NaN"}`, nil, "", 400, "value"},
		{"bare NaN", "/api/ingest/metric", `{"metric":"revenue","value":NaN}`, nil, "", 400, "body"},
		{"Infinity string", "/api/ingest/metric", `{"metric":"revenue","value":"Infinity"}`, nil, "", 400, "value"},
		{"bare -Infinity", "/api/ingest/metric", `{"metric":"revenue","value":-Infinity}`, nil, "", 400, "body"},
		{"NaN in a form", "/api/connectors/{sc}/activities", "id=1&type=Call&agent_id=a&agent_name=A&moment=2026-01-01&value=NaN",
			[]string{"Content-Type", "application/x-www-form-urlencoded"}, "sc", 400, "value"},
		{"hex float in a form", "/api/connectors/{sc}/activities", "id=1&type=Call&agent_id=a&agent_name=A&moment=2026-01-01&value=0x1p3",
			[]string{"Content-Type", "application/x-www-form-urlencoded"}, "sc", 400, "value"},
		{"invalid UTF-8", "/api/ingest/metric", "{\"metric\":\"rev\xffenue\",\"value\":1}", nil, "", 400, "body"},
		{"invalid UTF-8 in a form", "/api/connectors/{sc}/activities", "id=1&type=Ca%FFll&agent_id=a&agent_name=A&moment=2026-01-01",
			[]string{"Content-Type", "application/x-www-form-urlencoded"}, "sc", 400, "body"},
		{"duplicate key", "/api/ingest/metric", `{"metric":"revenue","value":1,"value":1000000}`, nil, "", 400, "value"},
		{"duplicate nested key", "/api/ingest/metric", `{"metric":"revenue","value":1,"metadata":{"a":1,"a":2}}`, nil, "", 400, "metadata.a"},
		{"duplicate form field", "/api/connectors/{sc}/activities", "id=1&id=2&type=Call&agent_id=a&agent_name=A&moment=2026-01-01",
			[]string{"Content-Type", "application/x-www-form-urlencoded"}, "sc", 400, "id"},
		{"NUL in a string", "/api/ingest/metric", `{"metric":"revenue","value":1,"source":"a\u0000b"}`, nil, "", 400, "source"},
		{"control character in an idempotency key", "/api/ingest/metric", `{"metric":"revenue","value":1}`, []string{"Idempotency-Key", "a\tb"}, "", 400, "Idempotency-Key"},
		{"non-ASCII idempotency key", "/api/ingest/metric", `{"metric":"revenue","value":1}`, []string{"Idempotency-Key", "clé"}, "", 400, "Idempotency-Key"},
		{"SQL in the bearer token", "/api/ingest/metric", `{"metric":"revenue","value":1}`, nil, "ik_' OR '1'='1", 401, ""},
		{"injected header in the token", "/api/ingest/metric", `{"metric":"revenue","value":1}`, []string{"Authorization", "Bearer x\tX-Admin: 1"}, "none", 401, ""},
		{"future timestamp", "/api/ingest/metric", `{"metric":"revenue","value":1,"timestamp":4102444800}`, nil, "", 400, "timestamp"},
		{"101 batch items", "/api/ingest/batch", `{"metrics":[` + strings.TrimSuffix(strings.Repeat(`{"metric":"revenue","value":1},`, 101), ",") + `]}`, nil, "", 400, "metrics"},
		{"task text as object", "/api/ingest/tasks", `{"source":"crm","tasks":[{"text":{"$gt":""}}]}`, nil, "", 400, "tasks[0].text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, path := p.ingestKey, strings.ReplaceAll(tt.path, "{sc}", sc.id)
			switch tt.key {
			case "sc":
				key = sc.key
			case "none":
				key = ""
			case "":
			default:
				key = tt.key
			}
			r := do(t, "POST", path, key, tt.body, tt.headers...)
			want(t, r, tt.status)
			if r.str("error") == "" || r.str("message") == "" {
				t.Fatalf("not a contract error: %s", r.raw)
			}
			if d, _ := r.body["details"].(map[string]any); tt.field != "" && d["field"] != tt.field {
				t.Fatalf("names field %v, want %s: %s", d["field"], tt.field, r.raw)
			}
		})
	}
	for _, proj := range []project{p, sc.project} {
		if n := len(proj.calls(t)) + len(proj.points(t)); n != 0 {
			t.Fatalf("hostile requests wrote %d calls and points", n)
		}
		inbox, _, _ := e2e.store.ListInbox(context.Background(), proj.id, store.InboxFilter{}, store.Page{})
		if len(inbox) != 0 {
			t.Fatalf("hostile requests wrote %d inbox items", len(inbox))
		}
	}
}

// TestSQLMetacharactersAreData sends SQL metacharacters in every string
// field: each is stored and shown back verbatim, and the tables are intact.
func TestSQLMetacharactersAreData(t *testing.T) {
	p := newProject(t)
	ctx := context.Background()
	for i, evil := range []string{`'; DROP TABLE metrics; --`, `" OR 1=1 --`, `\'; SELECT pg_sleep(5); --`, "Robert'); DELETE FROM calls;--", `%_\`} {
		q := fmt.Sprintf("%q", evil)
		r := do(t, "POST", "/api/admin/metrics", p.adminKey, fmt.Sprintf(`{"key":"m_%d","name":%s,"unit":%q}`, i, q, "count"))
		want(t, r, 201)
		if r.str("name") != evil {
			t.Fatalf("name stored as %q", r.str("name"))
		}
		want(t, do(t, "POST", "/api/admin/metrics", p.adminKey, fmt.Sprintf(`{"key":%s,"name":"x"}`, q)), 400)
		r = do(t, "POST", "/api/ingest/metric", p.ingestKey, fmt.Sprintf(`{"metric":%s,"value":%d,"source":%s,"metadata":{"k":%s}}`, q, i, q, q))
		want(t, r, 200)
		if r.str("metric_id") == "" {
			t.Fatalf("the metric named %q was not matched by name: %s", evil, r.raw)
		}
		r = do(t, "POST", "/api/ingest/metric", p.ingestKey, fmt.Sprintf(`{"metric":%s,"value":1}`, fmt.Sprintf("%q", evil+" unknown")))
		want(t, r, 200)
		item := do(t, "GET", "/api/admin/inbox/"+r.str("inbox_id"), p.adminKey, nil)
		if !strings.Contains(string(item.raw), strings.ReplaceAll(q[1:len(q)-1], `\`, `\\`)) && !strings.Contains(item.str("payload"), evil) {
			t.Fatalf("inbox item does not hold %q: %s", evil, item.raw)
		}
		r = do(t, "POST", "/api/ingest/tasks", p.ingestKey, fmt.Sprintf(`{"source":%s,"tasks":[{"id":%s,"text":%s,"notes":%s,"priority":%s}]}`, q, q, q, q, q))
		want(t, r, 200)
		r = do(t, "POST", "/api/ingest/data", p.ingestKey, fmt.Sprintf(`{"source":%s,"data_type":%s,"x":1}`, q, q))
		want(t, r, 200)
	}
	ms, _, err := e2e.store.ListMetrics(ctx, p.id, store.Page{Limit: 100})
	if err != nil || len(ms) != 6 {
		t.Fatalf("%d metrics after the run (%v); want 6", len(ms), err)
	}
	tasks, _, err := e2e.store.ListTasks(ctx, p.id, "", store.Page{Limit: 100})
	if err != nil || len(tasks) != 5 || tasks[0].Text != tasks[0].Source {
		t.Fatalf("tasks: %d, %v", len(tasks), err)
	}
}

// TestHandlerPanicAnswers500AndServes: a handler that panics is answered
// 500 internal_error, and the process goes on serving.
func TestHandlerPanicAnswers500AndServes(t *testing.T) {
	srv := api.New(e2e.store, e2e.temporal, api.Options{})
	srv.App().Get("/panics", func(*fiber.Ctx) error { panic("a bug") })
	base, stop, err := listen(srv)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	for range 2 {
		r := call(t, base, "GET", "/panics", "", nil)
		if r.status != 500 || r.str("error") != "internal_error" || strings.Contains(string(r.raw), "a bug") {
			t.Fatalf("a panicking handler: %d %s", r.status, r.raw)
		}
	}
	want(t, call(t, base, "GET", "/healthz", "", nil), 200)
}
