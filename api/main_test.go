package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/api"
	"github.com/intakehq/intake/devserver"
	"github.com/intakehq/intake/notify"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
	"github.com/intakehq/intake/worker"
	"github.com/intakehq/intake/workflows"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

var update = flag.Bool("update", false, "rewrite testdata from this run")

// e2e is what every end-to-end test in this package shares: one embedded
// Temporal server, one store, the real worker and the real API on a port.
var e2e struct {
	temporal client.Client
	store    *store.Store
	base     string
	token    string
	// spec checks every exchange of call against openapi.json.
	spec *conformance
}

const adminToken = "it_e2e_instance_token_0123456789"

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if fuzzing() {
		return m.Run() // the fuzz targets test decoders alone
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "intake-api-test")
	if err != nil {
		return fatal(err)
	}
	defer os.RemoveAll(dir)
	ts, err := devserver.Start(devserver.Options{SearchAttributes: workflows.SearchAttributes(), LogLevel: "error"})
	if err != nil {
		return fatal(err)
	}
	defer ts.Stop()
	st, cleanup, err := storetest.New(ctx, dir)
	if err != nil {
		return fatal(err)
	}
	defer cleanup()
	tc, err := client.Dial(client.Options{HostPort: ts.FrontendAddress(), Logger: quietLogger()})
	if err != nil {
		return fatal(err)
	}
	defer tc.Close()
	// Alert channels are local receivers; the Schedule sweeps every second.
	w := worker.New(tc, worker.Deps{Store: st, AlertPolicy: notify.Policy{AllowPrivate: true}})
	if err := w.Start(); err != nil {
		return fatal(err)
	}
	defer w.Stop()
	if err := worker.EnsureAlertSchedule(ctx, tc, time.Second); err != nil {
		return fatal(err)
	}
	srv := api.New(st, tc, api.Options{AdminToken: adminToken, EagerStart: true, SyncWait: 10 * time.Second,
		AlertPolicy: notify.Policy{AllowPrivate: true}})
	base, stop, err := listen(srv)
	if err != nil {
		return fatal(err)
	}
	defer stop()
	spec, err := loadConformance()
	if err != nil {
		return fatal(err)
	}
	e2e.temporal, e2e.store, e2e.base, e2e.token, e2e.spec = tc, st, base, adminToken, spec
	fmt.Printf("end-to-end tests on %s\n", storetest.Dialect())
	code := m.Run()
	fmt.Printf("OpenAPI: the traffic of %d operations was checked against the document (%s)\n", len(spec.checked()),
		strings.Join(spec.checked(), ", "))
	return code
}

// fuzzing reports whether this run fuzzes, in the coordinator or a worker.
func fuzzing() bool {
	f, w := flag.Lookup("test.fuzz"), flag.Lookup("test.fuzzworker")
	return (f != nil && f.Value.String() != "") || (w != nil && w.Value.String() == "true")
}

func fatal(err error) int {
	fmt.Fprintln(os.Stderr, "test setup:", err)
	return 1
}

func quietLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
}

// serverWith is a second API on the shared store and Temporal with opts,
// stopped when the test ends; it returns its base URL.
func serverWith(t *testing.T, opts api.Options) string {
	t.Helper()
	if opts.AdminToken == "" {
		opts.AdminToken = adminToken
	}
	base, stop, err := listen(api.New(e2e.store, e2e.temporal, opts))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return base
}

// listen serves srv on a free loopback port.
func listen(srv *api.Server) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Shutdown(context.Background()) }, nil
}

// response is one HTTP answer with its JSON body decoded.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r response) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

// call sends one request to base with a Bearer token and optional headers
// given as name, value pairs.
func call(t *testing.T, base, method, path, token string, body any, headers ...string) response {
	t.Helper()
	var sent []byte
	switch b := body.(type) {
	case nil:
	case string:
		sent = []byte(b)
	case []byte:
		sent = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		sent = raw
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(sent)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if e2e.spec != nil && !skipConformance(req.URL.Path) {
		e2e.spec.check(t, req, sent, resp, raw)
	}
	out := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

func do(t *testing.T, method, path, token string, body any, headers ...string) response {
	t.Helper()
	return call(t, e2e.base, method, path, token, body, headers...)
}

func want(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
}

// project is a fresh tenant with its admin key, an ingest key and a USD metric.
type project struct {
	id, adminKey, ingestKey, metricID string
}

func newProject(t *testing.T) project {
	t.Helper()
	return newProjectLimited(t, 0)
}

// newProjectLimited is newProject whose keys may make limit requests a
// minute (the default when 0).
func newProjectLimited(t *testing.T, limit int) project {
	t.Helper()
	body := map[string]any{"name": t.Name()}
	if limit > 0 {
		body["rate_limit"] = limit
	}
	r := do(t, "POST", "/api/admin/projects", e2e.token, body)
	want(t, r, 201)
	p := project{adminKey: r.str("admin_key")}
	p.id, _ = r.body["project"].(map[string]any)["id"].(string)
	r = do(t, "POST", "/api/admin/keys", p.adminKey, map[string]any{"name": "zapier", "scope": "ingest"})
	want(t, r, 201)
	p.ingestKey = r.str("key")
	r = do(t, "POST", "/api/admin/metrics", p.adminKey, map[string]any{"key": "revenue", "name": "Revenue", "unit": "USD"})
	want(t, r, 201)
	p.metricID = r.str("id")
	return p
}

func (p project) points(t *testing.T) []store.MetricPoint {
	t.Helper()
	pts, _, err := e2e.store.ListPoints(context.Background(), p.id, p.metricID, store.PointRange{}, store.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	return pts
}

func (p project) calls(t *testing.T) []store.Call {
	t.Helper()
	calls, _, err := e2e.store.ListCalls(context.Background(), p.id, store.CallFilter{}, store.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	return calls
}
