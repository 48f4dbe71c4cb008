package workflows_test

import (
	"encoding/json"
	"testing"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/workflows"
	"go.temporal.io/sdk/converter"
)

// BenchmarkIngestResult is what a workflow of 13 batch calls (a busy
// batch lane's, each call 100 results) spends turning its step's recorded
// result into its own: decoded and encoded again, as Ingest once did, or
// passed through as recorded, as it does. The codec's work (encryption)
// is the same either way and is left out.
func BenchmarkIngestResult(b *testing.B) {
	prev := 41.0
	results := make([]intake.MetricResult, 100)
	for i := range results {
		results[i] = intake.MetricResult{Outcome: "updated", MetricID: "m_01jexample0000000000000000", MetricKey: "bench",
			Unit: "count", PreviousValue: &prev, NewValue: 42, Current: true, Ref: "bench"}
	}
	raw, err := json.Marshal(results)
	if err != nil {
		b.Fatal(err)
	}
	var res workflows.IngestResult
	for range 13 {
		res.Outcomes = append(res.Outcomes, intake.Outcome{Result: raw, Fingerprint: "0123456789abcdef0123456789abcdef"})
	}
	dc := converter.GetDefaultDataConverter()
	recorded, err := dc.ToPayload(res)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decoded and encoded", func(b *testing.B) {
		for b.Loop() {
			var out workflows.IngestResult
			if err := dc.FromPayload(recorded, &out); err != nil {
				b.Fatal(err)
			}
			if _, err := dc.ToPayload(out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("passed through", func(b *testing.B) {
		for b.Loop() {
			var out converter.RawValue
			if err := dc.FromPayload(recorded, &out); err != nil {
				b.Fatal(err)
			}
			p, err := dc.ToPayload(out)
			if err != nil {
				b.Fatal(err)
			}
			if len(p.GetData()) != len(recorded.GetData()) {
				b.Fatalf("the result is %d bytes, recorded %d", len(p.GetData()), len(recorded.GetData()))
			}
		}
	})
}
