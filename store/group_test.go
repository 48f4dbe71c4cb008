package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
)

// metricCalls are n metric calls that each add 1 to ref, named prefix-i.
func (f fixture) metricCalls(prefix, ref string, n int) ([]intake.Call, store.Applier) {
	calls := make([]intake.Call, n)
	for i := range calls {
		calls[i] = f.call(fmt.Sprintf("%s%d", prefix, i))
	}
	return calls, func(tx *store.Tx, c intake.Call) (any, error) {
		in := update(ref, 1, time.Now())
		in.Op = intake.OpAdd
		return tx.ApplyMetric(c, 0, in)
	}
}

func (f fixture) value(t *testing.T) float64 {
	t.Helper()
	m, err := f.st.GetMetric(context.Background(), f.project.ID, f.metric.ID)
	if err != nil {
		t.Fatal(err)
	}
	return m.Value
}

func result(t *testing.T, o intake.Outcome) intake.MetricResult {
	t.Helper()
	var r intake.MetricResult
	if o.Error != nil || json.Unmarshal(o.Result, &r) != nil {
		t.Fatalf("outcome %+v", o)
	}
	return r
}

// TestGroupAppliesEachCallOnce applies one group holding new calls, a
// call an earlier group finished, a call twice, and a call whose metric
// does not exist: each call has its one effect and its own outcome.
func TestGroupAppliesEachCallOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	earlier, apply := f.metricCalls("ing_early", "revenue", 1)
	if _, err := f.st.ApplyCalls(ctx, earlier, 1, apply); err != nil {
		t.Fatal(err)
	}
	calls, _ := f.metricCalls("ing_g", "revenue", 5)
	calls = append(calls, earlier[0], calls[2])
	unknown := f.call("ing_ghost")
	calls = append(calls, unknown)
	outs, err := f.st.ApplyCalls(ctx, calls, 1, func(tx *store.Tx, c intake.Call) (any, error) {
		if c.IngestID == unknown.IngestID {
			return tx.ApplyMetric(c, 0, update("ghost", 1, time.Now()))
		}
		return apply(tx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != len(calls) {
		t.Fatalf("%d outcomes for %d calls", len(outs), len(calls))
	}
	// The five new calls add 1 each to 11 (10 + the earlier call), in order.
	for i := range 5 {
		if r := result(t, outs[i]); r.NewValue != float64(12+i) || outs[i].Replayed {
			t.Fatalf("call %d: %+v replayed %v", i, r, outs[i].Replayed)
		}
	}
	if r := result(t, outs[5]); !outs[5].Replayed || r.NewValue != 11 {
		t.Fatalf("the earlier call: %+v replayed %v", r, outs[5].Replayed)
	}
	if r := result(t, outs[6]); !outs[6].Replayed || r.NewValue != 14 {
		t.Fatalf("the repeated call: %+v replayed %v", r, outs[6].Replayed)
	}
	if r := result(t, outs[7]); r.Outcome != intake.OutcomeInboxed || r.InboxID == "" {
		t.Fatalf("the unknown metric: %+v", r)
	}
	if v, n := f.value(t), len(f.points(t)); v != 16 || n != 6 {
		t.Fatalf("value %v with %d points, want 16 and 6", v, n)
	}
	rows, _, _ := f.st.ListCalls(ctx, f.project.ID, store.CallFilter{}, store.Page{Limit: 100})
	if len(rows) != 7 {
		t.Fatalf("%d call rows, want 7", len(rows))
	}
	// The same group again, as a retried activity would run it: the same
	// outcomes, nothing written.
	again, err := f.st.ApplyCalls(ctx, calls, 1, apply)
	if err != nil {
		t.Fatal(err)
	}
	for i := range calls {
		if string(again[i].Result) != string(outs[i].Result) || !again[i].Replayed {
			t.Fatalf("rerun of call %d: %s, first %s", i, again[i].Result, outs[i].Result)
		}
	}
	if v, n := f.value(t), len(f.points(t)); v != 16 || n != 6 {
		t.Fatalf("after the rerun: value %v with %d points", v, n)
	}
}

// TestGroupIsolatesACallThatFails: a call failing for good in the middle
// of a group ends alone with its error and a failed row; every other call
// is applied as if it had not been there, and a rerun changes nothing.
func TestGroupIsolatesACallThatFails(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	calls, apply := f.metricCalls("ing_iso", "revenue", 6)
	bad := calls[3].IngestID
	failing := func(tx *store.Tx, c intake.Call) (any, error) {
		if c.IngestID == bad {
			// It wrote before failing: that must be rolled back too.
			if _, err := apply(tx, c); err != nil {
				return nil, err
			}
			return nil, intake.Invalid("value", "value is out of range")
		}
		return apply(tx, c)
	}
	for run := range 2 {
		outs, err := f.st.ApplyCalls(ctx, calls, 1, failing)
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range outs {
			if i == 3 {
				if o.Error == nil || o.Error.Code != intake.ErrInvalidPayload || o.Replayed != (run == 1) {
					t.Fatalf("run %d: the failing call got %+v", run, o)
				}
				continue
			}
			if o.Error != nil || o.Replayed != (run == 1) {
				t.Fatalf("run %d: call %d got %+v", run, i, o)
			}
		}
		if v, n := f.value(t), len(f.points(t)); v != 15 || n != 5 {
			t.Fatalf("run %d: value %v with %d points, want 15 and 5", run, v, n)
		}
	}
	row, err := f.st.GetCall(ctx, f.project.ID, bad)
	if err != nil || row.Status != intake.StatusFailed || row.ErrorCode != string(intake.ErrInvalidPayload) || row.Error != "value is out of range" {
		t.Fatalf("failed call row %+v, %v", row, err)
	}
}

// TestGroupDatabaseErrorWritesNothing: an error that is not the call's
// (the database's) fails the whole group, to be retried, and leaves
// nothing behind.
func TestGroupDatabaseErrorWritesNothing(t *testing.T) {
	f := newFixture(t)
	calls, apply := f.metricCalls("ing_down", "revenue", 3)
	down := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	_, err := f.st.ApplyCalls(context.Background(), calls, 1, func(tx *store.Tx, c intake.Call) (any, error) {
		if c.IngestID == calls[2].IngestID {
			return nil, down
		}
		return apply(tx, c)
	})
	if !errors.Is(err, down) {
		t.Fatalf("err = %v, want the database's", err)
	}
	if v, n := f.value(t), len(f.points(t)); v != 10 || n != 0 {
		t.Fatalf("value %v with %d points after a failed group", v, n)
	}
	if rows, _, _ := f.st.ListCalls(context.Background(), f.project.ID, store.CallFilter{}, store.Page{}); len(rows) != 0 {
		t.Fatalf("%d call rows after a failed group", len(rows))
	}
}

// TestGroupsSharingCallsApplyEachOnce runs overlapping groups at once, as
// two workflows carrying repeats of the same calls would: every call is
// applied once, and both groups answer it alike.
func TestGroupsSharingCallsApplyEachOnce(t *testing.T) {
	f := newFixture(t)
	calls, apply := f.metricCalls("ing_share", "revenue", 12)
	groups := [][]intake.Call{calls[:8], calls[4:], calls[2:10], calls}
	outs := make([][]intake.Outcome, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 { // the activity's retries, for deadlocks and busy errors
				o, err := f.st.ApplyCalls(context.Background(), g, 1, apply)
				if err == nil {
					outs[i] = o
					return
				}
			}
			t.Errorf("group %d never applied", i)
		}()
	}
	wg.Wait()
	if v, n := f.value(t), len(f.points(t)); v != 22 || n != 12 {
		t.Fatalf("value %v with %d points, want 22 and 12", v, n)
	}
	byID := map[string]string{}
	for i, g := range groups {
		for j, c := range g {
			got := string(outs[i][j].Result)
			if want, ok := byID[c.IngestID]; ok && want != got {
				t.Fatalf("call %s answered %s and %s", c.IngestID, want, got)
			}
			byID[c.IngestID] = got
		}
	}
}

// TestGroupValueTheDatabaseRefuses: a string PostgreSQL refuses (a NUL)
// fails its call alone instead of retrying the group for ever. SQLite
// stores it.
func TestGroupValueTheDatabaseRefuses(t *testing.T) {
	f := newFixture(t)
	calls, apply := f.metricCalls("ing_nul", "revenue", 3)
	outs, err := f.st.ApplyCalls(context.Background(), calls, 1, func(tx *store.Tx, c intake.Call) (any, error) {
		if c.IngestID == calls[1].IngestID {
			in := update("revenue", 1, time.Now())
			in.Source = "bad\x00source"
			return tx.ApplyMetric(c, 0, in)
		}
		return apply(tx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	refused := storetest.Dialect() == "postgres"
	if (outs[1].Error != nil) != refused || outs[0].Error != nil || outs[2].Error != nil {
		t.Fatalf("outcomes on %s: %+v", storetest.Dialect(), outs)
	}
	if refused && outs[1].Error.Code != intake.ErrInvalidPayload {
		t.Fatalf("refused value: %+v", outs[1].Error)
	}
}

// TestStoredBodyTravelsByReference: a call whose input was stored first
// is applied with that input, and its body is gone once applied.
func TestStoredBodyTravelsByReference(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	big := []byte(`{"note":"stored, not carried"}`)
	ref, err := f.st.PutBody(ctx, f.project.ID, big)
	if err != nil {
		t.Fatal(err)
	}
	c := f.call("ing_body")
	c.BodyRef = ref
	var seen string
	outs, err := f.st.ApplyCalls(ctx, []intake.Call{c}, 1, func(tx *store.Tx, c intake.Call) (any, error) {
		seen = string(c.Input)
		return map[string]bool{"ok": true}, nil
	})
	if err != nil || outs[0].Error != nil || seen != string(big) {
		t.Fatalf("applied with %q: %+v %v", seen, outs, err)
	}
	c2 := f.call("ing_body2")
	c2.BodyRef = ref
	outs, err = f.st.ApplyCalls(ctx, []intake.Call{c2}, 1, func(*store.Tx, intake.Call) (any, error) { return nil, nil })
	if err != nil || outs[0].Error == nil || outs[0].Error.Field != "body" {
		t.Fatalf("a body applied once is gone: %+v %v", outs, err)
	}
}

// TestGroupRowsAcrossStatements applies groups whose rows (calls, points,
// inbox items) take, at SQLite's 50 rows per INSERT, one statement,
// several, and several with a partial last one (on PostgreSQL one each):
// every row is written once with its own values.
func TestGroupRowsAcrossStatements(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	total := 0
	for g, n := range []int{45, 1, 63, 32} {
		calls := make([]intake.Call, n)
		for i := range calls {
			calls[i] = f.call(fmt.Sprintf("ing_size%d_%d", g, i))
		}
		outs, err := f.st.ApplyCalls(ctx, calls, 1, func(tx *store.Tx, c intake.Call) (any, error) {
			var out []intake.MetricResult
			for seq := range 3 {
				r, err := tx.ApplyMetric(c, seq, update("revenue", float64(total+seq), base.Add(time.Duration(total+seq)*time.Second)))
				if err != nil {
					return nil, err
				}
				out = append(out, r)
			}
			total += 3
			if total%5 == 0 {
				r, err := tx.ApplyMetric(c, 3, update("ghost", 1, base))
				if err != nil {
					return nil, err
				}
				out = append(out, r)
			}
			return out, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range outs {
			if o.Error != nil || o.Replayed {
				t.Fatalf("group %d call %d: %+v", g, i, o)
			}
		}
	}
	var pts []store.MetricPoint
	for cursor := ""; ; {
		page, next, err := f.st.ListPoints(ctx, f.project.ID, f.metric.ID, store.PointRange{}, store.Page{Limit: store.MaxPageLimit, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		pts = append(pts, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(pts) != total {
		t.Fatalf("%d points, want %d", len(pts), total)
	}
	seen := map[float64]bool{}
	for _, p := range pts {
		want := base.Add(time.Duration(p.Value) * time.Second)
		if seen[p.Value] || !p.Timestamp.Equal(want) || p.CallID == "" || p.CreatedAt.IsZero() {
			t.Fatalf("point %+v: repeated or not its own values (timestamp want %v)", p, want)
		}
		seen[p.Value] = true
	}
	if v := f.value(t); v != float64(total-1) {
		t.Fatalf("value %v, want the latest point's %d", v, total-1)
	}
	rows := f.callRows(t, store.CallFilter{})
	items, _, err := f.st.ListInbox(ctx, f.project.ID, store.InboxFilter{}, store.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	calls := 45 + 1 + 63 + 32
	if len(rows) != calls || len(items) != total/15 {
		t.Fatalf("%d call rows and %d inbox items, want %d and %d", len(rows), len(items), calls, total/15)
	}
}
