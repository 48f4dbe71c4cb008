package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

func (f fixture) salesCall(id, kind string) intake.Call {
	return intake.Call{IngestID: id, ProjectID: f.project.ID, ConnectorID: "c_sales", Kind: kind, WorkflowID: "wf-" + id,
		ReceivedAt: time.Now()}
}

func activity(id, typ, agent string, value float64) intake.ActivityInput {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	return intake.ActivityInput{ID: id, Type: typ, Agent: intake.Person{ID: agent, Name: "Agent " + agent}, Moment: at,
		Day: "2026-03-02", Value: &value}
}

func TestUpsertActivityOverwritesTypeAndKeepsUnsentFields(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first := activity("a1", "Sale", "ag1", 120)
	contact := "contact-9"
	first.ContactKey = &contact
	r1, err := f.upsertActivity(f.salesCall("ing_1", intake.KindActivity), first)
	if err != nil || !r1.Created {
		t.Fatalf("first upsert: %+v, %v", r1, err)
	}
	second := activity("a1", "Sale - Cancelled", "ag1", 0)
	second.Value, second.Agent.Name = nil, ""
	r2, err := f.upsertActivity(f.salesCall("ing_2", intake.KindActivity), second)
	if err != nil || r2.Created || r2.ID != r1.ID {
		t.Fatalf("second upsert: %+v, %v (first %+v)", r2, err, r1)
	}
	got, err := f.st.GetActivity(ctx, f.project.ID, r1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != "Sale - Cancelled" || got.Value == nil || *got.Value != 120 || got.ContactKey != "contact-9" {
		t.Fatalf("after overwrite: %+v", got)
	}
	for typ, want := range map[string]int64{"Sale": 0, "Sale - Cancelled": 1} {
		rows, err := f.st.AggregateActivities(ctx, store.AggregateQuery{ProjectID: f.project.ID, Type: typ})
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, r := range rows {
			n += r.Count
		}
		if n != want {
			t.Errorf("type %q counts %d, want %d", typ, n, want)
		}
	}
}

// An unknown agent without its name fails the call alone: its row says
// failed with the error, nothing else is written, and a repeat of the call
// gets the same error without trying again.
func TestUpsertActivityUnknownAgentWritesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := activity("a1", "Call", "ghost", 1)
	in.Agent.Name = ""
	_, err := f.upsertActivity(f.salesCall("ing_x", intake.KindActivity), in)
	var e *intake.Error
	if !errors.As(err, &e) || e.Field != "agent_id" {
		t.Fatalf("err = %v, want invalid agent_id", err)
	}
	calls, _, _ := f.st.ListCalls(ctx, f.project.ID, store.CallFilter{}, store.Page{})
	if len(calls) != 1 || calls[0].Status != intake.StatusFailed || calls[0].ErrorCode != string(intake.ErrInvalidPayload) || calls[0].Error != e.Message {
		t.Fatalf("a refused call left %+v", calls)
	}
	in.Agent.Name = "Now Named"
	if _, err := f.upsertActivity(f.salesCall("ing_x", intake.KindActivity), in); intake.ErrorCode(err) != intake.ErrInvalidPayload {
		t.Fatalf("a repeat of a failed call: err = %v, want its first error", err)
	}
	if ids, _, _ := f.st.ListIdentities(ctx, f.project.ID, store.IdentityFilter{}, store.Page{}); len(ids) != 0 {
		t.Fatalf("a refused call left %d identities", len(ids))
	}
}

// TestConcurrentUpsertsOfOneRecord runs calls for one external id at once:
// each call either applies or fails as a whole (and is retried by its
// activity), and one row results.
func TestConcurrentUpsertsOfOneRecord(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call := f.salesCall(fmt.Sprintf("ing_c%d", i), intake.KindActivity)
			for range 5 { // what the activity's retry policy does
				if _, err := f.upsertActivity(call, activity("same", "Call", "ag1", float64(i))); err == nil {
					return
				}
			}
			t.Errorf("call %d never applied", i)
		}()
	}
	wg.Wait()
	rows, _, err := f.st.ListActivities(ctx, f.project.ID, store.RecordFilter{}, store.Page{})
	if err != nil || len(rows) != 1 {
		t.Fatalf("%d rows, %v; want 1", len(rows), err)
	}
	if calls, _, _ := f.st.ListCalls(ctx, f.project.ID, store.CallFilter{}, store.Page{}); len(calls) != 6 {
		t.Fatalf("%d calls, want 6", len(calls))
	}
}

