package console_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
)

var amsterdam = func() *time.Location {
	l, err := time.LoadLocation(intake.DefaultTimezone)
	if err != nil {
		panic(err)
	}
	return l
}()

// salesConnector makes a SalesDash connector of a project in the store.
func (s *site) salesConnector(projectID, name string) store.Connector {
	s.t.Helper()
	conn := store.Connector{ID: intake.NewID("c"), ProjectID: projectID, Type: intake.SalesDash, Name: name, Settings: "{}", Enabled: true}
	if err := s.st.CreateConnector(context.Background(), &conn, nil); err != nil {
		s.t.Fatal(err)
	}
	return conn
}

// upsert applies one SalesDash record as the worker does, through the
// store's own upsert, as a call of its own.
func (s *site) upsert(conn store.Connector, kind string, apply func(tx *store.Tx, c intake.Call) (any, error)) {
	s.t.Helper()
	c := intake.Call{IngestID: intake.NewID("ing"), ProjectID: conn.ProjectID, ConnectorID: conn.ID, Kind: kind, Source: intake.SalesDash,
		WorkflowID: "wf", ReceivedAt: time.Now()}
	outs, err := s.st.ApplyCalls(context.Background(), []intake.Call{c}, 1, apply)
	if err == nil && outs[0].Error != nil {
		err = outs[0].Error
	}
	if err != nil {
		s.t.Fatalf("upsert %s: %v", kind, err)
	}
}

func (s *site) activity(conn store.Connector, id, typ string, agent intake.Person, at time.Time, value float64) {
	s.t.Helper()
	in := intake.ActivityInput{ID: id, Type: typ, Agent: agent, Moment: at, Day: intake.LocalDay(at, amsterdam), Value: &value}
	s.upsert(conn, intake.KindActivity, func(tx *store.Tx, c intake.Call) (any, error) { return tx.UpsertActivity(c, in) })
}

func (s *site) sale(conn store.Connector, id string, agent intake.Person, prop, propName string, at time.Time, value float64, cancelled bool) {
	s.t.Helper()
	in := intake.SaleInput{ID: id, Agent: agent, PropositionID: prop, PropositionName: propName, SoldAt: at, Day: intake.LocalDay(at, amsterdam),
		ContractValue: &value}
	if cancelled {
		in.CancelledAt, in.CancelledAtSet = &at, true
	}
	s.upsert(conn, intake.KindSale, func(tx *store.Tx, c intake.Call) (any, error) { return tx.UpsertSale(c, in) })
}

var (
	anna = intake.Person{ID: "17", Name: "Anna de Vries", Email: "anna@example.com", TeamID: "north", TeamName: "North"}
	bram = intake.Person{ID: "18", Name: "Bram", TeamID: "north"}
	cas  = intake.Person{ID: "19", Name: "Cas"}
	// dirk's team is sent without a name: a team identity with none.
	dirk = intake.Person{ID: "20", Name: "Dirk", TeamID: "south"}
)

func march(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, amsterdam) }

// salesSite is a site whose project has a SalesDash connector "CRM" with
// activities and sales of four agents in March 2026, and another project
// with records of its own.
func salesSite(t *testing.T) (*site, store.Connector) {
	s := newSite(t, false)
	crm := s.salesConnector(s.project.ID, "CRM")
	s.activity(crm, "a1", "Sale", anna, march(2, 10), 149.50)
	s.activity(crm, "a2", "Sale", anna, march(3, 9), 50.25)
	s.activity(crm, "a3", "Call", bram, march(3, 23), 10) // 23:00 in Amsterdam is the 3rd there, the 3rd UTC too
	s.activity(crm, "a4", "Sale", cas, march(5, 0), 100)  // midnight in Amsterdam: the 4th in UTC, the 5th here
	s.activity(crm, "a5", "Call", dirk, march(6, 12), 5)
	s.sale(crm, "s1", anna, "P1", "Product A", march(2, 11), 5254.21, false)
	s.sale(crm, "s2", bram, "P1", "", march(3, 12), 1000, false)
	s.sale(crm, "s3", bram, "P2", "Product B", march(3, 13), 200, true)
	other, _ := storetest.Project(t, s.st)
	theirs := s.salesConnector(other.ID, "Theirs")
	s.activity(theirs, "x1", "Sale", anna, march(2, 10), 1e6)
	s.sale(theirs, "x2", anna, "P1", "Product A", march(2, 11), 1e6, false)
	return s, crm
}

