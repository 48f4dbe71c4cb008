package store_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// TestSignatureFailureBuckets: counts from several flushes (and several
// processes) add up in their hour's bucket; the latest refusal's time and
// reason win whatever order they arrive in; a summary reads the hours
// since a time, of the asking project only; old hours are pruned.
func TestSignatureFailureBuckets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)
	bucket := func(conn, project string, at time.Time, n int64, reason string) store.SignatureFailure {
		return store.SignatureFailure{ConnectorID: conn, ProjectID: project, Hour: at, LastAt: at, Count: n, LastReason: reason}
	}
	flushes := [][]store.SignatureFailure{
		{bucket("c_a", f.project.ID, now.Add(-25*time.Hour), 7, "too old to count")},
		{bucket("c_a", f.project.ID, now.Add(-2*time.Hour), 2, "earlier hour"),
			bucket("c_b", f.project.ID, now.Add(-time.Minute), 1, "b's")},
		{bucket("c_a", f.project.ID, now.Add(-10*time.Minute), 3, "the latest")},
		// Another process's flush, later, of refusals it saw earlier.
		{bucket("c_a", f.project.ID, now.Add(-20*time.Minute), 4, "seen earlier, flushed later")},
		// One batch holding the same bucket twice is summed.
		{bucket("c_a", f.project.ID, now.Add(-29*time.Minute), 1, "x"), bucket("c_a", f.project.ID, now.Add(-28*time.Minute), 1, "y")},
		{bucket("c_other", "p_other", now, 9, "another project's")},
		// A reason longer than the column is cut, not refused.
		{bucket("c_long", f.project.ID, now, 1, strings.Repeat("é", 400))},
	}
	for _, rows := range flushes {
		if err := f.st.AddSignatureFailures(ctx, rows); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.st.SignatureFailures(ctx, f.project.ID, []string{"c_a", "c_b", "c_other", "c_none", "c_long"}, now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	a := got["c_a"]
	if a.Count != 2+3+4+2 || a.LastAt == nil || !a.LastAt.Equal(now.Add(-10*time.Minute)) || a.LastReason != "the latest" {
		t.Errorf("c_a: %+v", a)
	}
	if b := got["c_b"]; b.Count != 1 || b.LastReason != "b's" {
		t.Errorf("c_b: %+v", b)
	}
	if _, ok := got["c_other"]; ok {
		t.Errorf("another project's connector is summed: %+v", got)
	}
	if long := got["c_long"].LastReason; len(long) > 300 || !utf8.ValidString(long) || long == "" {
		t.Errorf("a long reason kept as %d bytes", len(long))
	}
	if _, ok := got["c_none"]; ok || len(got) != 3 {
		t.Errorf("summaries %+v", got)
	}

	if err := f.st.PruneSignatureFailures(ctx, now.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	all, err := f.st.SignatureFailures(ctx, f.project.ID, []string{"c_a"}, now.Add(-48*time.Hour))
	if err != nil || all["c_a"].Count != 11 {
		t.Errorf("after pruning the hours before a day ago: %+v %v", all, err)
	}
}

// TestConnectorCalls: calls are listed and counted by connector, the
// count only of those recorded since a time and of the asking project.
func TestConnectorCalls(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var calls []intake.Call
	for i, conn := range []string{"c_one", "c_one", "c_two", ""} {
		c := f.call("ing_conn_" + string(rune('a'+i)))
		c.ConnectorID, c.Kind = conn, intake.KindWebhook
		calls = append(calls, c)
	}
	start := time.Now()
	if err := f.st.AcceptCalls(ctx, "wf-conn", calls); err != nil {
		t.Fatal(err)
	}
	if rows := f.callRows(t, store.CallFilter{ConnectorID: "c_one"}); len(rows) != 2 || rows[calls[0].IngestID].ConnectorID != "c_one" {
		t.Fatalf("c_one's calls: %+v", rows)
	}
	n, err := f.st.CountConnectorCalls(ctx, f.project.ID, []string{"c_one", "c_two", "c_three"}, start.Add(-time.Second))
	if err != nil || n["c_one"] != 2 || n["c_two"] != 1 || len(n) != 2 {
		t.Fatalf("counts %v %v", n, err)
	}
	if n, _ := f.st.CountConnectorCalls(ctx, f.project.ID, []string{"c_one"}, time.Now().Add(time.Minute)); n["c_one"] != 0 {
		t.Fatalf("counted calls from before since: %v", n)
	}
	if n, _ := f.st.CountConnectorCalls(ctx, "p_other", []string{"c_one"}, start.Add(-time.Second)); len(n) != 0 {
		t.Fatalf("another project counts this one's calls: %v", n)
	}
}
