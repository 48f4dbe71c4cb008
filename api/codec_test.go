package api_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/api"
	"github.com/intakehq/intake/encryption"
	"github.com/intakehq/intake/encryption/encryptiontest"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
)

// TestCodecEndpoint: Temporal's remote codec protocol over intake's keys.
// A project's admin key encodes for its project and decodes only its own
// project's payloads; the instance admin and the UI's codec token decode
// all; an ingest key may not; the UI's origin passes CORS.
func TestCodecEndpoint(t *testing.T) {
	ring := encryptiontest.Ring(t, encryptiontest.Key(t, "k1"))
	base := serverWith(t, api.Options{Keys: ring, CompressPayloads: true,
		CodecToken: "ct_test_codec_token", CodecOrigins: []string{"http://ui.example"}})
	a, b := newProject(t), newProject(t)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	plain := `{"payloads":[{"metadata":{"encoding":"` + b64("json/plain") + `"},"data":"` + b64(`"canary-alice@example.com"`) + `"}]}`

	enc := call(t, base, "POST", "/api/codec/encode", a.adminKey, plain)
	want(t, enc, 200)
	ps, _ := enc.body["payloads"].([]any)
	var sealedPs commonpb.Payloads
	if err := protojson.Unmarshal(enc.raw, &sealedPs); err != nil || len(ps) != 1 || strings.Contains(string(sealedPs.Payloads[0].GetData()), "canary") {
		t.Fatalf("encoded: %s (%v)", enc.raw, err)
	}
	md := ps[0].(map[string]any)["metadata"].(map[string]any)
	if md[encryption.MetaProject] != b64(a.id) || md[encryption.MetaKeyID] != b64("k1") {
		t.Fatalf("encoded metadata: %v", md)
	}
	sealed := string(enc.raw)
	decoded := func(r response) bool { return strings.Contains(string(r.raw), b64(`"canary-alice@example.com"`)) }

	if r := call(t, base, "POST", "/api/codec/decode", a.adminKey, sealed); r.status != 200 || !decoded(r) {
		t.Fatalf("its own project's key: %d %s", r.status, r.raw)
	}
	if r := call(t, base, "POST", "/api/codec/decode", b.adminKey, sealed); r.status != 403 {
		t.Fatalf("another project's key: %d %s", r.status, r.raw)
	}
	if r := call(t, base, "POST", "/api/codec/decode", a.ingestKey, sealed); r.status != 403 {
		t.Fatalf("an ingest key: %d %s", r.status, r.raw)
	}
	if r := call(t, base, "POST", "/api/codec/decode", adminToken, sealed); r.status != 200 || !decoded(r) {
		t.Fatalf("the instance admin: %d %s", r.status, r.raw)
	}
	if r := call(t, base, "POST", "/api/codec/ui/ct_test_codec_token/decode", "", sealed, "X-Namespace", "default"); r.status != 200 || !decoded(r) {
		t.Fatalf("the UI's codec token: %d %s", r.status, r.raw)
	}
	if r := call(t, base, "POST", "/api/codec/ui/ct_wrong/decode", "", sealed); r.status != 404 || decoded(r) {
		t.Fatalf("a wrong codec token: %d %s", r.status, r.raw)
	}
	if r := call(t, base, "POST", "/api/codec/decode", "", sealed); r.status != 401 {
		t.Fatalf("no key: %d %s", r.status, r.raw)
	}
	if r := call(t, base, "POST", "/api/codec/decode", a.adminKey, `{"payloads":"x"}`); r.status != 400 || field(r) != "payloads" {
		t.Fatalf("not Payloads: %d %s", r.status, r.raw)
	}

	pre, _ := http.NewRequest("OPTIONS", base+"/api/codec/ui/ct_test_codec_token/decode", nil)
	pre.Header.Set("Origin", "http://ui.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace")
	resp, err := http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "http://ui.example" {
		t.Fatalf("preflight from the UI's origin: %d %v", resp.StatusCode, resp.Header)
	}

	// A payload of no project (the SDK encodes failures outside any
	// workflow's context) is the instance admin's: a project key gets it
	// back as it is, and the rest of the batch decoded.
	orphan := call(t, base, "POST", "/api/codec/encode", adminToken, plain)
	want(t, orphan, 200)
	both := `{"payloads":[` + strings.TrimSuffix(strings.TrimPrefix(string(orphan.raw), `{"payloads":[`), `]}`) + `,` +
		strings.TrimSuffix(strings.TrimPrefix(sealed, `{"payloads":[`), `]}`) + `]}`
	r := call(t, base, "POST", "/api/codec/decode", a.adminKey, both)
	ps, _ = r.body["payloads"].([]any)
	if r.status != 200 || len(ps) != 2 || !strings.Contains(fmt.Sprint(ps[0]), b64(encryption.EncodingEncrypted)) || !strings.Contains(fmt.Sprint(ps[1]), b64(`"canary-alice@example.com"`)) {
		t.Fatalf("a batch of a no-project payload and its own: %d %s", r.status, r.raw)
	}

	// Without keys nothing is sealed: payloads come back as they are, so
	// a UI pointed here still shows them.
	if r := do(t, "POST", "/api/codec/decode", a.adminKey, plain); r.status != 200 || !decoded(r) {
		t.Fatalf("encryption off: %d %s", r.status, r.raw)
	}
}