// identityOf finds a project's identity by kind and the sender's id.
func (s *site) identityOf(projectID, kind, external string) store.Identity {
	s.t.Helper()
	rows, _, err := s.st.ListIdentities(context.Background(), projectID, store.IdentityFilter{Kind: kind}, store.Page{Limit: 200})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, r := range rows {
		if r.ExternalID == external {
			return r
		}
	}
	s.t.Fatalf("no %s identity %q in %s", kind, external, projectID)
	return store.Identity{}
}

func linkForm(id string) string { return `action="/console/salesdash/identities/` + id + `/link"` }

func TestSalesDashIdentitiesPageListsUnlinkedByKind(t *testing.T) {
	s, _ := salesSite(t)
	sc := s.signIn(s.adminKey)
	page := s.do("GET", "/console/salesdash/identities", nil, sc)
	if page.status != 200 {
		t.Fatalf("identities: %d %.500s", page.status, page.body)
	}
	for _, want := range []string{`<h2 id="agents">Agents</h2>`, `<h2 id="teams">Teams</h2>`, `<h2 id="propositions">Propositions</h2>`,
		"Anna de Vries", "anna@example.com", "<code>17</code>", "Product A", "<td>CRM</td>", "North", "no name"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the identities page lacks %q", want)
		}
	}
	for kind, ids := range map[string][]string{"agent": {"17", "18", "19", "20"}, "team": {"north", "south"}, "proposition": {"P1", "P2"}} {
		table := section(t, page.body, "identities-"+kind)
		for _, ext := range ids {
			if idn := s.identityOf(s.project.ID, kind, ext); !strings.Contains(table, linkForm(idn.ID)) {
				t.Errorf("%s %s has no link form in its kind's table", kind, ext)
			}
		}
	}
	if strings.Contains(page.body, "Theirs") || strings.Contains(page.body, "<script") {
		t.Fatalf("another project's connector, or a script, on the page: %.2000s", page.body)
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") {
		t.Fatalf("CSP %q", csp)
	}
	agents := s.do("GET", "/console/salesdash/identities?kind=agent", nil, sc)
	if strings.Contains(agents.body, `id="teams"`) || !strings.Contains(agents.body, "Anna de Vries") {
		t.Fatalf("kind=agent: %.1500s", agents.body)
	}
	if bad := s.do("GET", "/console/salesdash/identities?show=gone", nil, sc); bad.status != 200 || !strings.Contains(bad.body, "Show is one of") {
		t.Fatalf("a bad show filter: %d", bad.status)
	}
	if r := s.do("GET", "/console/salesdash/identities", nil); r.status != 303 {
		t.Fatalf("signed out: %d", r.status)
	}
}

// The identities page reads its lists from the store: browsing it does
// not spend the signed-in key's 100 requests a minute.
func TestSalesDashBrowsingSpendsNoRateLimit(t *testing.T) {
	s, _ := salesSite(t)
	sc := s.signIn(s.adminKey)
	for i := 0; i < 110; i++ {
		if r := s.do("GET", "/console/salesdash/identities?show=all", nil, sc); r.status != 200 {
			t.Fatalf("view %d: %d %.300s", i, r.status, r.body)
		}
	}
}

