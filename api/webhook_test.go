package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/api"
	"github.com/intakehq/intake/store"
)

var fixtureSecrets = map[string]string{
	"stripe":     "whsec_test_acmehub_0123456789abcdef",
	"hubspot":    "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy",
	"quickbooks": "test-verifier-token-0000-1111-2222",
	"generic":    "generic-test-secret-0001",
}

// webhookServer is an API whose clock stands at the fixtures' signing time.
func webhookServer(t *testing.T) string {
	t.Helper()
	at := time.Unix(1767261600, 0).Add(30 * time.Second)
	srv := api.New(e2e.store, e2e.temporal, api.Options{AdminToken: adminToken, Clock: func() time.Time { return at }})
	base, stop, err := listen(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return base
}

// delivery is a signed fixture: its body, headers, and the URL it was signed for.
type delivery struct {
	body      []byte
	headers   []string
	signedURL string
}

func loadFixture(t *testing.T, provider, name string) delivery {
	t.Helper()
	dir := filepath.Join("..", "connectors", "testdata", provider)
	body, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var hs map[string]string
	raw, _ := os.ReadFile(filepath.Join(dir, name+".headers.json"))
	if err := json.Unmarshal(raw, &hs); err != nil {
		t.Fatal(err)
	}
	d := delivery{body: body}
	for k, v := range hs {
		if k == "_request_uri_signed" {
			d.signedURL = v
			continue
		}
		d.headers = append(d.headers, k, v)
	}
	return d
}

func newConnector(t *testing.T, p project, typ, secret string, settings map[string]any) map[string]any {
	t.Helper()
	body := map[string]any{"type": typ, "name": typ, "settings": settings}
	if secret != "" {
		body["secret"] = secret
	}
	r := do(t, "POST", "/api/admin/connectors", p.adminKey, body)
	want(t, r, 201)
	if r.body["has_secret"] != (secret != "") || strings.Contains(string(r.raw), secret+`"`) && secret != "" {
		t.Fatalf("connector %s", r.raw)
	}
	return r.body
}

// post sends a delivery raw, with its own headers only.
func post(t *testing.T, url string, d delivery) response {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(string(d.body)))
	for i := 0; i+1 < len(d.headers); i += 2 {
		req.Header.Set(d.headers[i], d.headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := response{status: resp.StatusCode, header: resp.Header}
	_ = json.NewDecoder(resp.Body).Decode(&out.body)
	out.raw, _ = json.Marshal(out.body)
	return out
}

// settle waits for every workflow a delivery started.
func settle(t *testing.T, r response) {
	t.Helper()
	events, _ := r.body["events"].([]any)
	for _, e := range events {
		id := e.(map[string]any)["workflow_id"].(string)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := e2e.temporal.GetWorkflow(ctx, id, "").Get(ctx, nil)
		cancel()
		if err != nil {
			t.Fatalf("workflow %s: %v", id, err)
		}
	}
}

func metricsByName(t *testing.T, p project) map[string]string {
	t.Helper()
	rows, _, err := e2e.store.ListMetrics(context.Background(), p.id, store.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range rows {
		out[m.Name] = m.Unit + " " + strings.TrimRight(strings.TrimRight(jsonNum(m.Value), "0"), ".")
	}
	return out
}

func jsonNum(v float64) string {
	b, _ := json.Marshal(v)
	if !strings.Contains(string(b), ".") {
		return string(b) + ".0"
	}
	return string(b)
}

func TestProviderFixturesUpdateTheirMetrics(t *testing.T) {
	base := webhookServer(t)
	tests := []struct {
		provider, fixture string
		want              map[string]string // metric name -> "unit value"
		inboxed           int
	}{
		{"stripe", "invoice.paid", map[string]string{"Invoice Paid": "EUR 49"}, 0},
		{"stripe", "invoice.payment_failed", map[string]string{"Payment Failed": "count 1"}, 0},
		{"stripe", "charge.succeeded", map[string]string{"Charge Amount": "EUR 49"}, 0},
		{"stripe", "customer.subscription.created", map[string]string{"Subscription Amount": "EUR 147"}, 0},
		{"stripe", "customer.subscription.created.legacy-2020-08-27", map[string]string{"Subscription Amount": "EUR 98"}, 0},
		{"stripe", "customer.subscription.deleted", map[string]string{"Subscription Cancelled": "count 1"}, 0},
		{"hubspot", "contact.creation", map[string]string{"New Contact": "count 1"}, 0},
		{"hubspot", "deal.creation", map[string]string{"New Deal": "count 1"}, 0},
		{"hubspot", "deal.propertyChange", map[string]string{"Deal Amount": " 14700"}, 1},
		{"quickbooks", "legacy.invoice-payment-customer", map[string]string{"Invoices Created": "count 1", "Payments Received": "count 1", "Invoices Voided": "count 1"}, 1},
		{"quickbooks", "cloudevents.invoice-payment", map[string]string{"Invoices Created": "count 1", "Payments Received": "count 1"}, 1},
		{"quickbooks", "legacy.multi-realm", map[string]string{}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.provider+"/"+tt.fixture, func(t *testing.T) {
			p := newProject(t)
			d := loadFixture(t, tt.provider, tt.fixture)
			settings := map[string]any{}
			if d.signedURL != "" {
				settings["public_url"] = d.signedURL
			}
			conn := newConnector(t, p, tt.provider, fixtureSecrets[tt.provider], settings)
			r := post(t, base+"/api/webhook/"+tt.provider+"?connector_id="+conn["id"].(string), d)
			want(t, r, 200)
			settle(t, r)
			got := metricsByName(t, p)
			for name, v := range tt.want {
				if got[name] != v {
					t.Errorf("metric %q = %q, want %q (all: %v)", name, got[name], v, got)
				}
			}
			delete(got, "Revenue")
			if len(got) != len(tt.want) {
				t.Errorf("metrics %v, want only %v", got, tt.want)
			}
			inbox, _, _ := e2e.store.ListInbox(context.Background(), p.id, store.InboxFilter{}, store.Page{})
			if len(inbox) != tt.inboxed {
				t.Errorf("%d inbox items, want %d", len(inbox), tt.inboxed)
			}
			calls, _, err := e2e.store.ListCalls(context.Background(), p.id, store.CallFilter{}, store.Page{Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) != int(r.body["received"].(float64)) || calls[0].ConnectorID != conn["id"] || calls[0].Kind != "webhook" {
				t.Errorf("calls %+v", calls)
			}
		})
	}
}

func TestStripeRedeliveryHasOneEffect(t *testing.T) {
	base := webhookServer(t)
	p := newProject(t)
	conn := newConnector(t, p, "stripe", fixtureSecrets["stripe"], nil)
	url := base + "/api/webhook/stripe?connector_id=" + conn["id"].(string)
	d := loadFixture(t, "stripe", "invoice.paid")
	for i := 0; i < 5; i++ {
		r := post(t, url, d)
		want(t, r, 200)
		settle(t, r)
	}
	if got := metricsByName(t, p)["Invoice Paid"]; got != "EUR 49" {
		t.Fatalf("Invoice Paid = %q after 5 deliveries of one event, want EUR 49", got)
	}
	if calls := p.calls(t); len(calls) != 1 {
		t.Fatalf("%d calls, want 1", len(calls))
	}
}

// A signed provider's connector made before its secret is known (Stripe
// shows it only once it has the URL) refuses every delivery, saying why,
// until the secret is set; then deliveries verify.
func TestConnectorSecretSetAfterItsURL(t *testing.T) {
	base := webhookServer(t)
	p := newProject(t)
	conn := newConnector(t, p, "stripe", "", nil)
	url := base + "/api/webhook/stripe?connector_id=" + conn["id"].(string)
	d := loadFixture(t, "stripe", "invoice.paid")
	r := post(t, url, d)
	want(t, r, 401)
	if r.str("error") != "invalid_signature" || !strings.Contains(r.str("message"), "no signing secret yet") {
		t.Fatalf("a delivery before the secret: %s", r.raw)
	}
	unsigned := delivery{body: d.body}
	want(t, post(t, url, unsigned), 401)
	// Through the same API process, whose connector cache would else hold
	// the secretless connector for its 15 s.
	set := call(t, base+"/api/admin/connectors/"+conn["id"].(string), "POST", "/rotate", p.adminKey, map[string]any{"secret": fixtureSecrets["stripe"]})
	want(t, set, 200)
	if set.body["has_secret"] != true || set.body["previous_secret_until"] != nil {
		t.Fatalf("after setting the secret: %s", set.raw)
	}
	accepted := post(t, url, d)
	want(t, accepted, 200)
	settle(t, accepted)
	if n := len(p.calls(t)); n != 1 {
		t.Fatalf("%d calls, want the one delivery after the secret", n)
	}
}

func TestWebhookRefusals(t *testing.T) {
	base := webhookServer(t)
	p := newProject(t)
	stripe := newConnector(t, p, "stripe", fixtureSecrets["stripe"], nil)
	url := base + "/api/webhook/stripe?connector_id=" + stripe["id"].(string)
	d := loadFixture(t, "stripe", "invoice.paid")

	tampered := d
	tampered.body = []byte(strings.Replace(string(d.body), "4900", "9900", 1))
	r := post(t, url, tampered)
	want(t, r, 401)
	if r.str("error") != "invalid_signature" {
		t.Fatalf("tampered: %s", r.raw)
	}

	want(t, post(t, base+"/api/webhook/stripe?connector_id=c_nope", d), 404)
	want(t, post(t, base+"/api/webhook/hubspot?connector_id="+stripe["id"].(string), d), 404)
	want(t, post(t, base+"/api/webhook/nope?connector_id="+stripe["id"].(string), d), 404)
	want(t, do(t, "POST", "/api/admin/connectors", p.adminKey, `{"type": "zapier", "name": "x"}`), 400)
	want(t, do(t, "POST", "/api/admin/connectors", p.adminKey, `{"type": "generic", "name": "x", "settings": {"timezone": "Mars/Olympus"}}`), 400)

	// Rotation (through the same API process: others see it within the
	// connector cache's 15 s): the old secret verifies during the overlap only.
	rotate := base + "/api/admin/connectors/" + stripe["id"].(string)
	want(t, call(t, rotate, "POST", "/rotate", p.adminKey, `{"secret": "whsec_new_secret"}`), 200)
	accepted := post(t, url, d)
	want(t, accepted, 200)
	settle(t, accepted)
	want(t, call(t, rotate, "POST", "/rotate", p.adminKey, `{"secret": "whsec_newer", "overlap": "0s"}`), 200)
	want(t, post(t, url, d), 401)

	// A disabled connector is not there.
	want(t, call(t, rotate, "PATCH", "", p.adminKey, `{"enabled": false}`), 200)
	want(t, post(t, url, d), 404)

	if n := len(p.calls(t)); n != 1 {
		t.Fatalf("%d calls, want only the one accepted delivery", n)
	}
	metrics := call(t, base, "GET", "/metrics", "", nil)
	if !strings.Contains(string(metrics.raw), `intake_webhook_signature_failures_total{provider="stripe"} 2`) {
		t.Fatalf("signature failures not counted:\n%s", metrics.raw)
	}
}

func TestGenericConnector(t *testing.T) {
	base := webhookServer(t)
	p := newProject(t)
	keyed := newConnector(t, p, "generic", "", map[string]any{"event_id_path": "order.id"})
	url := base + "/api/webhook/generic?connector_id=" + keyed["id"].(string)
	want(t, do(t, "POST", "/api/admin/mappings", p.adminKey, map[string]any{"connector_id": keyed["id"], "rules": []any{
		map[string]any{"name": "orders", "when": `event.type == "order.completed"`, "metric": "revenue", "value": "payload.order.total", "op": "add"},
	}}), 201)
	body := delivery{body: []byte(`{"type": "order.completed", "order": {"id": "o-1", "total": 10}}`), headers: []string{"Authorization", "Bearer " + keyed["key"].(string)}}
	for i := 0; i < 2; i++ {
		r := post(t, url, body)
		want(t, r, 200)
		settle(t, r)
	}
	if pts := p.points(t); len(pts) != 1 || pts[0].Value != 10 {
		t.Fatalf("points %+v: the event id path should dedupe", pts)
	}
	other := delivery{body: body.body, headers: []string{"Authorization", "Bearer " + p.ingestKey}}
	want(t, post(t, url, other), 401)

	signed := newConnector(t, p, "generic", fixtureSecrets["generic"], map[string]any{"unmatched": "reject"})
	if signed["key"] != nil {
		t.Fatalf("a signed generic connector got a key: %v", signed)
	}
	d := loadFixture(t, "generic", "order.completed")
	r := post(t, base+"/api/webhook/generic?connector_id="+signed["id"].(string), d)
	want(t, r, 404)
	if r.str("error") != "mapping_not_found" {
		t.Fatalf("reject policy: %s", r.raw)
	}
}

// Report-style QuickBooks pushes come through /api/ingest/data: with no rules
// of its own, source "quickbooks" uses the QuickBooks defaults.
func TestQuickBooksReportPush(t *testing.T) {
	p := newProject(t)
	r := do(t, "POST", "/api/ingest/data", p.ingestKey, `{"source": "quickbooks", "TotalIncome": 85000}`)
	want(t, r, 200)
	if got := metricsByName(t, p)["Monthly Revenue"]; got != " 85000" || r.body["inboxed"] != false {
		t.Fatalf("Monthly Revenue = %q; answer %s", got, r.raw)
	}
}

// standardDelivery signs body the Standard Webhooks way for msgID at ts.
func standardDelivery(key []byte, msgID string, ts time.Time, body string) delivery {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID + "." + stamp + "." + body))
	sig := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return delivery{body: []byte(body), headers: []string{"webhook-id", msgID, "webhook-timestamp", stamp, "webhook-signature", "v1,bm90IGl0 " + sig}}
}

// TestGenericStandardWebhooks: a generic connector with signature_scheme
// "standard" verifies Standard Webhooks signatures (whsec_ secrets, a list
// of signatures, a 5-minute window) and takes the signed webhook-id as the
// event id: a redelivery is one event, and a captured delivery can be
// replayed neither under another id nor later. An unsigned event id header
// is refused.
func TestGenericStandardWebhooks(t *testing.T) {
	base := webhookServer(t)
	p := newProject(t)
	key := []byte("a Standard Webhooks signing key, 32+ bytes")
	conn := newConnector(t, p, "generic", "whsec_"+base64.StdEncoding.EncodeToString(key), map[string]any{"signature_scheme": "standard"})
	url := base + "/api/webhook/generic?connector_id=" + conn["id"].(string)
	want(t, do(t, "POST", "/api/admin/mappings", p.adminKey, map[string]any{"connector_id": conn["id"], "rules": []any{
		map[string]any{"name": "orders", "metric": "revenue", "value": "payload.total", "op": "add"}}}), 201)
	now := time.Unix(1767261600, 0).Add(30 * time.Second) // webhookServer's clock
	body := `{"type": "order.completed", "total": 10}`
	d := standardDelivery(key, "msg_1", now, body)
	for range 2 {
		r := post(t, url, d)
		want(t, r, 200)
		settle(t, r)
		if ev := r.body["events"].([]any)[0].(map[string]any); ev["ingest_id"] != intake.EventIngestID(conn["id"].(string), "msg_1") {
			t.Fatalf("the event id is not webhook-id: %s", r.raw)
		}
	}
	if pts := p.points(t); len(pts) != 1 || pts[0].Value != 10 {
		t.Fatalf("points %+v: a redelivery of msg_1 should be one event", pts)
	}
	renamed := d
	renamed.headers = append([]string(nil), d.headers...)
	renamed.headers[1] = "msg_2" // the same signature under another id
	want(t, post(t, url, renamed), 401)
	want(t, post(t, url, standardDelivery(key, "msg_3", now.Add(-10*time.Minute), body)), 401)
	want(t, post(t, url, standardDelivery([]byte("another key"), "msg_4", now, body)), 401)

	for _, settings := range []map[string]any{
		{"event_id_header": "X-Event-Id"},
		{"signature_scheme": "standard", "event_id_header": "Authorization"},
		{"signature_scheme": "hmac", "event_id_header": "webhook-id"},
	} {
		r := do(t, "POST", "/api/admin/connectors", p.adminKey, map[string]any{"type": "generic", "name": "g", "secret": "s", "settings": settings})
		if r.status != 400 || !strings.Contains(r.str("message"), "event_id_header") {
			t.Fatalf("settings %v: %d %s", settings, r.status, r.raw)
		}
	}
}

// TestSecretOverlapExpires: after a rotation, the previous secret
// verifies during the overlap, and no longer once it has passed (the
// server's clock moves on), while the new secret does.
func TestSecretOverlapExpires(t *testing.T) {
	var offset atomic.Int64
	start := time.Unix(1767261600, 0).Add(30 * time.Second)
	srv := api.New(e2e.store, e2e.temporal, api.Options{AdminToken: adminToken,
		Clock: func() time.Time { return start.Add(time.Duration(offset.Load())) }})
	base, stop, err := listen(srv)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	p := newProject(t)
	conn := newConnector(t, p, "generic", fixtureSecrets["generic"], nil)
	url := base + "/api/webhook/generic?connector_id=" + conn["id"].(string)
	old := loadFixture(t, "generic", "order.completed")
	signed := func(secret, body string) delivery {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(body))
		return delivery{body: []byte(body), headers: []string{"X-Signature", "sha256=" + hex.EncodeToString(mac.Sum(nil))}}
	}
	want(t, call(t, base, "POST", "/api/admin/connectors/"+conn["id"].(string)+"/rotate", p.adminKey,
		`{"secret": "the-new-secret", "overlap": "1h"}`), 200)
	want(t, post(t, url, old), 200) // within the overlap
	offset.Store(int64(59 * time.Minute))
	want(t, post(t, url, old), 200)
	offset.Store(int64(61 * time.Minute))
	want(t, post(t, url, old), 401) // the overlap has passed
	want(t, post(t, url, signed("the-new-secret", `{"type": "order.completed", "n": 2}`)), 200)
}
