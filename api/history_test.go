package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/intakehq/intake"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// shape counts a closed workflow's events by type and checks the shape
// every ingest workflow has, whatever it carries: six events, one workflow
// task, one local-activity marker and no regular activity.
func shape(t *testing.T, events []*historypb.HistoryEvent) {
	t.Helper()
	count := map[enumspb.EventType]int{}
	for _, ev := range events {
		count[ev.GetEventType()]++
	}
	if len(events) != 6 || count[enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED] != 1 || count[enumspb.EVENT_TYPE_MARKER_RECORDED] != 1 ||
		count[enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED] != 0 || count[enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED] != 1 {
		t.Fatalf("%d events: %v", len(events), count)
	}
	if name := events[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName(); name != "Ingest" {
		t.Fatalf("workflow type %s, want Ingest", name)
	}
}

// attrs reads a workflow's search attributes, as JSON.
func attrs(t *testing.T, id string) map[string]string {
	t.Helper()
	desc, err := e2e.temporal.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for name, p := range desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields() {
		out[name] = string(p.GetData())
	}
	return out
}

// TestSingleMetricCallHistory reads a lone call's history from Temporal: a
// workflow of its own, named after the call, of the usual shape, with the
// search attributes operators filter by. With -update it records the
// history that the workflows package replays.
func TestSingleMetricCallHistory(t *testing.T) {
	p := newProject(t)
	r := do(t, "POST", "/api/ingest/metric", p.ingestKey, `{"metric":"revenue","value":42}`)
	want(t, r, 200)
	id := intake.WorkflowID(p.id, intake.APIConnector, r.str("ingest_id"))
	events := history(t, id)
	shape(t, events)
	sa := attrs(t, id)
	for name, want := range map[string]string{"IntakeProject": `"` + p.id + `"`, "IntakeKind": `"metric"`, "IntakeSource": `"api"`,
		"IntakeIngestIDs": `["` + r.str("ingest_id") + `"]`} {
		if sa[name] != want {
			t.Errorf("search attribute %s = %s, want %s", name, sa[name], want)
		}
	}
	record(t, events, "ingest_one")
}

// hubspotDelivery is a signed HubSpot delivery of n contact.creation
// events: one lane, so one workflow carries them all.
func hubspotDelivery(n int) delivery {
	var events []map[string]any
	for i := range n {
		events = append(events, map[string]any{"eventId": 5000 + i, "subscriptionId": 2840011, "portalId": 62515001, "appId": 4105501,
			"occurredAt": 1767261600000, "subscriptionType": "contact.creation", "attemptNumber": 0, "objectId": 90210000 + i,
			"changeFlag": "NEW", "changeSource": "CRM_UI"})
	}
	body, _ := json.Marshal(events)
	const url, ts = "https://hub.example.com/webhooks/hubspot", "1767261600000"
	mac := hmac.New(sha256.New, []byte(fixtureSecrets["hubspot"]))
	fmt.Fprintf(mac, "POST%s%s%s", url, body, ts)
	return delivery{body: body, signedURL: url, headers: []string{"Content-Type", "application/json",
		"X-HubSpot-Signature-v3", base64.StdEncoding.EncodeToString(mac.Sum(nil)), "X-HubSpot-Request-Timestamp", ts}}
}

// TestWorkflowCarryingSeveralCalls: the events of one delivery share a
// workflow. It has the same six events as a lone call's, the search
// attribute IntakeIngestIDs finds it by any of its calls, and each call
// answers GET /api/ingest/{id} with that workflow. With -update its
// history is recorded for the replay test.
func TestWorkflowCarryingSeveralCalls(t *testing.T) {
	base := webhookServer(t)
	p := newProject(t)
	d := hubspotDelivery(5)
	conn := newConnector(t, p, "hubspot", fixtureSecrets["hubspot"], map[string]any{"public_url": d.signedURL})
	r := post(t, base+"/api/webhook/hubspot?connector_id="+conn["id"].(string), d)
	want(t, r, 200)
	settle(t, r)
	var ids []string
	wf := ""
	for _, e := range r.body["events"].([]any) {
		ev := e.(map[string]any)
		ids = append(ids, ev["ingest_id"].(string))
		if wf != "" && ev["workflow_id"] != wf {
			t.Fatalf("one delivery's events in two workflows: %s", r.raw)
		}
		wf = ev["workflow_id"].(string)
	}
	events := history(t, wf)
	shape(t, events)
	sa := attrs(t, wf)
	var carried []string
	if err := json.Unmarshal([]byte(sa["IntakeIngestIDs"]), &carried); err != nil || !slices.Equal(carried, ids) {
		t.Fatalf("IntakeIngestIDs = %s, want %v", sa["IntakeIngestIDs"], ids)
	}
	if sa["IntakeConnector"] != `"`+conn["id"].(string)+`"` || sa["IntakeEventType"] != `"contact.creation"` || sa["IntakeKind"] != `"webhook"` {
		t.Fatalf("search attributes %v", sa)
	}
	for _, id := range ids {
		st := do(t, "GET", "/api/ingest/"+id, p.adminKey, nil)
		want(t, st, 200)
		if st.str("status") != "done" || st.str("workflow_id") != wf || st.str("kind") != "webhook" {
			t.Fatalf("status of %s: %s", id, st.raw)
		}
	}
	if got := metricsByName(t, p)["New Contact"]; got != "count 5" {
		t.Fatalf("New Contact = %q, want 5", got)
	}
	record(t, events, "ingest_group")
}

// TestSalesDashCallHistories: an activity and a sale call each have the
// shape of every ingest workflow.
func TestSalesDashCallHistories(t *testing.T) {
	sc := newSalesConnector(t, nil)
	for kind, fields := range map[string]map[string]any{"activities": activityFields("h-1"), "sales": saleFields("h-1")} {
		r := sc.send(t, kind, "json", fields)
		want(t, r, 200)
		shape(t, history(t, intake.WorkflowID(sc.project.id, sc.id, r.str("ingest_id"))))
	}
}

// history reads a closed workflow's events.
func history(t *testing.T, id string) []*historypb.HistoryEvent {
	t.Helper()
	var events []*historypb.HistoryEvent
	it := e2e.temporal.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	return events
}

// record writes a history for the workflows package's replay test, with
// -update. The first release's histories in testdata/v1 are never
// rewritten.
func record(t *testing.T, events []*historypb.HistoryEvent, name string) {
	t.Helper()
	if !*update {
		return
	}
	raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&historypb.History{Events: events})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "workflows", "testdata", name+".history.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}