func TestSalesDashLinkToExistingAndCreateInOneStep(t *testing.T) {
	s, _ := salesSite(t)
	ctx := context.Background()
	existing := store.Entity{ProjectID: s.project.ID, Kind: intake.IdentityAgent, Name: "Anna (HQ)"}
	if err := s.st.CreateEntity(ctx, &existing); err != nil {
		t.Fatal(err)
	}
	sc := s.signIn(s.adminKey)
	page := s.do("GET", "/console/salesdash/identities", nil, sc)
	csrf := csrfOf(t, page)
	if !strings.Contains(section(t, page.body, "identities-agent"), `<option value="`+existing.ID+`">Anna (HQ)</option>`) {
		t.Fatalf("the agent's select lacks the existing agent: %.2000s", page.body)
	}

	annaID := s.identityOf(s.project.ID, "agent", "17").ID
	r := s.do("POST", "/console/salesdash/identities/"+annaID+"/link", url.Values{"csrf": {csrf}, "target_id": {existing.ID}, "name": {""},
		"show": {"unlinked"}}, sc)
	if r.status != 303 || r.header.Get("Location") != "/console/salesdash/identities?done="+annaID {
		t.Fatalf("link to existing: %d %v %.500s", r.status, r.header, r.body)
	}
	after := s.do("GET", r.header.Get("Location"), nil, sc)
	if strings.Contains(after.body, linkForm(annaID)) || !strings.Contains(after.body, "is linked to “Anna (HQ)” ("+existing.ID+")") {
		t.Fatalf("after linking, the agent is still unlinked or no notice: %.2500s", after.body)
	}
	if got := s.identityOf(s.project.ID, "agent", "17"); got.LinkedID != existing.ID {
		t.Fatalf("identity linked to %q, want %q", got.LinkedID, existing.ID)
	}
	linked := s.do("GET", "/console/salesdash/identities?show=linked", nil, sc)
	if !strings.Contains(linked.body, linkForm(annaID)) || !strings.Contains(linked.body, "Anna (HQ) <code>"+existing.ID+"</code>") {
		t.Fatalf("the linked filter does not show it with its agent: %.2500s", linked.body)
	}

	// One step: a new agent with the typed name, linked.
	bramID := s.identityOf(s.project.ID, "agent", "18").ID
	r = s.do("POST", "/console/salesdash/identities/"+bramID+"/link", url.Values{"csrf": {csrf}, "target_id": {""}, "name": {"Bram Bakker"}}, sc)
	if r.status != 303 {
		t.Fatalf("create and link: %d %.500s", r.status, r.body)
	}
	bramIdn := s.identityOf(s.project.ID, "agent", "18")
	ent, err := s.st.GetEntity(ctx, s.project.ID, intake.IdentityAgent, bramIdn.LinkedID)
	if err != nil || ent.Name != "Bram Bakker" {
		t.Fatalf("the new agent: %+v %v", ent, err)
	}
	// No name typed: the new one takes the identity's.
	prop := s.identityOf(s.project.ID, "proposition", "P1")
	if r := s.do("POST", "/console/salesdash/identities/"+prop.ID+"/link", url.Values{"csrf": {csrf}}, sc); r.status != 303 {
		t.Fatalf("create from the identity's name: %d %.500s", r.status, r.body)
	}
	if p, err := s.st.GetEntity(ctx, s.project.ID, intake.IdentityProposition, s.identityOf(s.project.ID, "proposition", "P1").LinkedID); err != nil || p.Name != "Product A" {
		t.Fatalf("the new proposition: %+v %v", p, err)
	}
	// Linking again moves the link, from the linked filter.
	moved := s.do("POST", "/console/salesdash/identities/"+bramID+"/link", url.Values{"csrf": {csrf}, "target_id": {existing.ID}, "show": {"linked"}}, sc)
	if moved.status != 303 || moved.header.Get("Location") != "/console/salesdash/identities?done="+bramID+"&show=linked" {
		t.Fatalf("move: %d %v", moved.status, moved.header)
	}
	if got := s.identityOf(s.project.ID, "agent", "18"); got.LinkedID != existing.ID {
		t.Fatalf("moved to %q", got.LinkedID)
	}
}

