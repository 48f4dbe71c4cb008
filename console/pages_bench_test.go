package console_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// BenchmarkPages renders each console page of a project holding 10,000
// calls (a third of them a connector's deliveries), 1,000 open inbox
// items and 57 sources with rules, the size the console promises to stay
// under 50 ms at:
//
//	go test -run '^$' -bench Pages -benchtime 20x ./console
//
// (with INTAKE_TEST_DATABASE_URL set, on PostgreSQL).
func BenchmarkPages(b *testing.B) {
	s := newSite(b, false)
	ctx := context.Background()
	var sample, item string
	conn := store.Connector{ID: intake.NewID("c"), ProjectID: s.project.ID, Type: "generic", Name: "Shop", Secret: "bench-secret", Settings: "{}", Enabled: true}
	if err := s.st.CreateConnector(ctx, &conn, nil); err != nil {
		b.Fatal(err)
	}
	for batch := 0; batch < 20; batch++ {
		calls := make([]intake.Call, 500)
		for i := range calls {
			calls[i] = intake.Call{IngestID: intake.NewID("ing"), ProjectID: s.project.ID, Kind: []string{intake.KindMetric, intake.KindData, intake.KindWebhook}[i%3],
				Source: fmt.Sprintf("source-%d", i%7), ReceivedAt: time.Now().Add(-time.Duration(batch*500+i) * time.Second)}
			if calls[i].Kind == intake.KindWebhook {
				calls[i].ConnectorID = conn.ID // a third of the calls are the connector's deliveries
			}
		}
		if err := s.st.AcceptCalls(ctx, fmt.Sprintf("ingest/%s/api/grp_%d", s.project.ID, batch), calls); err != nil {
			b.Fatal(err)
		}
		if err := s.st.RecordAttempt(ctx, calls[:25], 5, fmt.Errorf("database is down")); err != nil {
			b.Fatal(err)
		}
		sample = calls[250].IngestID
	}
	inbox := make([]intake.Call, 1000)
	for i := range inbox {
		inbox[i] = intake.Call{IngestID: intake.NewID("ing"), ProjectID: s.project.ID, Kind: intake.KindData, Source: "crm", WorkflowID: "wf", ReceivedAt: time.Now()}
	}
	if _, err := s.st.ApplyCalls(ctx, inbox, 1, func(tx *store.Tx, c intake.Call) (any, error) {
		res, err := tx.ApplyData(c, store.DataUpdate{Source: "crm", Raw: `{"customer":{"email":"ann@example.com"},"total":12.5}`,
			InboxReason: "no rule of source \"crm\" matches this payload"})
		item = res.InboxID
		return res, err
	}); err != nil {
		b.Fatal(err)
	}
	// Fifty sources with rules of their own, for the Rules index.
	for i := range 50 {
		scope := store.RuleScope{ProjectID: s.project.ID, Source: fmt.Sprintf("ruled-%02d", i)}
		if _, _, err := s.st.EditRules(ctx, scope, func([]intake.Rule) ([]intake.Rule, error) {
			return []intake.Rule{{ID: intake.NewID("r"), Name: "total", Metric: "revenue", Value: "payload.total", Enabled: true}}, nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	sc := s.signIn(s.adminKey)
	for _, pg := range []struct{ name, path string }{
		{"overview", "/console"}, {"calls", "/console/calls"}, {"calls-failed", "/console/calls?status=failed"},
		{"calls-filtered", "/console/calls?kind=webhook&source=source-3"}, {"call", "/console/calls/" + sample},
		{"inbox", "/console/inbox"}, {"inbox-item", "/console/inbox/" + item}, {"metrics", "/console/metrics"},
		{"keys", "/console/keys"}, {"alerts", "/console/alerts"}, {"rules", "/console/rules"}, {"rules-crm", "/console/rules/source/crm"},
		{"connectors", "/console/connectors"}, {"connector", "/console/connectors/" + conn.ID}, {"salesdash", "/console/salesdash"}, {"salesdash-identities", "/console/salesdash/identities"},
	} {
		path := pg.path
		b.Run(pg.name, func(b *testing.B) {
			for range b.N {
				if p := s.do("GET", path, nil, sc); p.status != http.StatusOK {
					b.Fatalf("GET %s: %d %.300s", path, p.status, p.body)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		})
	}
}
