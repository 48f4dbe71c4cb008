package api_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/api"
)

// rawRequest opens a connection to base and writes a request's head,
// which declares length body bytes, and the first part of its body.
func rawRequest(t *testing.T, base, method, path string, length int, part []byte, headers ...string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	var head strings.Builder
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: intake\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", method, path, length)
	for i := 0; i+1 < len(headers); i += 2 {
		fmt.Fprintf(&head, "%s: %s\r\n", headers[i], headers[i+1])
	}
	head.WriteString("\r\n")
	if _, err := conn.Write(append([]byte(head.String()), part...)); err != nil {
		t.Fatal(err)
	}
	return conn, bufio.NewReader(conn)
}

// TestUnadmittedBodiesAreNotRead: a request with a bad key that declares
// 4 MB and sends 16 KB of it (the server takes up to 8 KB with the head)
// is answered without waiting for the rest, and
// its connection is closed rather than read on. Reading bodies before
// authentication kept it waiting for its body until the read timeout.
func TestUnadmittedBodiesAreNotRead(t *testing.T) {
	conn, rd := rawRequest(t, e2e.base, "POST", "/api/ingest/data", 4<<20, bytes.Repeat([]byte(" "), 16<<10),
		"Authorization", "Bearer ik_not_a_key_of_anyone_000000000000")
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // the server's read timeout is 30 s
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || !resp.Close {
		t.Fatalf("status %d, connection close %v; want 401 and a closed connection", resp.StatusCode, resp.Close)
	}
}

// TestCompressedBodies: a gzip body is decoded, under the bound a plain
// body has. A 260 KB gzip of 256 MB is refused without inflating it (the
// process allocates far less than the 256 MB that inflating takes), and
// an encoding intake does not know is named in the 400.
func TestCompressedBodies(t *testing.T) {
	p := newProject(t)
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		_, _ = w.Write(b)
		_ = w.Close()
		return buf.Bytes()
	}
	r := do(t, "POST", "/api/ingest/metric", p.ingestKey, gz([]byte(`{"metric":"revenue","value":42}`)), "Content-Encoding", "gzip")
	want(t, r, 200)
	if pts := p.points(t); len(pts) != 1 {
		t.Fatalf("%d points after a gzip metric, want 1", len(pts))
	}

	var bomb bytes.Buffer
	w, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 256 {
		_, _ = w.Write(zeros)
	}
	_ = w.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r = do(t, "POST", "/api/ingest/data", p.ingestKey, bomb.Bytes(), "Content-Encoding", "gzip")
	runtime.ReadMemStats(&after)
	if r.status != 413 || r.str("error") != "payload_too_large" {
		t.Fatalf("a %d KB gzip of 256 MB: %d %s", bomb.Len()>>10, r.status, r.raw)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 128<<20 {
		t.Fatalf("refusing a gzip bomb allocated %d MB", grew>>20)
	}

	r = do(t, "POST", "/api/ingest/metric", p.ingestKey, `{"metric":"revenue","value":1}`, "Content-Encoding", "zstd")
	if r.status != 400 || field(r) != "Content-Encoding" {
		t.Fatalf("an unknown encoding: %d %s", r.status, r.raw)
	}
	r = do(t, "POST", "/api/ingest/metric", p.ingestKey, `{"metric":"revenue","value":1}`, "Content-Encoding", "gzip")
	if r.status != 400 || field(r) != "Content-Encoding" {
		t.Fatalf("a body that is not the gzip it says: %d %s", r.status, r.raw)
	}
}

