package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/api"
	"github.com/intakehq/intake/devserver"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
	"github.com/intakehq/intake/worker"
	"github.com/intakehq/intake/workflows"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
)

const adminToken = "it_faults_instance_token_0123456789"

// stack is one intake: its own Temporal server, store, worker and API.
type stack struct {
	t        *testing.T
	temporal client.Client
	store    *store.Store
	worker   sdkworker.Worker
	base     string
	stopAPI  func()
	key      string // the project's admin key
	project  string
}

// newStack starts everything; dsn, when set, is the database to use (a
// proxied PostgreSQL), else storetest's.
func newStack(t *testing.T, dsn string) *stack {
	t.Helper()
	ts, err := devserver.Start(devserver.Options{SearchAttributes: workflows.SearchAttributes(), LogLevel: "error"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ts.Stop() })
	s := &stack{t: t}
	if dsn == "" {
		s.store = storetest.Open(t)
	} else {
		if s.store, err = store.Open(context.Background(), dsn); err != nil {
			t.Fatal(err)
		}
		if err := s.store.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.store.Close() })
	}
	quiet := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError + 4})))
	if s.temporal, err = client.Dial(client.Options{HostPort: ts.FrontendAddress(), Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.temporal.Close)
	s.startWorker()
	t.Cleanup(func() { s.stopWorker() })
	s.startAPI()
	t.Cleanup(func() { s.stopAPI() })
	r := s.do("POST", "/api/admin/projects", adminToken, map[string]any{"name": t.Name()})
	s.key, s.project = r.str("admin_key"), r.body["project"].(map[string]any)["id"].(string)
	s.want(s.do("POST", "/api/admin/metrics", s.key, map[string]any{"key": "hits", "name": "Hits", "unit": "count"}), 201)
	return s
}

func (s *stack) startWorker() {
	s.worker = worker.New(s.temporal, worker.Deps{Store: s.store})
	if err := s.worker.Start(); err != nil {
		s.t.Fatal(err)
	}
}

func (s *stack) stopWorker() {
	if s.worker != nil {
		s.worker.Stop()
		s.worker = nil
	}
}

// startAPI starts a new API process on a new port. The sync wait is short
// so calls that cannot finish answer 202 quickly; key lookups are cached
// longer than any outage a test makes.
func (s *stack) startAPI() {
	srv := api.New(s.store, s.temporal, api.Options{AdminToken: adminToken, SyncWait: 300 * time.Millisecond, KeyCacheTTL: 5 * time.Minute})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	s.base = "http://" + ln.Addr().String()
	s.stopAPI = func() { _ = srv.Shutdown(context.Background()) }
}

type response struct {
	status int
	raw    []byte
	body   map[string]any
}

func (r response) str(k string) string { s, _ := r.body[k].(string); return s }

func (s *stack) do(method, path, token string, body any) response {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out := response{status: resp.StatusCode}
	out.raw, _ = io.ReadAll(resp.Body)
	_ = json.Unmarshal(out.raw, &out.body)
	return out
}

func (s *stack) want(r response, status int) {
	s.t.Helper()
	if r.status != status {
		s.t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
}

// push sends one metric call: +1 to hits, or to an unknown metric, which
// is inboxed. It returns the ingest ID of an accepted (200/202) call.
func (s *stack) push(inbox bool) string {
	s.t.Helper()
	metric := "hits"
	if inbox {
		metric = "nobody_defined_this"
	}
	r := s.do("POST", "/api/ingest/metric", s.key, map[string]any{"metric": metric, "value": 1, "op": "add"})
	if r.status != 200 && r.status != 202 {
		s.t.Fatalf("push: %d %s", r.status, r.raw)
	}
	return r.str("ingest_id")
}

// settle waits until every accepted call is done, then checks each was
// applied once: as many points as hits calls, the value their sum, and
// one inbox row per inboxed call.
func (s *stack) settle(hits, inboxed int, ids []string) {
	s.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(90 * time.Second)
	for _, id := range ids {
		for {
			c, err := s.store.GetCall(ctx, s.project, id)
			if err == nil && c.Status == "done" {
				break
			}
			if time.Now().After(deadline) {
				s.t.Fatalf("call %s not done after 90 s (%v, %+v)", id, err, c)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	metrics, _, err := s.store.ListMetrics(ctx, s.project, store.Page{})
	if err != nil || len(metrics) != 1 {
		s.t.Fatalf("metrics: %v %v", metrics, err)
	}
	pts, _, err := s.store.ListPoints(ctx, s.project, metrics[0].ID, store.PointRange{}, store.Page{Limit: store.MaxPageLimit})
	if err != nil {
		s.t.Fatal(err)
	}
	inbox, _, err := s.store.ListInbox(ctx, s.project, store.InboxFilter{}, store.Page{Limit: store.MaxPageLimit})
	if err != nil {
		s.t.Fatal(err)
	}
	if len(pts) != hits || metrics[0].Value != float64(hits) || len(inbox) != inboxed {
		s.t.Fatalf("applied %d points (value %v) and %d inbox rows; want %d, %d and %d", len(pts), metrics[0].Value, len(inbox),
			hits, hits, inboxed)
	}
}

// proxy is a TCP proxy to a database the test can cut off: down closes
// every connection and refuses new ones until up.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { _ = ln.Close(); p.setDown(true) })
	go p.serve()
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
		go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
	}
}

func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			_ = c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}

// proxiedDSN is dsn with its host replaced by the proxy's address.
func proxiedDSN(t *testing.T, dsn string, p *proxy) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}
