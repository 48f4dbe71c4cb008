package activities

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
)

// TestReplayingAFailedCallAppliesItAsItsKind: a metric call that failed
// for good (its metric was missing a key the rule needs, say) is an inbox
// item holding its input; replaying it once its cause is fixed applies the
// call as a metric call, once, and resolves the item.
func TestReplayingAFailedCallAppliesItAsItsKind(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	p, m := storetest.Project(t, st)
	a := &Activities{Store: st}
	call, err := Metric.Call(intake.Call{IngestID: intake.NewID("ing"), ProjectID: p.ID, Source: "crm", ReceivedAt: time.Now()},
		intake.MetricInput{Metric: "revenue", Value: 5, Op: intake.OpAdd, Timestamp: time.Now(), Source: "crm"})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := st.ApplyCalls(ctx, []intake.Call{call}, 1, func(*store.Tx, intake.Call) (any, error) {
		return nil, intake.Invalid("value", "refused for the test")
	})
	if err != nil || outs[0].Error == nil {
		t.Fatalf("the failing call: %+v, %v", outs, err)
	}
	items, _, err := st.ListInbox(ctx, p.ID, store.InboxFilter{}, store.Page{})
	if err != nil || len(items) != 1 || !items[0].Failed {
		t.Fatalf("inbox %+v, %v", items, err)
	}
	for run := range 2 {
		replay, err := Replay.Call(intake.Call{IngestID: "rpl_" + items[0].ID, ProjectID: p.ID, ReceivedAt: time.Now()},
			ReplayInput{ItemID: items[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		outs, err := a.apply(ctx, []intake.Call{replay}, 1)
		if err != nil || outs[0].Error != nil {
			t.Fatalf("replay %d: %+v, %v", run, outs, err)
		}
		var res ReplayItemResult
		if err := json.Unmarshal(outs[0].Result, &res); err != nil || !res.Resolved {
			t.Fatalf("replay %d: %s", run, outs[0].Result)
		}
	}
	got, err := st.GetMetric(ctx, p.ID, m.ID)
	if err != nil || got.Value != 15 {
		t.Fatalf("value %v, %v: want 15 (the replayed call applied once)", got.Value, err)
	}
	it, err := st.GetInboxItem(ctx, p.ID, items[0].ID)
	if err != nil || it.Status != store.InboxResolved {
		t.Fatalf("item %+v, %v", it, err)
	}
}

// TestAFailedReplayChangesItsItem: a replay of a failed call that fails
// again says why on its item, which, having changed, gets a new replay key:
// the next replay, once the cause is fixed, is not answered with the
// failure of this one.
func TestAFailedReplayChangesItsItem(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	p, _ := storetest.Project(t, st)
	a := &Activities{Store: st}
	// An input its kind cannot read: it fails again on every replay.
	call := intake.Call{IngestID: intake.NewID("ing"), ProjectID: p.ID, Kind: intake.KindMetric, Source: "crm",
		ReceivedAt: time.Now(), Input: []byte(`{"metric": "revenue", "value": "not a number"}`)}
	if _, err := st.ApplyCalls(ctx, []intake.Call{call}, 1, a.applier(nil)); err != nil {
		t.Fatal(err)
	}
	items, _, err := st.ListInbox(ctx, p.ID, store.InboxFilter{}, store.Page{})
	if err != nil || len(items) != 1 || !items[0].Failed {
		t.Fatalf("inbox %+v, %v", items, err)
	}
	before := ReplayKey(items[0], 0)
	time.Sleep(2 * time.Millisecond) // a key tells item states a millisecond apart; a replay request is later than that

	replay, err := Replay.Call(intake.Call{IngestID: "rpl_" + before, ProjectID: p.ID, ReceivedAt: time.Now()}, ReplayInput{ItemID: items[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := a.apply(ctx, []intake.Call{replay}, 1)
	if err != nil || outs[0].Error == nil {
		t.Fatalf("the replay: %+v, %v", outs, err)
	}
	it, err := st.GetInboxItem(ctx, p.ID, items[0].ID)
	if err != nil || it.Status != store.InboxOpen || !strings.Contains(it.Reason, "its replay failed") || ReplayKey(it, 0) == before {
		t.Fatalf("the item after its failed replay: %+v, %v", it, err)
	}
}