// TestUnverifiedWebhookBodiesShareABudget: anyone can post to a webhook
// URL, so the bodies of deliveries not yet verified share a byte budget.
// A slow delivery holding most of it makes the next one wait (503 with
// Retry-After); once it is gone, deliveries are read again.
func TestUnverifiedWebhookBodiesShareABudget(t *testing.T) {
	base := serverWith(t, api.Options{MaxUnverifiedBytes: 1 << 20})
	p := newProject(t)
	c := do(t, "POST", "/api/admin/connectors", p.adminKey, map[string]any{"type": "stripe", "name": "S", "secret": fixtureSecrets["stripe"]})
	want(t, c, 201)
	path := "/api/webhook/stripe?connector_id=" + c.str("id")
	deliver := func() response {
		return call(t, base, "POST", path, "", `{"id":"evt_1","type":"invoice.paid"}`, "Stripe-Signature", "t=1,v1=00")
	}
	// The slow one reserves twice its length, leaving 32 bytes of the
	// budget: less than a delivery takes.
	slow, slowAnswer := rawRequest(t, base, "POST", path, 512<<10-16, bytes.Repeat([]byte(" "), 16<<10))
	defer slow.Close() // before the server's stop, which waits for its connection
	var r response
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if r = deliver(); r.status == 503 || time.Now().After(deadline) {
			break
		}
	}
	if r.status != 503 || r.header.Get("Retry-After") == "" || !strings.Contains(r.str("message"), "webhook bodies") {
		// Was the slow delivery answered, and so its budget given back?
		_ = slow.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		line, _ := slowAnswer.ReadString('\n')
		t.Fatalf("a delivery past the budget: %d %s (the slow delivery's answer so far: %q)", r.status, r.raw, line)
	}
	_ = slow.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if r = deliver(); r.status != 503 || time.Now().After(deadline) {
			break
		}
	}
	if r.status != 401 || r.str("error") != "invalid_signature" {
		t.Fatalf("a delivery once the slow one is gone: %d %s, want 401 for its signature", r.status, r.raw)
	}
}

// TestSlowWebhookBodiesHoldNoSlot: a delivery is read before it takes an
// in-flight slot, so unsigned senders trickling bodies leave the slots to
// signed calls. With one slot, a metric goes through while a delivery is
// still arriving.
func TestSlowWebhookBodiesHoldNoSlot(t *testing.T) {
	base := serverWith(t, api.Options{MaxInFlight: 1, EagerStart: true})
	p := newProject(t)
	c := do(t, "POST", "/api/admin/connectors", p.adminKey, map[string]any{"type": "stripe", "name": "S", "secret": fixtureSecrets["stripe"]})
	want(t, c, 201)
	slow, _ := rawRequest(t, base, "POST", "/api/webhook/stripe?connector_id="+c.str("id"), 64<<10, bytes.Repeat([]byte(" "), 16<<10))
	defer slow.Close()
	time.Sleep(200 * time.Millisecond) // its handler is reading the rest
	r := call(t, base, "POST", "/api/ingest/metric", p.ingestKey, `{"metric":"revenue","value":7}`)
	if r.status != 200 {
		t.Fatalf("a metric while a delivery trickles in, one slot: %d %s", r.status, r.raw)
	}
}

// TestRefusedSmallBodyKeepsItsConnection: the unread rest of a refused
// body of at most 256 KB is drained, so the connection serves the next
// request instead of being closed (or reset under the answer).
func TestRefusedSmallBodyKeepsItsConnection(t *testing.T) {
	body := `{"metric":"revenue","value":1,"pad":"` + strings.Repeat("x", 40<<10) + `"}`
	conn, rd := rawRequest(t, e2e.base, "POST", "/api/ingest/metric", len(body), []byte(body),
		"Authorization", "Bearer ik_not_a_key_of_anyone_000000000000")
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Close {
		t.Fatalf("status %d, connection close %v; want 401 on an open connection", resp.StatusCode, resp.Close)
	}
	if _, err := fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: intake\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err = http.ReadResponse(rd, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the next request on the connection: %v %v", resp, err)
	}
	resp.Body.Close()
}

// A client that asks before sending (Expect: 100-continue) a body larger
// than any route takes is told 417 and never sends it.
func TestExpectContinueOverTheLimit(t *testing.T) {
	conn, rd := rawRequest(t, e2e.base, "POST", "/api/ingest/data", api.MaxBody+1, nil, "Expect", "100-continue")
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusExpectationFailed {
		t.Fatalf("status %d, want 417", resp.StatusCode)
	}
}