func TestAggregateMergesLinkedIdentities(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i, agent := range []string{"ag1", "ag2", "ag3"} {
		in := activity(fmt.Sprintf("a%d", i), "Call", agent, float64(10*(i+1)))
		if _, err := f.upsertActivity(f.salesCall(fmt.Sprintf("ing_%d", i), intake.KindActivity), in); err != nil {
			t.Fatal(err)
		}
	}
	agents, _, err := f.st.ListIdentities(ctx, f.project.ID, store.IdentityFilter{Kind: intake.IdentityAgent}, store.Page{})
	if err != nil || len(agents) != 3 {
		t.Fatalf("%d agents, %v", len(agents), err)
	}
	byExt := map[string]string{}
	for _, a := range agents {
		byExt[a.ExternalID] = a.ID
	}
	_, anna, err := f.st.LinkIdentity(ctx, f.project.ID, byExt["ag1"], "", "Anna")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.LinkIdentity(ctx, f.project.ID, byExt["ag3"], anna.ID, ""); err != nil {
		t.Fatal(err)
	}
	rows, err := f.st.AggregateActivities(ctx, store.AggregateQuery{ProjectID: f.project.ID, GroupBy: store.GroupAgent})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Group != anna.ID || rows[0].Name != "Anna" || rows[0].Count != 2 || rows[0].Sum != 40 {
		t.Fatalf("rows = %+v", rows)
	}
	if rows[1].Group != byExt["ag2"] || rows[1].Name != "Agent ag2" || rows[1].Sum != 20 {
		t.Fatalf("unlinked row = %+v", rows[1])
	}
	unlinked := false
	left, _, _ := f.st.ListIdentities(ctx, f.project.ID, store.IdentityFilter{Linked: &unlinked}, store.Page{})
	if len(left) != 1 || left[0].ExternalID != "ag2" {
		t.Fatalf("unlinked identities = %+v", left)
	}
	if err := f.st.DeleteEntity(ctx, f.project.ID, intake.IdentityAgent, anna.ID); intake.ErrorCode(err) != intake.ErrConflict {
		t.Fatalf("deleting a linked agent: %v, want conflict", err)
	}
}

// TestLinkingCarriesTeams links an agent before its team: once the team is
// linked too, the agent is its member; an agent linked after the team
// takes it at once.
func TestLinkingCarriesTeams(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i, agent := range []string{"ag1", "ag2"} {
		in := activity(fmt.Sprintf("a%d", i), "Call", agent, 1)
		in.Agent.TeamID, in.Agent.TeamName = "north", "North"
		if _, err := f.upsertActivity(f.salesCall(fmt.Sprintf("ing_t%d", i), intake.KindActivity), in); err != nil {
			t.Fatal(err)
		}
	}
	idns, _, _ := f.st.ListIdentities(ctx, f.project.ID, store.IdentityFilter{}, store.Page{})
	byExt := map[string]string{}
	for _, i := range idns {
		byExt[i.ExternalID] = i.ID
	}
	_, first, err := f.st.LinkIdentity(ctx, f.project.ID, byExt["ag1"], "", "")
	if err != nil || first.TeamID != "" {
		t.Fatalf("agent linked before its team: %+v, %v", first, err)
	}
	_, team, err := f.st.LinkIdentity(ctx, f.project.ID, byExt["north"], "", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.st.GetEntity(ctx, f.project.ID, intake.IdentityAgent, first.ID); got.TeamID != team.ID {
		t.Fatalf("linking the team did not make the agent a member: %+v", got)
	}
	_, second, err := f.st.LinkIdentity(ctx, f.project.ID, byExt["ag2"], "", "")
	if err != nil || second.TeamID != team.ID {
		t.Fatalf("agent linked after its team: %+v, %v", second, err)
	}
}

// upsertActivity applies one activity as a call of its own.
func (f fixture) upsertActivity(c intake.Call, in intake.ActivityInput) (intake.UpsertResult, error) {
	return applyOne(f.st, c, func(tx *store.Tx, c intake.Call) (intake.UpsertResult, error) { return tx.UpsertActivity(c, in) })
}
