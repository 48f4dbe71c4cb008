package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// callRows returns the project's call rows by ingest id.
func (f fixture) callRows(t *testing.T, filter store.CallFilter) map[string]store.Call {
	t.Helper()
	rows, _, err := f.st.ListCalls(context.Background(), f.project.ID, filter, store.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Call{}
	for _, r := range rows {
		out[r.IngestID] = r
	}
	return out
}

// TestAcceptedCallsAreListedUntilDone: calls the API recorded as accepted
// are listed as processing, with a failed attempt's count and error, and
// become done when applied, through the group's fast path.
func TestAcceptedCallsAreListedUntilDone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	calls, apply := f.metricCalls("ing_acc", "revenue", 4)
	if err := f.st.AcceptCalls(ctx, "ingest/grp_1", calls); err != nil {
		t.Fatal(err)
	}
	// Recording them twice (a repeat joining the workflow) changes nothing.
	if err := f.st.AcceptCalls(ctx, "ingest/grp_2", calls[:1]); err != nil {
		t.Fatal(err)
	}
	processing := f.callRows(t, store.CallFilter{Status: intake.StatusProcessing})
	if len(processing) != 4 || processing[calls[0].IngestID].WorkflowID != "ingest/grp_1" {
		t.Fatalf("processing rows %+v", processing)
	}
	if err := f.st.RecordAttempt(ctx, calls, 1, errors.New("connection refused")); err != nil {
		t.Fatal(err)
	}
	if r := f.callRows(t, store.CallFilter{})[calls[2].IngestID]; r.Attempts != 1 || r.Error != "connection refused" || r.Status != intake.StatusProcessing {
		t.Fatalf("after a failed attempt: %+v", r)
	}
	outs, err := f.st.ApplyCalls(ctx, calls, 2, apply)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if r := result(t, o); r.NewValue != float64(11+i) || o.Replayed {
			t.Fatalf("call %d: %+v", i, o)
		}
	}
	rows := f.callRows(t, store.CallFilter{Status: intake.StatusDone})
	for _, c := range calls {
		r, ok := rows[c.IngestID]
		if !ok || r.Attempts != 2 || r.Error != "" || r.CompletedAt == nil || r.WorkflowID != c.WorkflowID {
			t.Fatalf("row of %s: %+v", c.IngestID, r)
		}
	}
	if n := len(f.callRows(t, store.CallFilter{Status: intake.StatusProcessing})); n != 0 {
		t.Fatalf("%d calls still processing", n)
	}
	// A late record of acceptance, or of an attempt, leaves done calls done.
	if err := f.st.AcceptCalls(ctx, "ingest/late", calls); err != nil {
		t.Fatal(err)
	}
	if err := f.st.RecordAttempt(ctx, calls, 3, errors.New("late")); err != nil {
		t.Fatal(err)
	}
	if n := len(f.callRows(t, store.CallFilter{Status: intake.StatusDone})); n != 4 {
		t.Fatalf("%d calls done after late records, want 4", n)
	}
	if v := f.value(t); v != 14 {
		t.Fatalf("value %v, want 14", v)
	}
	if n := len(f.callRows(t, store.CallFilter{Kind: intake.KindMetric, Source: "test"})); n != 4 {
		t.Fatalf("filtered by kind and source: %d calls", n)
	}
	if n := len(f.callRows(t, store.CallFilter{Source: "elsewhere"})); n != 0 {
		t.Fatalf("filtered by another source: %d calls", n)
	}
}

