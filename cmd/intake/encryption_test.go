//go:build !nodev

package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
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

// connectorWithSecret creates a generic connector signed with secret.
func connectorWithSecret(t *testing.T, d *devProcess, secret string) {
	t.Helper()
	if code, body := send(t, "POST", d.api+"/api/admin/connectors", d.adminKey, `{"type":"generic","name":"G","secret":"`+secret+`"}`); code != 201 {
		t.Fatalf("create connector: %d %s", code, body)
	}
}

// TestDevEncryptsPayloadsAtRest: intake dev seals what it hands to
// Temporal and the connector secrets it keeps. A call's canary appears
// nowhere in Temporal's database files and a connector's secret nowhere in
// intake's (whose inbox keeps payloads queryable, by design), while the
// codec endpoint its Temporal UI is configured with shows the call
// decoded. With encryption off the same scans find both, so they can see
// what they look for.
func TestDevEncryptsPayloadsAtRest(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	d := startDev(t, "--data-dir", dataDir)
	canary := fmt.Sprintf("canary-%d@example.com", time.Now().UnixNano())
	secret := fmt.Sprintf("secret-canary-%d", time.Now().UnixNano())
	connectorWithSecret(t, d, secret)
	input := pushCanary(t, d, canary)
	raw, _ := protojson.Marshal(input)
	if bytes.Contains(raw, []byte(canary)) || !strings.Contains(string(raw), "binary/encrypted") && !strings.Contains(string(raw), "YmluYXJ5L2VuY3J5cHRlZA") {
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
	if err := protojson.Unmarshal([]byte(decoded), &out); code != 200 || err != nil || len(out.Payloads) != 1 || !bytes.Contains(out.Payloads[0].GetData(), []byte(canary)) {
		t.Fatalf("decoded through the UI's codec: %d %v %.300s", code, err, decoded)
	}
	d.stop(t)
	if db := dbFiles(t, dataDir, "temporal.db"); bytes.Contains(db, []byte(canary)) {
		t.Fatal("the canary is in Temporal's database files in plaintext")
	}
	if db := dbFiles(t, dataDir, "intake.db"); bytes.Contains(db, []byte(secret)) {
		t.Fatal("a connector secret is in intake's database files in plaintext")
	}
	if keys, err := os.Stat(filepath.Join(dataDir, "encryption.keys")); err != nil || keys.Mode().Perm() != 0o600 {
		t.Fatalf("the dev key file: %v %v", keys, err)
	}

	plainDir := filepath.Join(t.TempDir(), "plain")
	p := startDev(t, "--data-dir", plainDir, "--encryption-keys", "none")
	connectorWithSecret(t, p, secret)
	pushCanary(t, p, canary)
	p.stop(t)
	if db := dbFiles(t, plainDir, "temporal.db"); !bytes.Contains(db, []byte(canary)) {
		t.Fatal("with encryption off the scan does not find the canary: it proves nothing")
	}
	if db := dbFiles(t, plainDir, "intake.db"); !bytes.Contains(db, []byte(secret)) {
		t.Fatal("with encryption off the scan does not find the secret: it proves nothing")
	}
}
