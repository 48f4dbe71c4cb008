package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
)

// TestAlertPages: the alerts page lists each alert with its state, an
// alert's page its transitions with the values that caused them, and the
// overview marks a metric whose alert fires. Another project's alert is
// not found.
func TestAlertPages(t *testing.T) {
	s := newSite(t, false)
	ctx := context.Background()
	s.st.UseAlerts(store.Alerting{Conditions: mapping.NewConditions(4)})
	metrics, _, _ := s.st.ListMetrics(ctx, s.project.ID, store.Page{})
	m := metrics[0]
	a := store.Alert{ID: intake.NewID("al"), ProjectID: s.project.ID, Name: "Revenue <script>", MetricID: m.ID,
		Condition: "value < 1000", Enabled: true, Channels: "[]"}
	if err := s.st.CreateAlert(ctx, &a); err != nil {
		t.Fatal(err)
	}
	c := intake.Call{IngestID: intake.NewID("ing"), ProjectID: s.project.ID, Kind: intake.KindMetric, WorkflowID: "wf", ReceivedAt: time.Now()}
	if _, err := s.st.ApplyCalls(ctx, []intake.Call{c}, 1, func(tx *store.Tx, c intake.Call) (any, error) {
		return tx.ApplyMetric(c, 0, intake.MetricInput{Metric: m.Key, Value: 900, Timestamp: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	sc := s.signIn(s.adminKey)
	if home := s.do("GET", "/console", nil, sc); !strings.Contains(home.body, "alert firing") {
		t.Fatalf("the overview does not mark the firing metric: %.800s", home.body)
	}
	list := s.do("GET", "/console/alerts", nil, sc)
	if list.status != 200 || !strings.Contains(list.body, "/console/alerts/"+a.ID) || !strings.Contains(list.body, `<span class="status-failed">firing</span>`) ||
		strings.Contains(list.body, "<script>") {
		t.Fatalf("alerts page: %d %.800s", list.status, list.body)
	}
	one := s.do("GET", "/console/alerts/"+a.ID, nil, sc)
	if one.status != 200 || !strings.Contains(one.body, "$900.00") || !strings.Contains(one.body, "the condition holds") {
		t.Fatalf("alert page: %d %.800s", one.status, one.body)
	}
	other, om := storetest.Project(t, s.st)
	theirs := store.Alert{ID: intake.NewID("al"), ProjectID: other.ID, Name: "theirs", MetricID: om.ID, Condition: "value < 1", Enabled: true, Channels: "[]"}
	if err := s.st.CreateAlert(ctx, &theirs); err != nil {
		t.Fatal(err)
	}
	if r := s.do("GET", "/console/alerts/"+theirs.ID, nil, sc); r.status != 404 || strings.Contains(r.body, "theirs") {
		t.Fatalf("another project's alert: %d", r.status)
	}
}
