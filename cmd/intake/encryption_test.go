//go:build !nodev

package main_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/encoding/protojson"
)

// pushCanary sends a data call carrying canary, waits until it is done, and
// returns the input payloads its workflow started with, as Temporal holds
// them.
func pushCanary(t *testing.T, d *devProcess, canary string) *commonpb.Payloads {
	t.Helper()
	input, _ := pushCanaryRun(t, d, canary)
	return input
}

// pushCanaryRun is pushCanary that also returns the workflow's execution.
func pushCanaryRun(t *testing.T, d *devProcess, canary string) (*commonpb.Payloads, *commonpb.WorkflowExecution) {
	t.Helper()
	code, body := send(t, "POST", d.api+"/api/ingest/data", d.adminKey, `{"source":"crm","customer":{"email":"`+canary+`"}}`)
	if code != 200 && code != 202 {
		t.Fatalf("data call: %d %s", code, body)
	}
	var pushed struct {
		IngestID string `json:"ingest_id"`
	}
	_ = json.Unmarshal([]byte(body), &pushed)
	tc, err := client.Dial(client.Options{HostPort: d.temporal,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	ctx := context.Background()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		list, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("IntakeIngestIDs = '%s' AND ExecutionStatus = 'Completed'", pushed.IngestID)})
		if err == nil && len(list.GetExecutions()) == 1 {
			ex := list.GetExecutions()[0].GetExecution()
			it := tc.GetWorkflowHistory(ctx, ex.GetWorkflowId(), ex.GetRunId(), false, 0)
			first, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			return first.GetWorkflowExecutionStartedEventAttributes().GetInput(), ex
		}
		if time.Now().After(deadline) {
			t.Fatalf("no workflow carries %s: %v", pushed.IngestID, err)
		}
	}
}

// dbFiles is a database's files in dataDir (with its journal), one after
// the other: temporal.db, the embedded Temporal server's, or intake.db.
func dbFiles(t *testing.T, dataDir, name string) []byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dataDir, name+"*"))
	if len(files) == 0 {
		t.Fatalf("no %s in %s", name, dataDir)
	}
	var all []byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, raw...)
	}
	return all
}

// connectorWithSecret creates a generic connector signed with secret and
// returns its id.
func connectorWithSecret(t *testing.T, d *devProcess, secret string) string {
	t.Helper()
	code, body := send(t, "POST", d.api+"/api/admin/connectors", d.adminKey, `{"type":"generic","name":"G","secret":"`+secret+`"}`)
	if code != 201 {
		t.Fatalf("create connector: %d %s", code, body)
	}
	var c struct{ ID string }
	_ = json.Unmarshal([]byte(body), &c)
	return c.ID
}

// canaries are the strings one proof run sends: each must be found
// nowhere in plaintext where it does not belong.
type canaries struct{ data, metric, webhook, large, secret string }

func newCanaries() canaries {
	n := time.Now().UnixNano()
	return canaries{data: fmt.Sprintf("canary-data-%d@example.com", n), metric: fmt.Sprintf("canary-metric-%d", n),
		webhook: fmt.Sprintf("canary-webhook-%d@example.com", n), large: fmt.Sprintf("canary-large-%d@example.com", n),
		secret: fmt.Sprintf("secret-canary-%d", n)}
}

