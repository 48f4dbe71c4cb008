package api_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/api"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"
)

// limitedServer is a second API on the shared store and Temporal, with a
// short rate window so that recovery is quick to observe.
func limitedServer(t *testing.T, counter api.RateCounter) string {
	t.Helper()
	srv := api.New(e2e.store, e2e.temporal, api.Options{AdminToken: adminToken, RateWindow: 2 * time.Second, RateCounter: counter})
	base, stop, err := listen(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return base
}

func TestRateLimitPerKeyHitAndRecovered(t *testing.T) {
	p := newProject(t)
	base := limitedServer(t, nil)
	k := do(t, "POST", "/api/admin/keys", p.adminKey, map[string]any{"name": "tight", "rate_limit": 3})
	want(t, k, 201)
	key := k.str("key")
	for i := 0; i < 3; i++ {
		r := call(t, base, "POST", "/api/ingest/metric", key, `{"metric":"revenue","value":1}`)
		want(t, r, 200)
		if r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) || r.header.Get("X-RateLimit-Reset") == "" {
			t.Fatalf("request %d headers %v", i, r.header)
		}
	}
	r := call(t, base, "POST", "/api/ingest/metric", key, `{"metric":"revenue","value":1}`)
	want(t, r, 429)
	if r.str("error") != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Fatalf("answer %s, headers %v", r.raw, r.header)
	}
	if n := len(p.points(t)); n != 3 {
		t.Fatalf("%d points, want 3: the limited call was applied", n)
	}
	// Other keys have their own budget (the project default of 100).
	want(t, call(t, base, "POST", "/api/ingest/metric", p.ingestKey, `{"metric":"revenue","value":1}`), 200)

	time.Sleep(2100 * time.Millisecond)
	want(t, call(t, base, "POST", "/api/ingest/metric", key, `{"metric":"revenue","value":1}`), 200)
}

func TestRateLimitFromProject(t *testing.T) {
	r := do(t, "POST", "/api/admin/projects", e2e.token, map[string]any{"name": "small", "rate_limit": 2})
	want(t, r, 201)
	key := r.str("admin_key")
	base := limitedServer(t, nil)
	want(t, call(t, base, "GET", "/api/admin/metrics", key, nil), 200)
	want(t, call(t, base, "GET", "/api/admin/metrics", key, nil), 200)
	want(t, call(t, base, "GET", "/api/admin/metrics", key, nil), 429)
	want(t, do(t, "POST", "/api/admin/projects", e2e.token, map[string]any{"name": "x", "rate_limit": 0}), 400)
}

// testRedis is the Redis of INTAKE_TEST_REDIS_URL, which CI sets.
func testRedis(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv("INTAKE_TEST_REDIS_URL")
	if url == "" {
		t.Skip("set INTAKE_TEST_REDIS_URL to test the shared rate-limit store (CI does)")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opts)
	t.Cleanup(func() { _ = rc.Close() })
	if err := rc.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("INTAKE_TEST_REDIS_URL is set but Redis is unreachable: %v", err)
	}
	return rc
}

// TestRateLimitSharedAcrossReplicas counts one key's requests across two API
// processes through Redis, as intake serve does with INTAKE_REDIS_URL.
func TestRateLimitSharedAcrossReplicas(t *testing.T) {
	shared := api.NewRedisCounter(testRedis(t))
	a, b := limitedServer(t, shared), limitedServer(t, shared)
	p := newProject(t)
	k := do(t, "POST", "/api/admin/keys", p.adminKey, map[string]any{"name": "shared", "rate_limit": 3})
	key := k.str("key")
	for i, base := range []string{b, a, b} {
		r := call(t, base, "POST", "/api/ingest/metric", key, `{"metric":"revenue","value":1}`)
		want(t, r, 200)
		if got := r.header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(2-i) {
			t.Fatalf("request %d: remaining %s, want %d", i, got, 2-i)
		}
	}
	want(t, call(t, a, "POST", "/api/ingest/metric", key, `{"metric":"revenue","value":1}`), 429)
}

