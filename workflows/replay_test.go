package workflows_test

import (
	"testing"

	"github.com/intakehq/intake/workflows"
	sdkworker "go.temporal.io/sdk/worker"
)

// TestReplayRecordedHistories replays histories recorded from real runs
// (go test ./api -run 'CallHistor' -update). A change to a
// shipped workflow that breaks determinism fails here before it reaches a
// running cluster.
func TestReplayRecordedHistories(t *testing.T) {
	tests := []struct {
		name     string
		give     string
		workflow any
	}{
		{"single metric", "testdata/ingest_metric.history.json", workflows.IngestMetric},
		{"salesdash activity", "testdata/ingest_activities.history.json", workflows.IngestActivity},
		{"salesdash sale", "testdata/ingest_sales.history.json", workflows.IngestSale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			replayer := sdkworker.NewWorkflowReplayer()
			replayer.RegisterWorkflow(tt.workflow)
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, tt.give); err != nil {
				t.Fatal(err)
			}
		})
	}
}