// TestCallFailingForAnUnknownReasonIsRetriedThenDeadLettered: a call that
// fails with an error that is neither its input's nor the database's (a
// bug: here a panic) is left for its next attempt while the calls beside it
// are applied; at attempt MaxAttempts it fails alone, its row failed with
// its attempts and error, its input in the inbox for replay.
func TestCallFailingForAnUnknownReasonIsRetriedThenDeadLettered(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	calls, apply := f.metricCalls("ing_dl", "revenue", 3)
	calls[1].Input = []byte(`{"metric":"revenue","value":1}`)
	bad := calls[1].IngestID
	buggy := func(tx *store.Tx, c intake.Call) (any, error) {
		if c.IngestID == bad {
			var m map[string]int
			m["boom"]++ // a nil map: the panic a bug would be
		}
		return apply(tx, c)
	}
	for attempt := 1; attempt < store.MaxAttempts; attempt++ {
		_, err := f.st.ApplyCalls(ctx, calls, attempt, buggy)
		if err == nil || !strings.Contains(err.Error(), "panicked") {
			t.Fatalf("attempt %d: error %v, want the panic", attempt, err)
		}
		if err := f.st.RecordAttempt(ctx, calls, attempt, err); err != nil {
			t.Fatal(err)
		}
		rows := f.callRows(t, store.CallFilter{})
		if rows[calls[0].IngestID].Status != intake.StatusDone || rows[calls[2].IngestID].Status != intake.StatusDone {
			t.Fatalf("attempt %d: the good calls are not done: %+v", attempt, rows)
		}
		if r := rows[bad]; r.Status != intake.StatusProcessing || r.Attempts != attempt || !strings.Contains(r.Error, "panicked") {
			t.Fatalf("attempt %d: the bad call's row %+v", attempt, r)
		}
	}
	if v := f.value(t); v != 12 {
		t.Fatalf("value %v after the retried attempts, want 12 (two good calls, once)", v)
	}
	outs, err := f.st.ApplyCalls(ctx, calls, store.MaxAttempts, buggy)
	if err != nil {
		t.Fatal(err)
	}
	if !outs[0].Replayed || !outs[2].Replayed || outs[1].Error == nil || outs[1].Error.Code != intake.ErrInternal {
		t.Fatalf("last attempt's outcomes %+v", outs)
	}
	r := f.callRows(t, store.CallFilter{Status: intake.StatusFailed})[bad]
	if r.Attempts != store.MaxAttempts || r.ErrorCode != string(intake.ErrInternal) || !strings.Contains(r.Error, "panicked") {
		t.Fatalf("failed row %+v", r)
	}
	items, _, err := f.st.ListInbox(ctx, f.project.ID, store.InboxFilter{}, store.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || !items[0].Failed || items[0].CallID != bad || items[0].Payload != string(calls[1].Input) ||
		!strings.Contains(items[0].Reason, "panicked") {
		t.Fatalf("inbox %+v", items)
	}
	if v := f.value(t); v != 12 {
		t.Fatalf("value %v, want 12", v)
	}
}

// TestACallFailingForGoodIsInTheInbox: a call refused for its input fails
// at its first attempt, and its input waits in the inbox.
func TestACallFailingForGoodIsInTheInbox(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.call("ing_refused")
	c.Input = []byte(`{"metric":"revenue","value":1e400}`)
	outs, err := f.st.ApplyCalls(ctx, []intake.Call{c}, 1, func(*store.Tx, intake.Call) (any, error) {
		return nil, intake.Invalid("value", "value is out of range")
	})
	if err != nil || outs[0].Error == nil {
		t.Fatalf("outcome %+v, error %v", outs, err)
	}
	items, _, err := f.st.ListInbox(ctx, f.project.ID, store.InboxFilter{}, store.Page{Limit: 10})
	if err != nil || len(items) != 1 || !items[0].Failed || items[0].Kind != intake.KindMetric || items[0].Payload != string(c.Input) {
		t.Fatalf("inbox %+v, error %v", items, err)
	}
}

// TestOutcomesCarryTheFingerprintOfTheAppliedCall: a repeat of an ingest
// id with another fingerprint (an Idempotency-Key reused for another body)
// is answered with the first call's, so the API can refuse it; in one
// group and from the row of an earlier one.
func TestOutcomesCarryTheFingerprintOfTheAppliedCall(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	calls, apply := f.metricCalls("ing_fp", "revenue", 1)
	first := calls[0]
	first.Fingerprint = intake.Fingerprint("POST /api/ingest/metric", []byte(`{"value":1}`))
	other := first
	other.Fingerprint = intake.Fingerprint("POST /api/ingest/metric", []byte(`{"value":2}`))
	outs, err := f.st.ApplyCalls(ctx, []intake.Call{first, other}, 1, apply)
	if err != nil {
		t.Fatal(err)
	}
	if outs[0].Reused(first) || !outs[1].Reused(other) {
		t.Fatalf("in one group: %+v", outs)
	}
	later, err := f.st.ApplyCalls(ctx, []intake.Call{other}, 1, apply)
	if err != nil || !later[0].Reused(other) || later[0].Reused(first) {
		t.Fatalf("from the row: %+v, %v", later, err)
	}
	if v := f.value(t); v != 11 {
		t.Fatalf("value %v, want 11", v)
	}
}
