package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
)

// TestBadEventInASharedWorkflowEndsAlone: five events of one delivery
// share a workflow; the rule makes one of them a value that cannot be
// stored (1/0). That event ends alone, in the inbox with the rule's error,
// and the four others are applied once, in the same workflow, unretried;
// once the rule is fixed, replaying the inbox applies it, once.
func TestBadEventInASharedWorkflowEndsAlone(t *testing.T) {
	base := webhookServer(t)
	p := newProject(t)
	d := hubspotDelivery(5)
	conn := newConnector(t, p, "hubspot", fixtureSecrets["hubspot"], map[string]any{"public_url": d.signedURL})
	want(t, do(t, "POST", "/api/admin/mappings", p.adminKey, map[string]any{"connector_id": conn["id"], "rules": []map[string]any{
		{"name": "inverse", "metric": "revenue", "value": "2 + 1 / (event.data.objectId - 90210002)", "op": "add"}}}), 201)
	r := post(t, base+"/api/webhook/hubspot?connector_id="+conn["id"].(string), d)
	want(t, r, 200)
	settle(t, r)
	events := r.body["events"].([]any)
	wf := events[0].(map[string]any)["workflow_id"].(string)
	for i, e := range events {
		ev := e.(map[string]any)
		st := do(t, "GET", "/api/ingest/"+ev["ingest_id"].(string), p.adminKey, nil)
		want(t, st, 200)
		res, _ := st.body["result"].(map[string]any)
		if st.str("status") != "done" || st.str("workflow_id") != wf || (i == 2) != (res["inboxed"] == true) {
			t.Fatalf("event %d: %s", i, st.raw)
		}
	}
	// 4×2 + 1/(-2) + 1/(-1) + 1/1 + 1/2 = 8: the four applied once each.
	m, err := e2e.store.GetMetric(context.Background(), p.id, p.metricID)
	if pts := p.points(t); len(pts) != 4 || err != nil || m.Value != 8 {
		t.Fatalf("value %v (%v) with points %+v", m.Value, err, pts)
	}
	counts, _ := eventCounts(t, wf)
	if counts[enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED] != 1 || counts[enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED] != 1 ||
		counts[enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED] != 0 {
		t.Fatalf("the shared workflow was retried or failed: %v", counts)
	}
	if failed := do(t, "GET", "/api/admin/calls?status=failed", p.adminKey, nil); len(failed.body["data"].([]any)) != 0 {
		t.Fatalf("failed calls: %s", failed.raw)
	}
	inbox := do(t, "GET", "/api/admin/inbox?status=open", p.adminKey, nil)
	items := inbox.body["data"].([]any)
	if len(items) != 1 || !strings.Contains(items[0].(map[string]any)["reason"].(string), "not a finite number") {
		t.Fatalf("inbox: %s", inbox.raw)
	}
	want(t, do(t, "POST", "/api/admin/mappings", p.adminKey, map[string]any{"connector_id": conn["id"], "rules": []map[string]any{
		{"name": "inverse", "metric": "revenue", "value": "2", "op": "add"}}}), 201)
	for range 2 { // replaying twice applies it once
		want(t, do(t, "POST", "/api/admin/inbox/replay", p.adminKey, map[string]any{}), 200)
	}
	item := do(t, "GET", "/api/admin/inbox/"+items[0].(map[string]any)["id"].(string), p.adminKey, nil)
	if m, _ := e2e.store.GetMetric(context.Background(), p.id, p.metricID); m.Value != 10 || item.str("status") != "resolved" {
		t.Fatalf("after the replay: value %v, item %s", m.Value, item.raw)
	}
}