// TestRateLimitLosesNoCount: 30 requests at once through two replicas
// against a limit of 10: exactly 10 pass (a read-then-write counter lets
// more through).
func TestRateLimitLosesNoCount(t *testing.T) {
	shared := api.NewRedisCounter(testRedis(t))
	servers := []string{limitedServer(t, shared), limitedServer(t, shared)}
	p := newProject(t)
	key := do(t, "POST", "/api/admin/keys", p.adminKey, map[string]any{"name": "burst", "rate_limit": 10}).str("key")
	var wg sync.WaitGroup
	statuses := make([]int, 30)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = call(t, servers[i%2], "GET", "/api/ingest/ing_missing", key, nil).status
		}()
	}
	wg.Wait()
	passed := 0
	for _, st := range statuses {
		if st != 429 {
			passed++
		}
	}
	if passed != 10 {
		t.Fatalf("%d of 30 requests passed a limit of 10: %v", passed, statuses)
	}
}

// TestRateLimitFailsClosed: with the rate-limit store unreachable, calls
// are refused with 503 and Retry-After, and nothing is applied.
func TestRateLimitFailsClosed(t *testing.T) {
	gone, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := gone.Addr().String()
	gone.Close() // a port nobody listens on
	rc := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rc.Close()
	base := limitedServer(t, api.NewRedisCounter(rc))
	p := newProject(t)
	r := call(t, base, "POST", "/api/ingest/metric", p.ingestKey, `{"metric":"revenue","value":1}`)
	if r.status != 503 || r.str("error") != "unavailable" || r.header.Get("Retry-After") == "" {
		t.Fatalf("with Redis down: %d %s %v", r.status, r.raw, r.header)
	}
	if n := len(p.points(t)); n != 0 {
		t.Fatalf("%d points written with the limit unknown", n)
	}
}

// TestInFlightLimitSheds503 holds the only in-flight slot with a call
// stuck starting its workflow (Temporal not answering), so the next call is
// shed at once: 503, Retry-After 1, and an answer that says why.
func TestInFlightLimitSheds503(t *testing.T) {
	p := newProject(t)
	down := stuckTemporal(t)
	srv := api.New(e2e.store, down, api.Options{MaxInFlight: 1, StartTimeout: 3 * time.Second})
	base, stop, err := listen(srv)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	held := make(chan response)
	go func() {
		held <- call(t, base, "POST", "/api/ingest/metric", p.ingestKey, `{"metric":"revenue","value":1}`)
	}()
	time.Sleep(500 * time.Millisecond)
	shed := call(t, base, "POST", "/api/ingest/metric", p.ingestKey, `{"metric":"revenue","value":2}`)
	want(t, shed, 503)
	if !strings.Contains(shed.str("message"), "capacity") || shed.header.Get("Retry-After") != "1" {
		t.Fatalf("shed answer %s, Retry-After %q", shed.raw, shed.header.Get("Retry-After"))
	}
	want(t, <-held, 503) // Temporal never answered: nothing was accepted
	after := call(t, base, "GET", "/metrics", "", nil)
	if !strings.Contains(string(after.raw), "intake_calls_shed_total 1") {
		t.Fatalf("the shed call is not counted")
	}
}

// TestMetricsSurviveManyRequests mixes methods and routes, then scrapes:
// labels must not change under Prometheus when Fiber reuses buffers.
func TestMetricsSurviveManyRequests(t *testing.T) {
	p := newProjectLimited(t, 1_000_000)
	for i := range 60 {
		do(t, "POST", "/api/ingest/metric", p.ingestKey, `{"metric":"revenue","value":1}`)
		do(t, "GET", "/api/admin/metrics", p.adminKey, nil)
		do(t, "BREW", "/api/admin/metrics?n="+strconv.Itoa(i), p.adminKey, nil)
	}
	r := do(t, "GET", "/metrics", "", nil)
	want(t, r, 200)
	for _, line := range []string{`intake_http_requests_total{method="POST",route="/api/ingest/metric",status="200"}`, `method="GET",route="/api/admin/metrics"`} {
		if !strings.Contains(string(r.raw), line) {
			t.Fatalf("/metrics lacks %s", line)
		}
	}
	if strings.Contains(string(r.raw), `method="BREW"`) {
		t.Fatal("a caller's method became a label")
	}
}

