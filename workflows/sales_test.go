package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/workflows"
	"go.temporal.io/sdk/temporal"
)

// salesStore fails its first failures upserts with err, then applies.
type salesStore struct {
	activities.Store
	failures, calls int
	err             error
}

func (s *salesStore) upsert(id string) (intake.UpsertResult, error) {
	s.calls++
	if s.calls <= s.failures {
		return intake.UpsertResult{}, s.err
	}
	return intake.UpsertResult{ID: "sale_1", ExternalID: id, Created: true}, nil
}

func (s *salesStore) UpsertSale(_ context.Context, _ store.CallRecord, in intake.SaleInput) (intake.UpsertResult, error) {
	return s.upsert(in.ID)
}

func (s *salesStore) UpsertActivity(_ context.Context, _ store.CallRecord, in intake.ActivityInput) (intake.UpsertResult, error) {
	return s.upsert(in.ID)
}

func runSale(t *testing.T, st *salesStore) (workflows.IngestRecordResult, error) {
	t.Helper()
	return execute[workflows.IngestRecordResult](t, st, workflows.IngestSale, workflows.IngestSaleInput{
		Call: activities.Call{IngestID: "ing_1", ProjectID: "p_1", ConnectorID: "c_1", Kind: intake.KindSale},
		Sale: intake.SaleInput{ID: "s-1", Agent: intake.Person{ID: "a"}, PropositionID: "p", SoldAt: time.Unix(1767261600, 0)},
	})
}

func TestIngestSaleRetriesUntilApplied(t *testing.T) {
	st := &salesStore{failures: 2, err: errors.New("database is down")}
	out, err := runSale(t, st)
	if err != nil || st.calls != 3 || out.Result.ExternalID != "s-1" || !out.Result.Created {
		t.Fatalf("result %+v, %v after %d calls", out.Result, err, st.calls)
	}
}

func TestIngestSaleFailsFastOnUnknownAgent(t *testing.T) {
	st := &salesStore{failures: 100, err: intake.Invalid("agent_id", "agent_id \"a\" is unknown")}
	_, err := runSale(t, st)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || st.calls != 1 {
		t.Fatalf("err = %v after %d calls, want one non-retryable failure", err, st.calls)
	}
}
