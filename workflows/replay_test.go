package workflows_test

import (
	"testing"

	"github.com/intakehq/intake/workflows"
	sdkworker "go.temporal.io/sdk/worker"
)

// TestReplayRecordedHistories replays histories recorded from real runs
// (go test ./api -run 'History|SeveralCalls' -update). A change to a
// shipped workflow that breaks determinism fails here before it reaches a
// running cluster. testdata/v1 holds one history of every workflow type
// the first release started, recorded from it and never rewritten, so
// workflows still running when a cluster upgrades finish on new workers.
func TestReplayRecordedHistories(t *testing.T) {
	tests := []struct {
		name     string
		give     string
		workflow any
	}{
		{"a lone call", "testdata/ingest_one.history.json", workflows.Ingest},
		{"five webhook events in one workflow", "testdata/ingest_group.history.json", workflows.Ingest},
		{"v1 single metric", "testdata/v1/ingest_metric.history.json", workflows.IngestMetric},
		{"v1 batch", "testdata/v1/ingest_batch.history.json", workflows.IngestBatch},
		{"v1 custom webhook", "testdata/v1/ingest_custom.history.json", workflows.IngestBatch},
		{"v1 data", "testdata/v1/ingest_data.history.json", workflows.IngestData},
		{"v1 tasks", "testdata/v1/ingest_tasks.history.json", workflows.IngestTasks},
		{"v1 provider event", "testdata/v1/ingest_event.history.json", workflows.IngestEvent},
		{"v1 salesdash activity", "testdata/v1/ingest_activities.history.json", workflows.IngestActivity},
		{"v1 salesdash sale", "testdata/v1/ingest_sales.history.json", workflows.IngestSale},
		{"v1 inbox replay", "testdata/v1/replay_inbox.history.json", workflows.ReplayInbox},
		{"v1 inbox replay item", "testdata/v1/replay_item.history.json", workflows.ReplayItem},
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
