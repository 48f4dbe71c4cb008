package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
)

// BenchmarkApplyCalls applies groups of metric calls that each add 1 to
// one counter, as a workflow carrying n calls does: the database's share of
// the call path. Per call: b.N calls in groups of n.
func BenchmarkApplyCalls(b *testing.B) {
	for _, n := range []int{1, 8, 32, 64} {
		benchGroups(b, intake.KindMetric, n, func(tx *store.Tx, c intake.Call) (any, error) {
			return tx.ApplyMetric(c, 0, intake.MetricInput{Metric: "bench", Value: 1, Op: intake.OpAdd, Timestamp: time.Now(), Source: "bench",
				Raw: `{"metric":"bench","value":1,"op":"add"}`})
		})
	}
}

// BenchmarkApplyBatches applies groups of batch calls of 100 updates each,
// as a workflow carrying a busy batch lane does: one metric read, a hundred
// points inserted per call. Per call: b.N calls in groups of n.
func BenchmarkApplyBatches(b *testing.B) {
	for _, n := range []int{1, 13} {
		benchGroups(b, intake.KindBatch, n, func(tx *store.Tx, c intake.Call) (any, error) {
			out := make([]intake.MetricResult, 100)
			for i := range out {
				r, err := tx.ApplyMetric(c, i, intake.MetricInput{Metric: "bench", Value: float64(i), Timestamp: time.Now(), Source: "bench",
					Raw: fmt.Sprintf(`{"metric":"bench","value":%d,"source":"bench"}`, i)})
				if err != nil {
					return nil, err
				}
				out[i] = r
			}
			return out, nil
		})
	}
}

// BenchmarkApplyInbox applies groups of events no rule maps, as a
// workflow carrying generic webhooks does: each ~2 KB payload becomes an
// inbox item. Per call: b.N calls in groups of n.
func BenchmarkApplyInbox(b *testing.B) {
	raw := `{"id":"evt","type":"bench","data":{"x":"` + strings.Repeat("x", 900) + `"},"payload":{"x":"` + strings.Repeat("x", 900) + `"}}`
	for _, n := range []int{1, 34} {
		benchGroups(b, intake.KindWebhook, n, func(tx *store.Tx, c intake.Call) (any, error) {
			return tx.ApplyData(c, store.DataUpdate{Source: "generic", InboxReason: "no rule matches", Raw: raw})
		})
	}
}

// benchGroups runs b.N calls of kind, applied by apply in groups of n, in a
// fresh project with the metric "bench".
func benchGroups(b *testing.B, kind string, n int, apply store.Applier) {
	b.Run(fmt.Sprintf("%d per group on %s", n, storetest.Dialect()), func(b *testing.B) {
		st := storetest.Open(b)
		ctx := context.Background()
		p := store.Project{ID: intake.NewID("p"), Name: "bench"}
		key := store.APIKey{ID: intake.NewID("key"), Name: "k", Scope: "admin", Hash: intake.HashAPIKey(intake.NewAPIKey()), Prefix: "ik_x"}
		if err := st.CreateProject(ctx, &p, &key); err != nil {
			b.Fatal(err)
		}
		m := store.Metric{ID: intake.NewID("m"), ProjectID: p.ID, Key: "bench", Name: "Bench", Unit: "count"}
		if err := st.CreateMetric(ctx, &m); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for done := 0; done < b.N; done += n {
			calls := make([]intake.Call, n)
			for i := range calls {
				calls[i] = intake.Call{IngestID: intake.NewID("ing"), ProjectID: p.ID, Kind: kind, Source: "bench",
					WorkflowID: "ingest/bench", ReceivedAt: time.Now()}
			}
			if _, err := st.ApplyCalls(ctx, calls, 1, apply); err != nil {
				b.Fatal(err)
			}
		}
	})
}
