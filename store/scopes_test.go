package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
)

// TestRuleSources lists the sources rules are written for: saved rule
// sets, pushes the rules read and inbox items, without a connector's
// calls, tasks, or another project's sources.
func TestRuleSources(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other, _ := storetest.Project(t, f.st)
	keep := func([]intake.Rule) ([]intake.Rule, error) {
		return []intake.Rule{{ID: "r_1", Name: "n", Metric: "m", Value: "1", Enabled: true}}, nil
	}
	for _, scope := range []store.RuleScope{
		{ProjectID: f.project.ID, Source: "saved"},
		{ProjectID: f.project.ID, ConnectorID: "c_1"},
		{ProjectID: other.ID, Source: "theirs"},
	} {
		if _, _, err := f.st.EditRules(ctx, scope, keep); err != nil {
			t.Fatal(err)
		}
	}
	call := func(project, kind, source, connector string) intake.Call {
		return intake.Call{IngestID: intake.NewID("ing"), ProjectID: project, Kind: kind, Source: source, ConnectorID: connector,
			WorkflowID: "wf", ReceivedAt: time.Now()}
	}
	calls := []intake.Call{
		call(f.project.ID, intake.KindData, "pushed", ""),
		call(f.project.ID, intake.KindMetric, "saved", ""),
		call(f.project.ID, intake.KindTasks, "todo", ""),
		call(f.project.ID, intake.KindWebhook, "stripe", "c_1"),
		call(other.ID, intake.KindData, "theirs too", ""),
	}
	if err := f.st.AcceptCalls(ctx, "wf", calls); err != nil {
		t.Fatal(err)
	}
	inboxed := call(f.project.ID, intake.KindData, "inboxed", "")
	if _, err := f.st.ApplyCalls(ctx, []intake.Call{inboxed}, 1, func(tx *store.Tx, c intake.Call) (any, error) {
		return tx.ApplyData(c, store.DataUpdate{Source: "inboxed", Raw: `{"x":1}`, InboxReason: "no rule"})
	}); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.RuleSources(ctx, f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"inboxed", "pushed", "saved"}; !slices.Equal(got, want) {
		t.Fatalf("sources %q, want %q", got, want)
	}
}

// TestLatestRuleSets reads every scope's rules in force in one go: the
// latest version of each source's and connector's, none of another
// project's.
func TestLatestRuleSets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other, _ := storetest.Project(t, f.st)
	rules := func(names ...string) func([]intake.Rule) ([]intake.Rule, error) {
		return func([]intake.Rule) ([]intake.Rule, error) {
			var out []intake.Rule
			for _, n := range names {
				out = append(out, intake.Rule{ID: "r_" + n, Name: n, Metric: "m", Value: "1", Enabled: true})
			}
			return out, nil
		}
	}
	shop := store.RuleScope{ProjectID: f.project.ID, Source: "shop"}
	conn := store.RuleScope{ProjectID: f.project.ID, ConnectorID: "c_1"}
	for _, e := range []struct {
		scope store.RuleScope
		edit  func([]intake.Rule) ([]intake.Rule, error)
	}{
		{shop, rules("a")}, {shop, rules("a", "b")}, {conn, rules("c")}, {store.RuleScope{ProjectID: other.ID, Source: "shop"}, rules("x", "y", "z")},
	} {
		if _, _, err := f.st.EditRules(ctx, e.scope, e.edit); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.st.LatestRuleSets(ctx, f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[shop].Version != 2 || len(got[shop].Rules) != 2 || got[conn].Version != 1 || got[conn].Rules[0].Name != "c" {
		t.Fatalf("latest rule sets %+v", got)
	}
}
