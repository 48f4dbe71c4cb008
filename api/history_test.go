package api_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/intakehq/intake/workflows"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// TestSingleMetricCallHistory reads a real call's history from Temporal: one
// workflow task, a marker for the local activity, at most 8 events, and the
// search attributes operators filter by. With -update it records the history
// that the workflows package replays.
func TestSingleMetricCallHistory(t *testing.T) {
	p := newProject(t)
	r := do(t, "POST", "/api/ingest/metric", p.ingestKey, `{"metric":"revenue","value":42}`)
	want(t, r, 200)
	id := workflows.WorkflowID(p.id, workflows.APIConnector, r.str("ingest_id"))
	ctx := context.Background()

	events := history(t, id)
	count := map[enumspb.EventType]int{}
	for _, ev := range events {
		count[ev.GetEventType()]++
	}
	if len(events) > 8 {
		t.Errorf("%d history events, want at most 8", len(events))
	}
	if n := count[enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]; n != 1 {
		t.Errorf("%d workflow tasks, want 1", n)
	}
	if count[enumspb.EVENT_TYPE_MARKER_RECORDED] != 1 || count[enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED] != 0 {
		t.Errorf("want one local-activity marker and no regular activity: %v", count)
	}
	if count[enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED] != 1 {
		t.Errorf("workflow did not complete: %v", count)
	}

	desc, err := e2e.temporal.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	sa := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
	for name, want := range map[string]string{"IntakeProject": `"` + p.id + `"`, "IntakeKind": `"metric"`, "IntakeSource": `"api"`} {
		if got := string(sa[name].GetData()); got != want {
			t.Errorf("search attribute %s = %s, want %s", name, got, want)
		}
	}

	record(t, events, "v1/ingest_metric")
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
// -update.
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

// TestSalesDashCallHistories: an activity and a sale call are each one
// workflow task and one local-activity marker; with -update they are
// recorded for the replay test.
func TestSalesDashCallHistories(t *testing.T) {
	sc := newSalesConnector(t, nil)
	for kind, fields := range map[string]map[string]any{"activities": activityFields("h-1"), "sales": saleFields("h-1")} {
		r := sc.send(t, kind, "json", fields)
		want(t, r, 200)
		events := history(t, workflows.WorkflowID(sc.project.id, sc.id, r.str("ingest_id")))
		count := map[enumspb.EventType]int{}
		for _, ev := range events {
			count[ev.GetEventType()]++
		}
		if len(events) != 6 || count[enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED] != 1 || count[enumspb.EVENT_TYPE_MARKER_RECORDED] != 1 {
			t.Fatalf("%s: %d events %v", kind, len(events), count)
		}
		record(t, events, "v1/ingest_"+kind)
	}
}