// TestProjectLimitIsACeiling: the limit the instance admin sets on a
// project is counted over all its keys and deliveries, and no key of it
// can be given more.
func TestProjectLimitIsACeiling(t *testing.T) {
	r := do(t, "POST", "/api/admin/projects", e2e.token, map[string]any{"name": "ceiling", "rate_limit": 4})
	want(t, r, 201)
	admin := r.str("admin_key")
	base := limitedServer(t, nil)
	want(t, call(t, base, "POST", "/api/admin/keys", admin, map[string]any{"name": "greedy", "rate_limit": 1_000_000}), 400) // 1
	a := call(t, base, "POST", "/api/admin/keys", admin, map[string]any{"name": "a"})                                        // 2
	b := call(t, base, "POST", "/api/admin/keys", admin, map[string]any{"name": "b"})                                        // 3
	want(t, a, 201)
	want(t, b, 201)
	want(t, call(t, base, "GET", "/api/ingest/ing_missing", a.str("key"), nil), 404) // 4: the project's last
	r = call(t, base, "GET", "/api/ingest/ing_missing", b.str("key"), nil)
	if r.status != 429 || !strings.Contains(r.str("message"), "this project") || r.header.Get("Retry-After") == "" {
		t.Fatalf("a fresh key past its project's ceiling: %d %s", r.status, r.raw)
	}
}

// TestInFlightFairShare: with the calls of one project stuck (Temporal
// not answering), that project takes at most three quarters of the
// process's in-flight slots, and another project's call still gets one.
func TestInFlightFairShare(t *testing.T) {
	down := stuckTemporal(t)
	srv := api.New(e2e.store, down, api.Options{MaxInFlight: 4, StartTimeout: 3 * time.Second})
	base, stop, err := listen(srv)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	a, b := newProject(t), newProject(t)
	held := make(chan response, 3)
	for i := range 3 {
		go func() {
			held <- call(t, base, "POST", "/api/ingest/metric", a.ingestKey, fmt.Sprintf(`{"metric":"revenue","value":%d}`, i))
		}()
	}
	time.Sleep(500 * time.Millisecond)
	over := call(t, base, "POST", "/api/ingest/metric", a.ingestKey, `{"metric":"revenue","value":9}`)
	if over.status != 503 || !strings.Contains(over.str("message"), "share") || over.header.Get("Retry-After") != "1" {
		t.Fatalf("project A past three quarters: %d %s", over.status, over.raw)
	}
	other := call(t, base, "POST", "/api/ingest/metric", b.ingestKey, `{"metric":"revenue","value":1}`)
	if strings.Contains(other.str("message"), "share") || strings.Contains(other.str("message"), "capacity") {
		t.Fatalf("project B was shed for A's flood: %s", other.raw)
	}
	for range 3 {
		<-held
	}
}

