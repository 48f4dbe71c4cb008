package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
)

// A call's page shows its facts and result, and says why its payload
// cannot be shown when its workflow cannot be read (this site has no
// Temporal; cmd/intake's browser story reads a real one); another
// project's call is not found.
func TestCallPage(t *testing.T) {
	s := newSite(t, false)
	item := s.inboxItem(s.project.ID, `{"customer":"ann"}`)
	calls, _, err := s.st.ListCalls(context.Background(), s.project.ID, store.CallFilter{}, store.Page{Limit: 5})
	if err != nil || len(calls) != 1 {
		t.Fatalf("calls %v %v", calls, err)
	}
	id := calls[0].IngestID
	sc := s.signIn(s.adminKey)
	if list := s.do("GET", "/console/calls", nil, sc); !strings.Contains(list.body, `href="/console/calls/`+id+`"`) {
		t.Fatalf("the calls page does not link the call: %.500s", list.body)
	}
	p := s.do("GET", "/console/calls/"+id, nil, sc)
	if p.status != 200 || !strings.Contains(p.body, "not connected to Temporal") || !strings.Contains(p.body, item) ||
		!strings.Contains(p.body, `id="call-result"`) || !strings.Contains(p.body, ">done<") {
		t.Fatalf("call page: %d %.1500s", p.status, p.body)
	}

	other, _ := storetest.Project(t, s.st)
	theirs := s.inboxItem(other.ID, `{"customer":"bob"}`)
	their, _, _ := s.st.ListCalls(context.Background(), other.ID, store.CallFilter{}, store.Page{Limit: 5})
	if r := s.do("GET", "/console/calls/"+their[0].IngestID, nil, sc); r.status != 404 || strings.Contains(r.body, theirs) {
		t.Fatalf("another project's call: %d %.300s", r.status, r.body)
	}
	if r := s.do("GET", "/console/calls/ing_nothere", nil, sc); r.status != 404 {
		t.Fatalf("a missing call: %d", r.status)
	}
}

// Each call names its connector (a webhook's, a SalesDash push's), linked
// to the connector's page; the API's own calls say so.
func TestCallsNameTheirConnector(t *testing.T) {
	s := newSite(t, false)
	calls := []intake.Call{
		{IngestID: intake.NewID("whk"), ProjectID: s.project.ID, ConnectorID: "c_billing", Kind: intake.KindWebhook, Source: "stripe", ReceivedAt: time.Now()},
		{IngestID: intake.NewID("ing"), ProjectID: s.project.ID, Kind: intake.KindMetric, Source: "api", ReceivedAt: time.Now()},
	}
	if err := s.st.AcceptCalls(context.Background(), "ingest/"+s.project.ID+"/c_billing/grp_1", calls); err != nil {
		t.Fatal(err)
	}
	sc := s.signIn(s.adminKey)
	list := s.do("GET", "/console/calls", nil, sc)
	if !strings.Contains(list.body, `<a href="/console/connectors/c_billing"><code>c_billing</code></a>`) || !strings.Contains(list.body, `<span class="muted">API</span>`) {
		t.Fatalf("the calls' connectors: %.2000s", list.body)
	}
}
