package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/intakehq/intake/api"
)

// lockedBuffer is a log destination the server writes from many
// goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRequestIDsAndAccessLog: every answer has an X-Request-Id, the
// caller's when it is sane; the access log has one JSON line per request
// with the route pattern, status, project and that id, and never the key,
// the body or a path's token.
func TestRequestIDsAndAccessLog(t *testing.T) {
	var out lockedBuffer
	log := slog.New(slog.NewJSONHandler(&out, nil))
	base := serverWith(t, api.Options{Logger: log, AccessLog: true, CodecToken: "ct_access_log_test_token_0123456789"})
	p := newProject(t)
	r := call(t, base, "POST", "/api/ingest/metric", p.ingestKey, `{"metric":"revenue","value":1,"note":"body-canary"}`, "X-Request-Id", "proxy-7f3a.1")
	if r.header.Get("X-Request-Id") != "proxy-7f3a.1" {
		t.Fatalf("the caller's id came back as %q", r.header.Get("X-Request-Id"))
	}
	forged := call(t, base, "GET", "/healthz", "", nil, "X-Request-Id", `x" status=200 injected`)
	if id := forged.header.Get("X-Request-Id"); id == "" || strings.ContainsAny(id, `" =`) {
		t.Fatalf("an unsafe id came back as %q", id)
	}
	call(t, base, "POST", "/api/codec/ui/ct_access_log_test_token_0123456789/decode", "", `{"payloads":[]}`)

	lines := map[string]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var l map[string]any
		if json.Unmarshal(sc.Bytes(), &l) == nil && l["msg"] == "request" {
			lines[l["request_id"].(string)] = l
		}
	}
	l := lines["proxy-7f3a.1"]
	if l == nil || l["route"] != "/api/ingest/metric" || l["status"] != float64(200) || l["project"] != p.id || l["duration_ms"] == nil {
		t.Fatalf("the metric call's line: %v (log %s)", l, out.String())
	}
	if l := lines[forged.header.Get("X-Request-Id")]; l == nil || l["route"] != "/healthz" {
		t.Fatalf("the health check's line: %v", l)
	}
	for _, secret := range []string{p.ingestKey, "body-canary", "ct_access_log_test_token_0123456789"} {
		if strings.Contains(out.String(), secret) {
			t.Fatalf("the log holds %q: %s", secret, out.String())
		}
	}
}