// stuckTemporal is a client of a Temporal that accepts connections and
// never answers: a call's start hangs until its timeout.
func stuckTemporal(t *testing.T) client.Client {
	t.Helper()
	hole, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		_ = hole.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	go func() {
		for {
			c, err := hole.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	down, err := client.NewLazyClient(client.Options{HostPort: hole.Addr().String(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(down.Close)
	return down
}

// TestFailedAuthCountsClientsBehindTrustedProxies: behind a trusted proxy
// the failed-authentication limit counts each client named by
// X-Forwarded-For; without one, X-Forwarded-For is the caller's to forge
// and every request counts as the connecting address.
func TestFailedAuthCountsClientsBehindTrustedProxies(t *testing.T) {
	unknown := "ik_0000000000000000000000000000000000000000"
	serve := func(trusted []string) string {
		srv := api.New(e2e.store, e2e.temporal, api.Options{MaxAuthFailures: 2, TrustedProxies: trusted})
		base, stop, err := listen(srv)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
		return base
	}
	from := func(base, client string) int {
		return call(t, base, "GET", "/api/ingest/ing_missing", unknown, nil, "X-Forwarded-For", client).status
	}
	proxied := serve([]string{"127.0.0.1"})
	if a, b, c := from(proxied, "198.51.100.1"), from(proxied, "198.51.100.1"), from(proxied, "198.51.100.1"); a != 401 || b != 401 || c != 429 {
		t.Fatalf("one client behind the proxy: %d %d %d, want 401 401 429", a, b, c)
	}
	if st := from(proxied, "198.51.100.2"); st != 401 {
		t.Fatalf("another client behind the proxy: %d, want 401", st)
	}
	direct := serve(nil)
	from(direct, "198.51.100.1")
	from(direct, "198.51.100.1")
	if st := from(direct, "198.51.100.2"); st != 429 {
		t.Fatalf("a forged X-Forwarded-For without a trusted proxy: %d, want 429", st)
	}
}

// TestRateLimitPerHour: limits can be set an hour ("N/h"), as hourly plans
// are; they are shown as set, count in hour-long windows, and a key's
// limit is compared with its project's over the same time.
func TestRateLimitPerHour(t *testing.T) {
	for _, bad := range []any{"100/d", "100", "0/h", 1.5, true, 0} {
		r := do(t, "POST", "/api/admin/projects", e2e.token, map[string]any{"name": "bad", "rate_limit": bad})
		if r.status != 400 || field(r) != "rate_limit" || !strings.Contains(r.str("message"), `"N/h"`) {
			t.Fatalf("rate_limit %v: %d %s", bad, r.status, r.raw)
		}
	}
	r := do(t, "POST", "/api/admin/projects", e2e.token, map[string]any{"name": "hourly", "rate_limit": "6/h"})
	want(t, r, 201)
	if got := r.body["project"].(map[string]any)["rate_limit"]; got != "6/h" {
		t.Fatalf("project rate_limit shows as %v", got)
	}
	admin := r.str("admin_key")
	base := limitedServer(t, nil) // a minute lasts 2 s there, an hour 120 s
	// 1 a minute is 60 an hour: more than the project's 6.
	over := call(t, base, "POST", "/api/admin/keys", admin, map[string]any{"name": "minutely", "rate_limit": 1})
	if over.status != 400 || field(over) != "rate_limit" || !strings.Contains(over.str("message"), "6 requests per hour") {
		t.Fatalf("a key over its project's hourly ceiling: %d %s", over.status, over.raw)
	}
	k := call(t, base, "POST", "/api/admin/keys", admin, map[string]any{"name": "plan", "rate_limit": "3/h"})
	want(t, k, 201)
	if k.body["rate_limit"] != "3/h" {
		t.Fatalf("key rate_limit shows as %v", k.body["rate_limit"])
	}
	key := k.str("key")
	for i := range 3 {
		r := call(t, base, "GET", "/api/ingest/ing_missing", key, nil)
		want(t, r, 404)
		if r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("RateLimit-Policy") != "3;w=3600" {
			t.Fatalf("request %d headers %v", i, r.header)
		}
	}
	list := call(t, base, "GET", "/api/admin/keys", admin, nil)
	want(t, list, 200)
	if !strings.Contains(string(list.raw), `"rate_limit":"3/h"`) {
		t.Fatalf("the key list does not show 3/h: %s", list.raw)
	}
	// Past a minute's window the hour's count goes on (the project's
	// ceiling has one request left: this one is refused by the key's).
	time.Sleep(2100 * time.Millisecond)
	r = call(t, base, "GET", "/api/ingest/ing_missing", key, nil)
	retry, _ := strconv.Atoi(r.header.Get("Retry-After"))
	if r.status != 429 || !strings.Contains(r.str("message"), "3 requests per hour") || retry <= 2 {
		t.Fatalf("the fourth request of an hour: %d %s, Retry-After %d", r.status, r.raw, retry)
	}
}

// field is the field a 400 names.
func field(r response) string {
	d, _ := r.body["details"].(map[string]any)
	f, _ := d["field"].(string)
	return f
}
