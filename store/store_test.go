package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
)

// fixture is one project with a USD metric, in a fresh store.
type fixture struct {
	st      *store.Store
	project store.Project
	metric  store.Metric
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	st := storetest.Open(t)
	p, m := storetest.Project(t, st)
	return fixture{st: st, project: p, metric: m}
}

func (f fixture) call(id string) intake.Call {
	return intake.Call{IngestID: id, ProjectID: f.project.ID, Kind: intake.KindMetric, Source: "test", WorkflowID: "wf-" + id, ReceivedAt: time.Now()}
}

// applyOne applies one call alone through apply and decodes its result.
func applyOne[R any](st *store.Store, c intake.Call, apply func(tx *store.Tx, c intake.Call) (R, error)) (R, error) {
	var r R
	outs, err := st.ApplyCalls(context.Background(), []intake.Call{c}, 1, func(tx *store.Tx, c intake.Call) (any, error) {
		return apply(tx, c)
	})
	if err != nil {
		return r, err
	}
	if outs[0].Error != nil {
		return r, outs[0].Error
	}
	return r, json.Unmarshal(outs[0].Result, &r)
}

// applyMetric applies one metric update as a call of its own.
func (f fixture) applyMetric(c intake.Call, in intake.MetricInput) (intake.MetricResult, error) {
	return applyOne(f.st, c, func(tx *store.Tx, c intake.Call) (intake.MetricResult, error) { return tx.ApplyMetric(c, 0, in) })
}