func TestSalesDashLinkRefusalsAreShownInTheRow(t *testing.T) {
	s, _ := salesSite(t)
	ctx := context.Background()
	existing := store.Entity{ProjectID: s.project.ID, Kind: intake.IdentityTeam, Name: "South"}
	if err := s.st.CreateEntity(ctx, &existing); err != nil {
		t.Fatal(err)
	}
	sc := s.signIn(s.adminKey)
	csrf := csrfOf(t, s.do("GET", "/console/salesdash/identities", nil, sc))
	south := s.identityOf(s.project.ID, "team", "south")

	tests := []struct {
		name      string
		give      url.Values
		wantField string
		wantSays  string
		wantKept  []string
	}{
		{"a nameless identity and no name", url.Values{}, "name", "name is required", nil},
		{"both an entity and a name", url.Values{"target_id": {existing.ID}, "name": {"Zuid <b>"}}, "name", "not both",
			[]string{`value="Zuid &lt;b&gt;"`, `<option value="` + existing.ID + `" selected>South</option>`}},
		{"a name too long", url.Values{"name": {strings.Repeat("z", 201)}}, "name", "longer than 200", []string{`value="` + strings.Repeat("z", 201) + `"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"csrf": {csrf}}
			for k, v := range tt.give {
				form[k] = v
			}
			r := s.do("POST", "/console/salesdash/identities/"+south.ID+"/link", form, sc)
			row := section(t, r.body, "identity-"+south.ID)
			if r.status != 422 || !strings.Contains(row, `<p class="error" id="error-`+south.ID+`"><strong>`+tt.wantField+`</strong>: `) ||
				!strings.Contains(row, tt.wantSays) || !strings.Contains(row, `name="`+tt.wantField+`"`) {
				t.Fatalf("%d, row %.1500s", r.status, row)
			}
			for _, kept := range tt.wantKept {
				if !strings.Contains(row, kept) {
					t.Errorf("the row lacks what was typed, %s: %.1500s", kept, row)
				}
			}
			if got := s.identityOf(s.project.ID, "team", "south"); got.LinkedID != "" {
				t.Fatalf("a refused form linked it to %s", got.LinkedID)
			}
		})
	}

	if r := s.do("POST", "/console/salesdash/identities/"+south.ID+"/link", url.Values{"target_id": {existing.ID}}, sc); r.status != 403 {
		t.Fatalf("without the CSRF token: %d", r.status)
	}
	if r := s.do("POST", "/console/salesdash/identities/"+south.ID+"/link", url.Values{"csrf": {"00ff"}, "target_id": {existing.ID}}, sc); r.status != 403 {
		t.Fatalf("with another CSRF token: %d", r.status)
	}
	if got := s.identityOf(s.project.ID, "team", "south"); got.LinkedID != "" {
		t.Fatalf("a form without the CSRF token linked it")
	}
}

func TestSalesDashAnotherProjectsIdentityOrEntityIsNotFound(t *testing.T) {
	s, _ := salesSite(t)
	ctx := context.Background()
	other, _ := storetest.Project(t, s.st)
	theirConn := s.salesConnector(other.ID, "Elsewhere")
	s.activity(theirConn, "y1", "Sale", intake.Person{ID: "99", Name: "Zed"}, march(2, 10), 1)
	theirIdn := s.identityOf(other.ID, "agent", "99")
	theirAgent := store.Entity{ProjectID: other.ID, Kind: intake.IdentityAgent, Name: "Their agent"}
	if err := s.st.CreateEntity(ctx, &theirAgent); err != nil {
		t.Fatal(err)
	}
	sc := s.signIn(s.adminKey)
	page := s.do("GET", "/console/salesdash/identities", nil, sc)
	if strings.Contains(page.body, theirIdn.ID) || strings.Contains(page.body, theirAgent.ID) {
		t.Fatal("another project's identity or agent is on the page")
	}
	csrf := csrfOf(t, page)
	if r := s.do("POST", "/console/salesdash/identities/"+theirIdn.ID+"/link", url.Values{"csrf": {csrf}, "name": {"Mine now"}}, sc); r.status != 404 {
		t.Fatalf("linking another project's identity: %d %.300s", r.status, r.body)
	}
	ours := s.identityOf(s.project.ID, "agent", "19")
	r := s.do("POST", "/console/salesdash/identities/"+ours.ID+"/link", url.Values{"csrf": {csrf}, "target_id": {theirAgent.ID}}, sc)
	if r.status != 404 || !strings.Contains(r.body, "not found") {
		t.Fatalf("linking to another project's agent: %d %.300s", r.status, r.body)
	}
	if r := s.do("POST", "/console/salesdash/identities/idn_missing/link", url.Values{"csrf": {csrf}}, sc); r.status != 404 {
		t.Fatalf("a missing identity: %d", r.status)
	}
	if got := s.identityOf(other.ID, "agent", "99"); got.LinkedID != "" {
		t.Fatal("another project's identity was linked")
	}
	if got := s.identityOf(s.project.ID, "agent", "19"); got.LinkedID != "" {
		t.Fatal("our identity was linked to another project's agent")
	}
	if ents, _, _ := s.st.ListEntities(ctx, s.project.ID, intake.IdentityAgent, store.Page{}); len(ents) != 0 {
		t.Fatalf("refused links created agents: %+v", ents)
	}
}

const marchQuery = "from=2026-03-01&to=2026-04-01"

func TestSalesDashAggregateTables(t *testing.T) {
	s, crm := salesSite(t)
	sc := s.signIn(s.adminKey)
	tests := []struct {
		name, query, table string
		want               [][]string
	}{
		{"activities per agent", "by=agent", "activities-by-agent", [][]string{
			{"Anna de Vries unlinked", "2", "199.75"}, {"Cas unlinked", "1", "100"}, {"Bram unlinked", "1", "10"}, {"Dirk unlinked", "1", "5"},
			{"Total", "5", "314.75"}}},
		{"sales per agent", "by=agent", "sales-by-agent", [][]string{
			{"Anna de Vries unlinked", "1", "€5,254.21"}, {"Bram unlinked", "1", "€1,000.00"}, {"Total", "2", "€6,254.21"}}},
		{"sales per agent with the cancelled", "by=agent&include_cancelled=true", "sales-by-agent", [][]string{
			{"Anna de Vries unlinked", "1", "€5,254.21"}, {"Bram unlinked", "2", "€1,200.00"}, {"Total", "3", "€6,454.21"}}},
		{"activities of a type per agent", "type=Sale", "activities-by-agent", [][]string{
			{"Anna de Vries unlinked", "2", "199.75"}, {"Cas unlinked", "1", "100"}, {"Total", "3", "299.75"}}},
		{"activities per day, local days", "by=day", "activities-by-day", [][]string{
			{"2026-03-02", "1", "149.5"}, {"2026-03-03", "2", "60.25"}, {"2026-03-05", "1", "100"}, {"2026-03-06", "1", "5"}, {"Total", "5", "314.75"}}},
		{"sales per day", "by=day", "sales-by-day", [][]string{
			{"2026-03-02", "1", "€5,254.21"}, {"2026-03-03", "1", "€1,000.00"}, {"Total", "2", "€6,254.21"}}},
		{"sales per proposition", "by=proposition", "sales-by-proposition", [][]string{
			{"Product A unlinked", "2", "€6,254.21"}, {"Total", "2", "€6,254.21"}}},
		{"one connector", "by=agent&connector_id=" + crm.ID + "&type=Call", "activities-by-agent", [][]string{
			{"Bram unlinked", "1", "10"}, {"Dirk unlinked", "1", "5"}, {"Total", "2", "15"}}},
		{"a narrower period", "by=day&from=2026-03-03&to=2026-03-05", "activities-by-day", [][]string{
			{"2026-03-03", "2", "60.25"}, {"Total", "2", "60.25"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := marchQuery + "&" + tt.query
			if strings.Contains(tt.query, "from=") {
				q = tt.query
			}
			r := s.do("GET", "/console/salesdash?"+q, nil, sc)
			if r.status != 200 {
				t.Fatalf("%d %.500s", r.status, r.body)
			}
			if got := tableRows(t, r.body, tt.table); !equalRows(got, tt.want) {
				t.Fatalf("%s:\n got %q\nwant %q", tt.table, got, tt.want)
			}
		})
	}

	// Teams: North's two agents together, and agents without a team.
	teams := s.do("GET", "/console/salesdash?"+marchQuery+"&by=team", nil, sc)
	got := tableRows(t, teams.body, "activities-by-team")
	want := [][]string{{"North unlinked", "3", "209.75"}, {"no team", "1", "100"}, {"no name, sent as “south” unlinked", "1", "5"}, {"Total", "5", "314.75"}}
	if !equalRows(got, want) {
		t.Fatalf("per team:\n got %q\nwant %q", got, want)
	}
	if props := s.do("GET", "/console/salesdash?"+marchQuery+"&by=proposition", nil, sc); !strings.Contains(props.body, "Activities have no proposition") {
		t.Fatalf("per proposition, no word of activities: %.2000s", props.body)
	}

	// Two identities linked to one agent count as one, under its name.
	annaID, casID := s.identityOf(s.project.ID, "agent", "17").ID, s.identityOf(s.project.ID, "agent", "19").ID
	csrf := csrfOf(t, teams)
	if r := s.do("POST", "/console/salesdash/identities/"+annaID+"/link", url.Values{"csrf": {csrf}, "name": {"Top seller"}}, sc); r.status != 303 {
		t.Fatalf("link: %d", r.status)
	}
	top := s.identityOf(s.project.ID, "agent", "17").LinkedID
	if r := s.do("POST", "/console/salesdash/identities/"+casID+"/link", url.Values{"csrf": {csrf}, "target_id": {top}}, sc); r.status != 303 {
		t.Fatalf("link: %d", r.status)
	}
	agents := s.do("GET", "/console/salesdash?"+marchQuery, nil, sc)
	got = tableRows(t, agents.body, "activities-by-agent")
	want = [][]string{{"Top seller", "3", "299.75"}, {"Bram unlinked", "1", "10"}, {"Dirk unlinked", "1", "5"}, {"Total", "5", "314.75"}}
	if !equalRows(got, want) {
		t.Fatalf("after linking:\n got %q\nwant %q", got, want)
	}
	if !strings.Contains(agents.body, `id="unlinked"`) || !strings.Contains(agents.body, `<a href="/console/salesdash/identities?kind=agent" class="muted">unlinked</a>`) {
		t.Fatal("no word of the identities still unlinked, or no way to them")
	}
}

func TestSalesDashAggregateQueryRefusals(t *testing.T) {
	s, _ := salesSite(t)
	sc := s.signIn(s.adminKey)
	tests := []struct {
		name, query, field, kept string
	}{
		{"a bad from", "from=last+tuesday&to=2026-04-01", "from", `value="last tuesday"`},
		{"to before from", "from=2026-03-10&to=2026-03-01", "to", `value="2026-03-01"`},
		{"an unknown zone", "from=2026-03-01&tz=Mars%2FOlympus", "tz", `value="Mars/Olympus"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do("GET", "/console/salesdash?"+tt.query, nil, sc)
			if r.status != 422 || !strings.Contains(r.body, `<p class="error" id="query-error"><strong>`+tt.field+`</strong>: `) ||
				!strings.Contains(r.body, tt.kept) || !strings.Contains(r.body, `name="`+tt.field+`"`) {
				t.Fatalf("%d %.2500s", r.status, r.body)
			}
		})
	}
	if r := s.do("GET", "/console/salesdash?by=week", nil, sc); r.status != 200 || !strings.Contains(r.body, "By is one of") {
		t.Fatalf("a bad grouping: %d", r.status)
	}
	if r := s.do("GET", "/console/salesdash?range=1y", nil, sc); r.status != 200 || !strings.Contains(r.body, "Range is one of") {
		t.Fatalf("a bad range: %d", r.status)
	}
}

