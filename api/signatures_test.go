package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/api"
)

// fixtureTime is when the provider fixtures were signed, plus 30 s.
var fixtureTime = time.Unix(1767261600, 0).Add(30 * time.Second)

// flushingServer is a webhook server (its clock at the fixtures' time)
// that adds refused deliveries to the store every flush; stop shuts it
// down.
func flushingServer(t *testing.T, flush time.Duration) (base string, stop func()) {
	t.Helper()
	srv := api.New(e2e.store, e2e.temporal, api.Options{AdminToken: adminToken, Clock: func() time.Time { return fixtureTime },
		SignatureFlush: flush})
	base, stop, err := listen(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return base, stop
}

// failuresOf polls the connector until its signature failures reach n.
func failuresOf(t *testing.T, base string, p project, id string, n float64) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := call(t, base, "GET", "/api/admin/connectors/"+id, p.adminKey, nil)
		want(t, r, 200)
		f, _ := r.body["signature_failures"].(map[string]any)
		if f["last_24h"] == n || time.Now().After(deadline) {
			return r.body
		}
		time.Sleep(200 * time.Millisecond) // under the key's 100 requests a minute
	}
}

// TestSignatureFailuresPerConnector: deliveries refused for their
// signature are counted for their connector, with intake's own reason and
// nothing of the request, and reach GET /api/admin/connectors/{id} at the
// next flush; its deliveries are counted beside them.
func TestSignatureFailuresPerConnector(t *testing.T) {
	base, _ := flushingServer(t, 20*time.Millisecond)
	p := newProject(t)
	conn := newConnector(t, p, "stripe", fixtureSecrets["stripe"], nil)
	id := conn["id"].(string)
	url := base + "/api/webhook/stripe?connector_id=" + id
	d := loadFixture(t, "stripe", "invoice.paid")
	want(t, post(t, url, d), 200)

	flipped := d
	flipped.body = []byte(strings.Replace(string(d.body), "in_", "IN_", 1))
	want(t, post(t, url, flipped), 401)
	injected := delivery{body: d.body, headers: []string{"Stripe-Signature", "t=1,v1=INJECTED-FROM-THE-REQUEST"}}
	want(t, post(t, url, injected), 401)
	unsigned := delivery{body: d.body}
	want(t, post(t, url, unsigned), 401)

	body := failuresOf(t, base, p, id, 3)
	f, _ := body["signature_failures"].(map[string]any)
	if f["last_24h"] != float64(3) || f["last_reason"] != "the stripe signature does not verify: missing Stripe-Signature header" ||
		f["last_at"] != fixtureTime.UTC().Format(time.RFC3339) {
		t.Fatalf("signature failures %v", body)
	}
	if dl, _ := body["deliveries"].(map[string]any); dl["last_24h"] != float64(1) {
		t.Errorf("deliveries %v", body["deliveries"])
	}
	list := call(t, base, "GET", "/api/admin/connectors", p.adminKey, nil)
	want(t, list, 200)
	if !strings.Contains(string(list.raw), `"signature_failures":{"last_24h":3`) || strings.Contains(string(list.raw), "INJECTED") {
		t.Errorf("the list: %s", list.raw)
	}

	// A connector of another project with failures of its own is not
	// counted here, nor this one there.
	other := newProject(t)
	theirs := newConnector(t, other, "stripe", fixtureSecrets["stripe"], nil)
	want(t, post(t, base+"/api/webhook/stripe?connector_id="+theirs["id"].(string), unsigned), 401)
	failuresOf(t, base, other, theirs["id"].(string), 1)
	if again := failuresOf(t, base, p, id, 3); again["signature_failures"].(map[string]any)["last_24h"] != float64(3) {
		t.Errorf("after another project's failure: %v", again["signature_failures"])
	}
}

// TestSignatureFailuresFlushOnShutdown: what was counted since the last
// flush is written when the server shuts down.
func TestSignatureFailuresFlushOnShutdown(t *testing.T) {
	base, stop := flushingServer(t, time.Hour)
	p := newProject(t)
	conn := newConnector(t, p, "quickbooks", fixtureSecrets["quickbooks"], nil)
	id := conn["id"].(string)
	for range 2 {
		want(t, post(t, base+"/api/webhook/quickbooks?connector_id="+id, delivery{body: []byte(`{"eventNotifications":[]}`)}), 401)
	}
	stop()
	got, err := e2e.store.SignatureFailures(context.Background(), p.id, []string{id}, fixtureTime.Add(-time.Hour))
	if err != nil || got[id].Count != 2 || got[id].LastReason != "the quickbooks signature does not verify: missing intuit-signature header" {
		t.Fatalf("after shutdown: %+v %v", got, err)
	}
}

// TestCallsByConnector: GET /api/admin/calls?connector= lists that
// connector's calls only.
func TestCallsByConnector(t *testing.T) {
	base := webhookServer(t)
	p := newProject(t)
	a := newConnector(t, p, "stripe", fixtureSecrets["stripe"], nil)["id"].(string)
	b := newConnector(t, p, "stripe", fixtureSecrets["stripe"], nil)["id"].(string)
	for _, id := range []string{a, b} {
		r := post(t, base+"/api/webhook/stripe?connector_id="+id, loadFixture(t, "stripe", "charge.succeeded"))
		want(t, r, 200)
		settle(t, r)
	}
	want(t, do(t, "POST", "/api/ingest/metric", p.ingestKey, map[string]any{"metric": "revenue", "value": 1}), 200)

	all := do(t, "GET", "/api/admin/calls", p.adminKey, nil)
	want(t, all, 200)
	if n := len(all.body["data"].([]any)); n != 3 {
		t.Fatalf("%d calls in all: %s", n, all.raw)
	}
	r := do(t, "GET", "/api/admin/calls?connector="+a, p.adminKey, nil)
	want(t, r, 200)
	rows := r.body["data"].([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["connector_id"] != a {
		t.Fatalf("connector %s's calls: %s", a, r.raw)
	}
	none := do(t, "GET", "/api/admin/calls?connector=c_nothing&status=done", p.adminKey, nil)
	want(t, none, 200)
	if len(none.body["data"].([]any)) != 0 {
		t.Fatalf("an unknown connector's calls: %s", none.raw)
	}
}