func (f fixture) points(t *testing.T) []store.MetricPoint {
	t.Helper()
	pts, _, err := f.st.ListPoints(context.Background(), f.project.ID, f.metric.ID, store.PointRange{}, store.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	return pts
}

func update(ref string, v float64, at time.Time) intake.MetricInput {
	return intake.MetricInput{Metric: ref, Value: v, Timestamp: at, Source: "test", Raw: (fmt.Sprintf(`{"metric":%q,"value":%v}`, ref, v))}
}

func TestApplyMetricMatchesByIDKeyOrName(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		give string
	}{
		{"id", f.metric.ID},
		{"key", "revenue"},
		{"key any case", "REVENUE"},
		{"name any case", "monthly revenue"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.applyMetric(f.call(fmt.Sprintf("ing_match%d", i)), update(tt.give, float64(100+i), time.Now()))
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != intake.OutcomeUpdated || got.MetricID != f.metric.ID || got.NewValue != float64(100+i) || !got.Current {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func TestApplyMetricWritesValuePointAndCall(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	got, err := f.applyMetric(f.call("ing_a"), update("revenue", 42.5, at))
	if err != nil {
		t.Fatal(err)
	}
	if *got.PreviousValue != 10 || got.NewValue != 42.5 || got.Unit != "USD" {
		t.Fatalf("result %+v", got)
	}
	pts := f.points(t)
	if len(pts) != 1 || pts[0].Value != 42.5 || !pts[0].Timestamp.Equal(at) || pts[0].CallID != "ing_a" || pts[0].Source != "test" {
		t.Fatalf("points %+v", pts)
	}
	call, err := f.st.GetCall(ctx, f.project.ID, "ing_a")
	if err != nil {
		t.Fatal(err)
	}
	var stored intake.MetricResult
	err = json.Unmarshal([]byte(call.Result), &stored)
	if call.Status != intake.StatusDone || err != nil || stored.NewValue != 42.5 {
		t.Fatalf("call %+v %v", call, err)
	}
}

func TestApplyMetricTwiceAppliesOnce(t *testing.T) {
	f := newFixture(t)
	first, err := f.applyMetric(f.call("ing_same"), update("revenue", 7, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	// A second run of the same call, even with other numbers, returns the
	// first result and writes nothing.
	second, err := f.applyMetric(f.call("ing_same"), update("revenue", 999, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if second.NewValue != 7 || *second.PreviousValue != *first.PreviousValue {
		t.Fatalf("second run answered %+v, first %+v", second, first)
	}
	if n := len(f.points(t)); n != 1 {
		t.Fatalf("%d points, want 1", n)
	}
}

func TestApplyMetricConcurrentRunsApplyOnce(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.applyMetric(f.call("ing_race"), update("revenue", 5, time.Now()))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.points(t)); n != 1 {
		t.Fatalf("%d points, want 1", n)
	}
}

func TestApplyMetricOlderPointIsHistoryOnly(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC()
	if _, err := f.applyMetric(f.call("ing_new"), update("revenue", 50, now)); err != nil {
		t.Fatal(err)
	}
	got, err := f.applyMetric(f.call("ing_old"), update("revenue", 20, now.Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if got.Current || got.NewValue != 50 {
		t.Fatalf("older point became current: %+v", got)
	}
	if n := len(f.points(t)); n != 2 {
		t.Fatalf("%d points, want 2", n)
	}
}

func TestApplyMetricUnknownGoesToInboxWhole(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := update("churn", 3, time.Now())
	got, err := f.applyMetric(f.call("ing_inbox"), in)
	if err != nil {
		t.Fatal(err)
	}
	if got.Outcome != intake.OutcomeInboxed || got.InboxID == "" {
		t.Fatalf("got %+v", got)
	}
	item, err := f.st.GetInboxItem(ctx, f.project.ID, got.InboxID)
	if err != nil {
		t.Fatal(err)
	}
	if item.Payload != in.Raw || item.Status != store.InboxOpen || item.CallID != "ing_inbox" {
		t.Fatalf("inbox item %+v", item)
	}
	if n := len(f.points(t)); n != 0 {
		t.Fatalf("%d points written for an unknown metric", n)
	}
}

func TestCreateMetricDuplicateKeyIsConflict(t *testing.T) {
	f := newFixture(t)
	dup := store.Metric{ID: intake.NewID("m"), ProjectID: f.project.ID, Key: "revenue", Name: "Again"}
	err := f.st.CreateMetric(context.Background(), &dup)
	if intake.ErrorCode(err) != intake.ErrConflict {
		t.Fatalf("err = %v, want conflict", err)
	}
	// The same key in another project is fine.
	other := store.Project{ID: intake.NewID("p"), Name: "Other"}
	key := store.APIKey{ID: intake.NewID("key"), Name: "k", Scope: "admin", Hash: intake.HashAPIKey(intake.NewAPIKey()), Prefix: "ik_y"}
	if err := f.st.CreateProject(context.Background(), &other, &key); err != nil {
		t.Fatal(err)
	}
	dup.ProjectID, dup.ID = other.ID, intake.NewID("m")
	if err := f.st.CreateMetric(context.Background(), &dup); err != nil {
		t.Fatal(err)
	}
}

func TestAPIKeyRevokeAndExpiry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	secret := intake.NewAPIKey()
	soon := time.Now().Add(time.Hour).UTC()
	k := store.APIKey{ID: intake.NewID("key"), ProjectID: f.project.ID, Name: "ci", Scope: "ingest", Hash: intake.HashAPIKey(secret), Prefix: "ik_z", ExpiresAt: &soon}
	if err := f.st.CreateAPIKey(ctx, &k); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.APIKeyByHash(ctx, intake.HashAPIKey(secret))
	if err != nil || got.ID != k.ID {
		t.Fatalf("lookup: %+v %v", got, err)
	}
	if err := got.Usable(time.Now()); err != nil {
		t.Fatalf("fresh key unusable: %v", err)
	}
	if err := got.Usable(soon.Add(time.Second)); intake.ErrorCode(err) != intake.ErrInvalidAPIKey {
		t.Fatalf("expired key usable: %v", err)
	}
	if _, err := f.st.RevokeAPIKey(ctx, "p_other", k.ID, time.Now()); intake.ErrorCode(err) != intake.ErrNotFound {
		t.Fatalf("revoke from another project: %v", err)
	}
	revoked, err := f.st.RevokeAPIKey(ctx, f.project.ID, k.ID, time.Now())
	if err != nil || revoked.RevokedAt == nil {
		t.Fatalf("revoke: %+v %v", revoked, err)
	}
	got, _ = f.st.APIKeyByHash(ctx, intake.HashAPIKey(secret))
	if err := got.Usable(time.Now()); err == nil {
		t.Fatal("revoked key still usable")
	}
	var ie *intake.Error
	if _, err := f.st.APIKeyByHash(ctx, intake.HashAPIKey(intake.NewAPIKey())); !errors.As(err, &ie) || ie.Code != intake.ErrNotFound {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestListPagesNewestFirst(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		time.Sleep(2 * time.Millisecond) // IDs order by millisecond
		m := store.Metric{ID: intake.NewID("m"), ProjectID: f.project.ID, Key: fmt.Sprintf("m%d", i), Name: fmt.Sprint(i)}
		if err := f.st.CreateMetric(ctx, &m); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		rows, next, err := f.st.ListMetrics(ctx, f.project.ID, store.Page{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			seen = append(seen, r.Key)
		}
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		cursor = next
	}
	want := []string{"m4", "m3", "m2", "m1", "m0", "revenue"}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("pages gave %v, want %v", seen, want)
	}
}

// TestConcurrentCounterAddsLoseNothing adds to one counter from concurrent
// calls: the total is the sum, whatever the interleaving.
func TestConcurrentCounterAddsLoseNothing(t *testing.T) {
	f := newFixture(t)
	const n = 24
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := update("revenue", 1, time.Now())
			in.Op = intake.OpAdd
			for range 5 { // the activity's retries, for deadlocks and busy errors
				if _, err := f.applyMetric(f.call(fmt.Sprintf("ing_add%d", i)), in); err == nil {
					return
				}
			}
			t.Errorf("add %d never applied", i)
		}()
	}
	wg.Wait()
	m, err := f.st.GetMetric(context.Background(), f.project.ID, f.metric.ID)
	if err != nil || m.Value != 10+n {
		t.Fatalf("value %v after %d adds to 10 (%v)", m.Value, n, err)
	}
}