// pushAll sends the canaries as a data call, a metric, a signed webhook
// and a data call large enough to be stored by reference, checks that
// GET /api/ingest/{id} reads each one's outcome back, and returns the data
// call's workflow input as Temporal holds it.
func pushAll(t *testing.T, d *devProcess, c canaries) *commonpb.Payloads {
	t.Helper()
	conn := connectorWithSecret(t, d, c.secret)
	input := pushCanary(t, d, c.data)
	var ids []string
	answer := func(code int, body string) {
		t.Helper()
		var a struct {
			IngestID string `json:"ingest_id"`
		}
		if err := json.Unmarshal([]byte(body), &a); err != nil || code >= 300 || a.IngestID == "" {
			t.Fatalf("call: %d %s", code, body)
		}
		ids = append(ids, a.IngestID)
	}
	answer(send(t, "POST", d.api+"/api/ingest/metric", d.adminKey, `{"metric":"`+c.metric+`","value":1}`))
	hook := `{"type":"customer.created","customer":{"email":"` + c.webhook + `"}}`
	mac := hmac.New(sha256.New, []byte(c.secret))
	mac.Write([]byte(hook))
	req, _ := http.NewRequest("POST", d.api+"/api/webhook/generic?connector_id="+conn, strings.NewReader(hook))
	req.Header.Set("X-Signature", hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("signed webhook: %v %v", resp, err)
	}
	resp.Body.Close()
	large := `{"source":"crm","email":"` + c.large + `","pad":"` + strings.Repeat("x", 200<<10) + `"}`
	answer(send(t, "POST", d.api+"/api/ingest/data", d.adminKey, large))
	for _, id := range ids {
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			code, body := get(t, d.api+"/api/ingest/"+id, d.adminKey)
			if code == 200 && strings.Contains(body, `"status":"done"`) && strings.Contains(body, `"result"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET /api/ingest/%s: %d %s", id, code, body)
			}
		}
	}
	// The calls log and the inbox, in intake's own database, show them.
	if code, body := get(t, d.api+"/api/admin/calls?limit=50", d.adminKey); code != 200 || !strings.Contains(body, ids[0]) {
		t.Fatalf("the calls log lacks %s: %d %.300s", ids[0], code, body)
	}
	// A call's input is read back from its workflow's history, opened
	// with the keys when sealed; a large one travelled by reference.
	if code, body := get(t, d.api+"/api/admin/calls/"+ids[0], d.adminKey); code != 200 || !strings.Contains(body, `"input":{"metric":"`+c.metric+`"`) ||
		!strings.Contains(body, `"result":{`) {
		t.Fatalf("GET /api/admin/calls/%s: %d %.500s", ids[0], code, body)
	}
	if code, body := get(t, d.api+"/api/admin/calls/"+ids[1], d.adminKey); code != 200 || !strings.Contains(body, "by reference") || strings.Contains(body, c.large) {
		t.Fatalf("GET /api/admin/calls/%s (large): %d %.500s", ids[1], code, body)
	}
	code, body := get(t, d.api+"/api/admin/inbox?limit=50", d.adminKey)
	var inbox struct {
		Data []struct{ ID string }
	}
	if err := json.Unmarshal([]byte(body), &inbox); code != 200 || err != nil {
		t.Fatalf("the inbox: %d %v %.300s", code, err, body)
	}
	var items strings.Builder
	for _, it := range inbox.Data {
		_, one := get(t, d.api+"/api/admin/inbox/"+it.ID, d.adminKey)
		items.WriteString(one)
	}
	if !strings.Contains(items.String(), c.data) || !strings.Contains(items.String(), c.webhook) {
		t.Fatalf("the inbox does not show the payloads: %.300s", items.String())
	}
	return input
}

// TestDevEncryptsPayloadsAtRest: intake dev seals what it hands to
// Temporal and the connector secrets it keeps. The canaries of a data
// call, a metric, a signed webhook and a body stored by reference appear
// nowhere in Temporal's database files, and a connector's secret nowhere
// in intake's (whose inbox keeps payloads queryable, by design), while
// GET /api/ingest/{id} reads the outcomes back and the codec endpoint its
// Temporal UI is configured with shows the data call decoded. With
// encryption off the same scans find them, so they can see what they
// look for.
func TestDevEncryptsPayloadsAtRest(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	d := startDev(t, "--data-dir", dataDir)
	c := newCanaries()
	input := pushAll(t, d, c)
	raw, _ := protojson.Marshal(input)
	if bytes.Contains(raw, []byte(c.data)) || !strings.Contains(string(raw), "YmluYXJ5L2VuY3J5cHRlZA") { // base64 of binary/encrypted
		t.Fatalf("the workflow's input as Temporal holds it: %.300s", raw)
	}

	// The UI decodes through the endpoint intake dev configured it with.
	_, settings := get(t, d.ui+"/api/v1/settings", "")
	var s struct {
		Codec struct{ Endpoint string }
	}
	if err := json.Unmarshal([]byte(settings), &s); err != nil || !strings.Contains(s.Codec.Endpoint, "/api/codec/ui/") {
		t.Fatalf("the UI's codec: %v %s", err, settings)
	}
	code, decoded := send(t, "POST", s.Codec.Endpoint+"/decode", "", string(raw))
	var out commonpb.Payloads
	if err := protojson.Unmarshal([]byte(decoded), &out); code != 200 || err != nil || len(out.Payloads) != 1 || !bytes.Contains(out.Payloads[0].GetData(), []byte(c.data)) {
		t.Fatalf("decoded through the UI's codec: %d %v %.300s", code, err, decoded)
	}
	d.stop(t)
	db := dbFiles(t, dataDir, "temporal.db")
	for _, canary := range []string{c.data, c.metric, c.webhook, c.large} {
		if bytes.Contains(db, []byte(canary)) {
			t.Fatalf("%s is in Temporal's database files in plaintext", canary)
		}
	}
	if db := dbFiles(t, dataDir, "intake.db"); bytes.Contains(db, []byte(c.secret)) {
		t.Fatal("a connector secret is in intake's database files in plaintext")
	}
	if keys, err := os.Stat(filepath.Join(dataDir, "encryption.keys")); err != nil || keys.Mode().Perm() != 0o600 {
		t.Fatalf("the dev key file: %v %v", keys, err)
	}

	plainDir := filepath.Join(t.TempDir(), "plain")
	p := startDev(t, "--data-dir", plainDir, "--encryption-keys", "none")
	pushAll(t, p, c)
	p.stop(t)
	db = dbFiles(t, plainDir, "temporal.db")
	for _, canary := range []string{c.data, c.metric, c.webhook} { // the large body travels by reference
		if !bytes.Contains(db, []byte(canary)) {
			t.Fatalf("with encryption off the scan does not find %s: it proves nothing", canary)
		}
	}
	if db := dbFiles(t, plainDir, "intake.db"); !bytes.Contains(db, []byte(c.secret)) {
		t.Fatal("with encryption off the scan does not find the secret: it proves nothing")
	}
}