// TestRepeatAfterRetentionHasOneEffect: a call's repeat still has no
// second effect once Temporal has deleted the first call's workflow (as
// retention does): the claim in the database answers it.
func TestRepeatAfterRetentionHasOneEffect(t *testing.T) {
	t.Parallel() // Temporal deletes a workflow in its own time: tens of seconds
	p := newProject(t)
	body := `{"metric": "revenue", "value": 31}`
	first := do(t, "POST", "/api/ingest/metric", p.ingestKey, body, "Idempotency-Key", "kept-for-ever")
	want(t, first, 200)
	id := intake.WorkflowID(p.id, intake.APIConnector, first.str("ingest_id"))
	ctx := context.Background()
	// Deletion is asynchronous in Temporal: ask until the workflow is gone.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		_, err := e2e.temporal.WorkflowService().DeleteWorkflowExecution(ctx, &workflowservice.DeleteWorkflowExecutionRequest{
			Namespace: "default", WorkflowExecution: execution(id)})
		_, derr := e2e.temporal.DescribeWorkflowExecution(ctx, id, "")
		var gone *serviceerror.NotFound
		if errors.As(derr, &gone) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("workflow %s still there: %v, %v", id, err, derr)
		}
	}
	again := do(t, "POST", "/api/ingest/metric", p.ingestKey, body, "Idempotency-Key", "kept-for-ever")
	want(t, again, 200)
	if string(again.raw) != string(first.raw) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("repeat answered %s (replayed %q), first %s", again.raw, again.header.Get("Idempotent-Replayed"), first.raw)
	}
	if n := len(p.points(t)); n != 1 {
		t.Fatalf("%d points, want 1", n)
	}
}

// TestLargeBodiesTravelByReference: data and webhook bodies up to 5 MB are
// accepted; one too large for a workflow input is stored first, the
// workflow carries its reference, and the inbox keeps it whole.
func TestLargeBodiesTravelByReference(t *testing.T) {
	p := newProject(t)
	want(t, do(t, "POST", "/api/admin/mappings", p.adminKey, `{"source": "warehouse", "rules": [{"sourceField": "total", "metricId": "revenue"}]}`), 201)
	blob := strings.Repeat("0123456789abcdef", (4<<20)/16) // 4 MB
	body := fmt.Sprintf(`{"source": "warehouse", "total": 12, "blob": %q}`, blob)
	r := do(t, "POST", "/api/ingest/data", p.ingestKey, body)
	want(t, r, 200)
	if r.body["inboxed"] != true || len(r.body["updated"].([]any)) != 1 {
		t.Fatalf("answer %.500s", r.raw)
	}
	item := do(t, "GET", "/api/admin/inbox/"+r.str("inbox_id"), p.adminKey, nil)
	want(t, item, 200)
	if got, _ := item.body["payload"].(map[string]any)["blob"].(string); got != blob {
		t.Fatalf("the inbox kept %d of the blob's %d bytes", len(got), len(blob))
	}
	st := do(t, "GET", "/api/ingest/"+r.str("ingest_id"), p.adminKey, nil)
	events := history(t, st.str("workflow_id"))
	input := events[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()[0].GetData()
	var carried struct {
		Calls []intake.Call `json:"calls"`
	}
	if err := json.Unmarshal(input, &carried); err != nil || len(input) > 4<<10 || carried.Calls[0].BodyRef == "" {
		t.Fatalf("workflow input of %d bytes: %.300s", len(input), input)
	}

	// A 5 MB webhook delivery (just under the limit) through a generic
	// connector with no rules: accepted, and in the inbox whole.
	base := webhookServer(t)
	conn := newConnector(t, p, "generic", fixtureSecrets["generic"], nil)
	big := fmt.Sprintf(`{"type": "export", "rows": %q}`, strings.Repeat("r", intakeMaxBody-64))
	d := delivery{body: []byte(big), headers: []string{"Content-Type", "application/json", "X-Signature", hexHMAC(fixtureSecrets["generic"], big)}}
	wr := post(t, base+"/api/webhook/generic?connector_id="+conn["id"].(string), d)
	want(t, wr, 200)
	settle(t, wr)
	inbox, _, err := e2e.store.ListInbox(context.Background(), p.id, store.InboxFilter{Source: "generic"}, store.Page{})
	if err != nil || len(inbox) != 1 {
		t.Fatalf("inbox %v %v", inbox, err)
	}
	full, err := e2e.store.GetInboxItem(context.Background(), p.id, inbox[0].ID)
	if err != nil || !strings.Contains(full.Payload, `"`+strings.Repeat("r", intakeMaxBody-64)+`"`) {
		t.Fatalf("the delivery was not kept whole (%d bytes): %v", len(full.Payload), err)
	}
}

// intakeMaxBody is the 5 MB limit of every body.
const intakeMaxBody = 5 << 20

func execution(id string) *commonpb.WorkflowExecution {
	return &commonpb.WorkflowExecution{WorkflowId: id}
}

// hexHMAC is a generic connector's signature of body.
func hexHMAC(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}
