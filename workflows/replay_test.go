package workflows_test

import (
	"context"
	"os"
	"testing"

	"github.com/intakehq/intake/encryption"
	"github.com/intakehq/intake/encryption/encryptiontest"
	"github.com/intakehq/intake/workflows"
	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/proto"
)

// TestReplayRecordedHistories replays histories recorded from real runs
// (go test ./api -run 'History|SeveralCalls' -update). A change to a
// shipped workflow that breaks determinism fails here before it reaches a
// running cluster. testdata/v1 holds one history of every workflow type
// the first release started, recorded from it and never rewritten, so
// workflows still running when a cluster upgrades finish on new workers.
type recorded struct {
	name     string
	give     string
	workflow any
}

var histories = []recorded{
	{"a lone call", "testdata/ingest_one.history.json", workflows.Ingest},
	{"five webhook events in one workflow", "testdata/ingest_group.history.json", workflows.Ingest},
	{"an alert notification, tried three times", "testdata/notify_alert.history.json", workflows.NotifyAlert},
	{"an alerts sweep", "testdata/sweep_alerts.history.json", workflows.SweepAlerts},
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

func TestReplayRecordedHistories(t *testing.T) {
	for _, tt := range histories {
		t.Run(tt.name, func(t *testing.T) {
			replayer := sdkworker.NewWorkflowReplayer()
			replayer.RegisterWorkflow(tt.workflow)
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, tt.give); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestReplayWithEncryption: with payload encryption on, every recorded
// history still replays: as recorded (written before a key existed), and
// sealed with an older key k1 under a ring whose current key is k2. A ring
// without k1 cannot replay the sealed ones, so the workflows really read
// what was sealed.
func TestReplayWithEncryption(t *testing.T) {
	key := func(id string) string { return encryptiontest.Key(t, id) }
	ring := func(keys ...string) *encryption.Keyring { return encryptiontest.Ring(t, keys...) }
	k1, k2 := key("k1"), key("k2")
	old, rotated, stranger := ring(k1), ring(k2, k1), ring(key("k3"))
	replay := func(r *encryption.Keyring, tt recorded, h *historypb.History) error {
		dc := encryption.DataConverter(r, true)
		replayer, err := sdkworker.NewWorkflowReplayerWithOptions(sdkworker.WorkflowReplayerOptions{
			DataConverter: dc, FailureConverter: encryption.FailureConverter(dc)})
		if err != nil {
			t.Fatal(err)
		}
		replayer.RegisterWorkflow(tt.workflow)
		return replayer.ReplayWorkflowHistory(nil, h)
	}
	for _, tt := range histories {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.Open(tt.give)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			plain, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := replay(rotated, tt, plain); err != nil {
				t.Fatalf("a plaintext history with encryption on: %v", err)
			}
			sealed := proto.Clone(plain).(*historypb.History)
			n := 0
			err = proxy.VisitPayloads(context.Background(), sealed, proxy.VisitPayloadsOptions{SkipSearchAttributes: true,
				Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
					n += len(ps)
					return encryption.Encode(old, "p_replay", true, ps)
				}})
			if err != nil || n == 0 {
				t.Fatalf("sealing the history: %v (%d payloads)", err, n)
			}
			if err := replay(rotated, tt, sealed); err != nil {
				t.Fatalf("a history sealed with the older key: %v", err)
			}
			if err := replay(stranger, tt, sealed); err == nil {
				t.Fatal("a ring without k1 replayed the sealed history")
			}
		})
	}
}
