package workflows_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/workflows"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
)

// TestIngestArgIsTheInputItsCallsMake: a start's input joined from its
// calls' own encodings is the IngestInput they make, byte for byte as the
// data converter would encode it, and decodes to the same calls.
func TestIngestArgIsTheInputItsCallsMake(t *testing.T) {
	at := time.Date(2026, 12, 8, 1, 2, 3, 4, time.UTC)
	calls := []intake.Call{
		{IngestID: "ing_1", ProjectID: "p_1", Kind: intake.KindMetric, Source: "crm", ReceivedAt: at,
			Input: json.RawMessage(`{"metric":"revenue","value":5}`), Fingerprint: "f"},
		{IngestID: "whk_2", ProjectID: "p_1", ConnectorID: "c_1", Kind: intake.KindWebhook, Source: "generic",
			EventType: "a.b", ReceivedAt: at, BodyRef: "body_3"},
	}
	dc := converter.GetDefaultDataConverter()
	for _, n := range []int{1, 2} {
		joined, err := dc.ToPayload(workflows.IngestArg(encoded(t, calls[:n])))
		if err != nil {
			t.Fatal(err)
		}
		typed, err := dc.ToPayload(workflows.IngestInput{Calls: calls[:n]})
		if err != nil {
			t.Fatal(err)
		}
		if string(joined.GetData()) != string(typed.GetData()) || !reflect.DeepEqual(joined.GetMetadata(), typed.GetMetadata()) {
			t.Fatalf("%d calls: joined %s %v, typed %s %v", n, joined.GetData(), joined.GetMetadata(), typed.GetData(), typed.GetMetadata())
		}
		var in workflows.IngestInput
		if err := dc.FromPayload(joined, &in); err != nil || !reflect.DeepEqual(in.Calls, calls[:n]) {
			t.Fatalf("%d calls decode to %+v, %v", n, in.Calls, err)
		}
	}
}

// TestIngestStartsByItsName: a lane starts Ingest by IngestName with its
// calls joined, which is the name the worker registers the function under.
func TestIngestStartsByItsName(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(workflows.Ingest) // as worker.Register does
	st := &fakeStore{outcome: updated}
	env.RegisterActivity(&activities.Activities{Store: st})
	env.ExecuteWorkflow(workflows.IngestName, workflows.IngestArg(encoded(t, calls(2).Calls)))
	var out workflows.IngestResult
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil || env.GetWorkflowResult(&out) != nil || len(out.Outcomes) != 2 {
		t.Fatalf("completed %v, error %v, outcomes %+v", env.IsWorkflowCompleted(), env.GetWorkflowError(), out.Outcomes)
	}
}

// encoded is each call as a lane's start takes it.
func encoded(t *testing.T, calls []intake.Call) [][]byte {
	t.Helper()
	wires := make([][]byte, len(calls))
	for i, c := range calls {
		var err error
		if wires[i], err = workflows.EncodeCall(c); err != nil {
			t.Fatal(err)
		}
	}
	return wires
}
