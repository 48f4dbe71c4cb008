package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// TestOverviewChartsAMetric: the overview draws the chosen metric's points
// of the chosen range as SVG, values formatted as the API formats them.
func TestOverviewChartsAMetric(t *testing.T) {
	s := newSite(t, false)
	now := time.Now().UTC()
	for i, v := range []float64{100, 250, 175} {
		c := intake.Call{IngestID: intake.NewID("ing"), ProjectID: s.project.ID, Kind: intake.KindMetric, WorkflowID: "wf", ReceivedAt: now}
		_, err := s.st.ApplyCalls(context.Background(), []intake.Call{c}, 1, func(tx *store.Tx, c intake.Call) (any, error) {
			return tx.ApplyMetric(c, 0, intake.MetricInput{Metric: "revenue", Value: v, Timestamp: now.Add(time.Duration(i-3) * time.Hour)})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sc := s.signIn(s.adminKey)
	home := s.do("GET", "/console?metric=revenue&range=24h", nil, sc)
	if home.status != 200 || !strings.Contains(home.body, "<polyline") || strings.Count(home.body, "<circle") != 3 ||
		!strings.Contains(home.body, "$250.00") || !strings.Contains(home.body, "$100.00") || !strings.Contains(home.body, "over the last 24h") {
		t.Fatalf("the overview's chart: %d %.3000s", home.status, home.body)
	}
	// A range with no points says so; an unknown range is the default.
	if old := s.do("GET", "/console?range=nonsense", nil, sc); !strings.Contains(old.body, "over the last 7d") {
		t.Fatalf("an unknown range: %.2000s", old.body)
	}
}