// The preset periods end today in the page's zone: what happened today
// is in the last 7 days, what happened 40 days ago only in the last 90.
func TestSalesDashAggregateRanges(t *testing.T) {
	s := newSite(t, false)
	crm := s.salesConnector(s.project.ID, "CRM")
	now := time.Now()
	s.activity(crm, "today", "Call", cas, now.Add(-time.Minute), 1)
	s.activity(crm, "old", "Call", cas, now.AddDate(0, 0, -40), 2)
	sc := s.signIn(s.adminKey)
	for rng, want := range map[string][]string{"7d": {"Total", "1", "1"}, "30d": {"Total", "1", "1"}, "90d": {"Total", "2", "3"}, "all": {"Total", "2", "3"}} {
		r := s.do("GET", "/console/salesdash?by=day&range="+rng, nil, sc)
		rows := tableRows(t, r.body, "activities-by-day")
		if len(rows) == 0 || !equalRows(rows[len(rows)-1:], [][]string{want}) {
			t.Errorf("range %s: %q", rng, rows)
		}
	}
	// The form sent with both bounds emptied has none.
	if r := s.do("GET", "/console/salesdash?by=day&from=&to=", nil, sc); !strings.Contains(r.body, "<strong>All time</strong>") ||
		!equalRows(tableRows(t, r.body, "activities-by-day")[2:], [][]string{{"Total", "2", "3"}}) {
		t.Fatalf("no bounds: %.3000s", r.body)
	}
	// The default is the last 30 days, shown in the form as its dates.
	def := s.do("GET", "/console/salesdash", nil, sc)
	today := now.In(amsterdam)
	from, to := today.AddDate(0, 0, -29).Format(time.DateOnly), today.AddDate(0, 0, 1).Format(time.DateOnly)
	if !strings.Contains(def.body, `name="from" value="`+from+`"`) || !strings.Contains(def.body, `name="to" value="`+to+`"`) ||
		!strings.Contains(def.body, "<strong>Last 30 days</strong>") {
		t.Fatalf("default period: %.2000s", def.body)
	}
	if !strings.Contains(def.body, `href="/console/salesdash?by=team&amp;from=`+from+`&amp;to=`+to+`"`) {
		t.Fatalf("the team tab does not keep the period: %.3000s", def.body)
	}
}

// section is the element with id, from its opening tag to the next
// closing tag of its kind.
func section(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no element %q in %.1500s", id, body)
	}
	open := strings.LastIndex(body[:i], "<")
	tag := strings.Fields(body[open+1 : i])[0]
	end := strings.Index(body[i:], "</"+tag+">")
	if end < 0 {
		t.Fatalf("element %q is not closed", id)
	}
	return body[open : i+end]
}

var (
	rowTag  = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	cellTag = regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`)
	anyTag  = regexp.MustCompile(`<[^>]+>`)
)

// tableRows is a table's body and footer rows as their cells' text.
func tableRows(t *testing.T, body, id string) [][]string {
	t.Helper()
	table := section(t, body, id)
	table = table[strings.Index(table, "<tbody>"):]
	var rows [][]string
	for _, tr := range rowTag.FindAllStringSubmatch(table, -1) {
		var cells []string
		for _, td := range cellTag.FindAllStringSubmatch(tr[1], -1) {
			cells = append(cells, strings.Join(strings.Fields(anyTag.ReplaceAllString(td[1], "")), " "))
		}
		rows = append(rows, cells)
	}
	return rows
}

func equalRows(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "|") != strings.Join(b[i], "|") {
			return false
		}
	}
	return true
}