// TestEncryptionStatus: the status names the keys and counts the open
// workflows holding payloads sealed with each, so an operator knows when
// an old key can go; plaintext ones (from before encryption) count apart.
func TestEncryptionStatus(t *testing.T) {
	k1, k2 := encryptiontest.Key(t, "k1"), encryptiontest.Key(t, "k2")
	old, rotated := encryptiontest.Ring(t, k1), encryptiontest.Ring(t, k2, k1)
	base := serverWith(t, api.Options{Keys: rotated})
	p := newProject(t)
	queue := "nobody-polls-" + p.id // the workflows stay open
	ctx := context.Background()
	for i, dc := range []converter.DataConverter{nil, encryption.DataConverter(old, true), encryption.DataConverter(rotated, true)} {
		tc := e2e.temporal
		if dc != nil {
			var err error
			if tc, err = client.NewClientFromExisting(e2e.temporal, client.Options{DataConverter: dc}); err != nil {
				t.Fatal(err)
			}
		}
		id := fmt.Sprintf("ingest/%s/api/ing_status%d", p.id, i)
		if _, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, "Ingest", "canary"); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = e2e.temporal.TerminateWorkflow(ctx, id, "", "test over") }()
	}
	var r response
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		r = call(t, base, "GET", "/api/admin/encryption", adminToken, nil)
		open, _ := r.body["open_workflows"].(map[string]any)
		if r.status == 200 && open["k1"] != nil && open["k2"] != nil && open["plaintext"] != nil || time.Now().After(deadline) {
			break
		}
	}
	if r.status != 200 || r.body["current_key"] != "k2" || fmt.Sprint(r.body["keys"]) != "[k2 k1]" {
		t.Fatalf("status: %d %s", r.status, r.raw)
	}
	open, _ := r.body["open_workflows"].(map[string]any)
	for _, id := range []string{"k1", "k2", "plaintext"} {
		if n, _ := open[id].(float64); n < 1 {
			t.Fatalf("no open workflow counted for %s: %s", id, r.raw)
		}
	}
	if r.body["connector_secrets"] == nil || r.body["stored_bodies"] == nil {
		t.Fatalf("status lacks the database's counts: %s", r.raw)
	}
	if r := call(t, base, "GET", "/api/admin/encryption", p.adminKey, nil); r.status != 403 {
		t.Fatalf("a project key: %d", r.status)
	}
}
