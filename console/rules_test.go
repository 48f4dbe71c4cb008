package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
)

// connector adds a connector of provider typ to a project.
func (s *site) connector(projectID, typ, name string) store.Connector {
	s.t.Helper()
	c := store.Connector{ID: intake.NewID("c"), ProjectID: projectID, Type: typ, Name: name, Settings: "{}", Enabled: true}
	if err := s.st.CreateConnector(context.Background(), &c, nil); err != nil {
		s.t.Fatal(err)
	}
	return c
}

// eventItem puts a provider event in the project's inbox as the connector's
// webhook call left it: the normalized event, whole.
func (s *site) eventItem(conn store.Connector, e intake.Event) string {
	s.t.Helper()
	raw, _ := json.Marshal(e)
	c := intake.Call{IngestID: intake.NewID("ing"), ProjectID: conn.ProjectID, ConnectorID: conn.ID, Kind: intake.KindWebhook,
		Source: conn.Type, WorkflowID: "wf", ReceivedAt: time.Now()}
	var id string
	_, err := s.st.ApplyCalls(context.Background(), []intake.Call{c}, 1, func(tx *store.Tx, c intake.Call) (any, error) {
		res, err := tx.ApplyData(c, store.DataUpdate{Source: conn.Type, Raw: string(raw), InboxReason: "no rule matches"})
		id = res.InboxID
		return res, err
	})
	if err != nil || id == "" {
		s.t.Fatalf("event item: %v", err)
	}
	return id
}

// rules is the scope's saved rules and their version.
func (s *site) rules(scope store.RuleScope) ([]intake.Rule, int) {
	s.t.Helper()
	rules, version, err := s.st.LatestRules(context.Background(), scope)
	if err != nil {
		s.t.Fatal(err)
	}
	return rules, version
}

// follow is the page a 303 sends to.
func (s *site) follow(r page, sc *http.Cookie) page {
	s.t.Helper()
	if r.status != 303 {
		s.t.Fatalf("want a redirect, got %d %.1500s", r.status, r.body)
	}
	return s.do("GET", r.header.Get("Location"), nil, sc)
}

// TestRulesIndexListsEveryScope: the sources with calls, inbox items or
// rules, and each connector with its provider, version and whether the
// provider's defaults are in force; the instance admin without a project
// and the signed-out are sent away.
func TestRulesIndexListsEveryScope(t *testing.T) {
	s := newSite(t, false)
	s.inboxItem(s.project.ID, `{"total":1}`) // source crm
	billing := s.connector(s.project.ID, "stripe", "Billing")
	if _, _, err := s.st.EditRules(context.Background(), store.RuleScope{ProjectID: s.project.ID, Source: "shop"},
		func([]intake.Rule) ([]intake.Rule, error) {
			return []intake.Rule{{ID: "r_1", Name: "Total", Metric: "revenue", Value: "payload.total", Enabled: true},
				{ID: "r_2", Name: "Off", Metric: "revenue", Value: "1"}}, nil
		}); err != nil {
		t.Fatal(err)
	}
	other, _ := storetest.Project(t, s.st)
	theirs := s.connector(other.ID, "hubspot", "Their CRM")
	sc := s.signIn(s.adminKey)

	r := s.do("GET", "/console/rules", nil, sc)
	for _, want := range []string{`href="/console/rules/source/crm"`, `href="/console/rules/source/shop"`, "v1", "2 <span class=\"muted\">(1 enabled)",
		`href="/console/rules/connector/` + billing.ID + `"`, "connector · stripe", "provider defaults"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the index lacks %s: %.3000s", want, r.body)
		}
	}
	if r.status != 200 || strings.Contains(r.body, theirs.ID) || strings.Contains(r.body, "<script") {
		t.Fatalf("index: %d %.2000s", r.status, r.body)
	}
	if r := s.do("GET", "/console/rules?source=new+one/with+a+slash", nil, sc); r.status != 303 || r.header.Get("Location") != "/console/rules/source/new%20one%2Fwith%20a%20slash" {
		t.Fatalf("opening a source: %d %v", r.status, r.header)
	}
	slashed := "/console/rules/source/new%20one%2Fwith%20a%20slash"
	fresh := s.do("GET", slashed, nil, sc)
	if fresh.status != 200 || !strings.Contains(fresh.body, "<code>new one/with a slash</code>") || !strings.Contains(fresh.body, "No rules saved yet") ||
		!strings.Contains(fresh.body, `action="`+slashed+`/save"`) {
		t.Fatalf("a source without rules: %d %.2000s", fresh.status, fresh.body)
	}
	first := url.Values{"csrf": {csrfOf(t, fresh)}, "name": {"One"}, "metric": {"revenue"}, "value": {"1"}}
	if r := s.follow(s.do("POST", slashed+"/save", first, sc), sc); !strings.Contains(r.body, "Rule added: version 1") {
		t.Fatalf("saving a source's first rule: %.2000s", r.body)
	}
	if _, v := s.rules(store.RuleScope{ProjectID: s.project.ID, Source: "new one/with a slash"}); v != 1 {
		t.Fatalf("the source's rules are at version %d", v)
	}

	conn := s.do("GET", "/console/rules/connector/"+billing.ID, nil, sc)
	if conn.status != 200 || !strings.Contains(conn.body, `id="defaults"`) || !strings.Contains(conn.body, "saves version 1") ||
		!strings.Contains(conn.body, "Invoice Paid") || !strings.Contains(conn.body, "created on first use") ||
		!strings.Contains(conn.body, `<script src="/console/static/console.js"`) {
		t.Fatalf("a connector on its provider's defaults: %d %.3000s", conn.status, conn.body)
	}
	for _, path := range []string{"/console/rules/connector/" + theirs.ID, "/console/rules/nothing/x", "/console/rules/connector/c_missing"} {
		if r := s.do("GET", path, nil, sc); r.status != 404 || strings.Contains(r.body, "Their CRM") {
			t.Errorf("%s: %d", path, r.status)
		}
	}

	admin := s.signIn(instanceToken)
	if r := s.do("GET", "/console/rules", nil, admin); r.status != 303 || r.header.Get("Location") != "/console" {
		t.Fatalf("the instance admin without a project: %d %v", r.status, r.header)
	}
	if r := s.do("GET", "/console/rules/source/crm", nil, admin); r.status != 303 {
		t.Fatalf("the instance admin without a project, a scope: %d", r.status)
	}
	if r := s.do("GET", "/console/rules", nil); r.status != 303 || r.header.Get("Location") != "/console/login" {
		t.Fatalf("signed out: %d %v", r.status, r.header)
	}
}

var ruleRow = regexp.MustCompile(`<tr id="rule-([^"]+)"`)

// TestRulesAreEditedThroughTheAPI: a rule is added, edited, disabled,
// enabled and deleted, each a new version said on the page; refusals —
// a compile error at its position, a missing field — come back with what
// was typed; forms need the session's CSRF token; another project's rule
// is not found.
func TestRulesAreEditedThroughTheAPI(t *testing.T) {
	s := newSite(t, false)
	sc := s.signIn(s.adminKey)
	scope := store.RuleScope{ProjectID: s.project.ID, Source: "crm"}
	base := "/console/rules/source/crm"
	p := s.do("GET", base, nil, sc)
	csrf := csrfOf(t, p)
	form := func(extra ...string) url.Values {
		f := url.Values{"csrf": {csrf}, "name": {"Order total"}, "metric": {"revenue"}, "value": {"payload.total / 100"}, "op": {"set"}, "enabled": {"true"}}
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		return f
	}

	added := s.follow(s.do("POST", base+"/save", form(), sc), sc)
	if !strings.Contains(added.body, "Rule added: version 1 of these rules is in force.") || !strings.Contains(added.body, "<code>payload.total / 100</code>") {
		t.Fatalf("after adding: %.3000s", added.body)
	}
	rules, version := s.rules(scope)
	if version != 1 || len(rules) != 1 || rules[0].Value != "payload.total / 100" || !rules[0].Enabled {
		t.Fatalf("saved %d %+v", version, rules)
	}
	id := rules[0].ID
	if m := ruleRow.FindStringSubmatch(added.body); m == nil || m[1] != id {
		t.Fatalf("the rule's row: %v", m)
	}

	edit := s.do("GET", base+"?edit="+id, nil, sc)
	if edit.status != 200 || !strings.Contains(edit.body, `name="id" value="`+id+`"`) || !strings.Contains(edit.body, "Edit Order total") {
		t.Fatalf("the edit form: %d %.3000s", edit.status, edit.body)
	}
	edited := s.follow(s.do("POST", base+"/save", form("id", id, "value", "payload.total", "op", "add", "timestamp", "payload.at"), sc), sc)
	if !strings.Contains(edited.body, "Rule saved: version 2") || !strings.Contains(edited.body, "add <code>payload.total</code>") {
		t.Fatalf("after editing: %.3000s", edited.body)
	}
	if rules, _ := s.rules(scope); len(rules) != 1 || rules[0].ID != id || rules[0].Op != intake.OpAdd || rules[0].Timestamp != "payload.at" {
		t.Fatalf("edited %+v", rules)
	}

	disabled := s.follow(s.do("POST", base+"/"+id+"/disable", url.Values{"csrf": {csrf}}, sc), sc)
	if !strings.Contains(disabled.body, "Rule disabled: version 3") || !strings.Contains(disabled.body, `<td class="state">disabled</td>`) ||
		!strings.Contains(disabled.body, base+"/"+id+"/enable") {
		t.Fatalf("after disabling: %.3000s", disabled.body)
	}
	if rules, _ := s.rules(scope); rules[0].Enabled || rules[0].Timestamp != "payload.at" || rules[0].Op != intake.OpAdd {
		t.Fatalf("disabled %+v", rules)
	}
	// Editing a disabled rule keeps it disabled.
	if r := s.do("GET", base+"?edit="+id, nil, sc); !strings.Contains(r.body, `name="enabled" value="false"`) || !strings.Contains(r.body, "stays so when saved") {
		t.Fatalf("editing a disabled rule: %.3000s", r.body)
	}
	enabled := s.follow(s.do("POST", base+"/"+id+"/enable", url.Values{"csrf": {csrf}}, sc), sc)
	if !strings.Contains(enabled.body, "Rule enabled: version 4") || !strings.Contains(enabled.body, `<td class="state">enabled</td>`) {
		t.Fatalf("after enabling: %.3000s", enabled.body)
	}

	// Refusals show the page again, with what was typed and why.
	bad := s.do("POST", base+"/save", form("value", "payload.total *"), sc)
	if bad.status != 422 || !strings.Contains(bad.body, `class="compile-error" data-field="value"`) || !strings.Contains(bad.body, "line 1, column") ||
		!strings.Contains(bad.body, ">payload.total *</textarea>") {
		t.Fatalf("a rule that does not compile: %d %.3000s", bad.status, bad.body)
	}
	unnamed := s.do("POST", base+"/save", form("name", "", "value", "payload.count"), sc)
	if unnamed.status != 422 || !strings.Contains(unnamed.body, `data-field="name"><strong>name</strong>: name is required`) ||
		!strings.Contains(unnamed.body, ">payload.count</textarea>") {
		t.Fatalf("a rule without a name: %d %.3000s", unnamed.status, unnamed.body)
	}
	if _, v := s.rules(scope); v != 4 {
		t.Fatalf("a refused save made version %d", v)
	}

	// A second rule is added to the set, the first kept with its id.
	s.follow(s.do("POST", base+"/save", form("name", "Count", "value", "1"), sc), sc)
	if rules, v := s.rules(scope); v != 5 || len(rules) != 2 || rules[0].ID != id || rules[0].Value != "payload.total" || rules[0].Op != intake.OpAdd || rules[1].Name != "Count" {
		t.Fatalf("after adding a second rule, v%d: %+v", v, rules)
	}
	rules, _ = s.rules(scope)
	deleted := s.follow(s.do("POST", base+"/"+rules[1].ID+"/delete", url.Values{"csrf": {csrf}}, sc), sc)
	if !strings.Contains(deleted.body, "Rule deleted: version 6") || strings.Contains(deleted.body, "rule-"+rules[1].ID) {
		t.Fatalf("after deleting: %.3000s", deleted.body)
	}

	// CSRF.
	for _, path := range []string{base + "/save", base + "/test", base + "/" + rules[0].ID + "/disable", base + "/" + rules[0].ID + "/delete"} {
		f := form()
		f.Del("csrf")
		if r := s.do("POST", path, f, sc); r.status != 403 {
			t.Errorf("%s without the CSRF token: %d", path, r.status)
		}
	}
	if _, v := s.rules(scope); v != 6 {
		t.Fatalf("a refused form made version %d", v)
	}

	// Another project's rule, in a source of the same name.
	other, _ := storetest.Project(t, s.st)
	theirScope := store.RuleScope{ProjectID: other.ID, Source: "crm"}
	if _, _, err := s.st.EditRules(context.Background(), theirScope, func([]intake.Rule) ([]intake.Rule, error) {
		return []intake.Rule{{ID: "r_theirs", Name: "Theirs", Metric: "revenue", Value: "1", Enabled: true}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []page{
		s.do("GET", base+"?edit=r_theirs", nil, sc),
		s.do("POST", base+"/r_theirs/disable", url.Values{"csrf": {csrf}}, sc),
		s.do("POST", base+"/r_theirs/delete", url.Values{"csrf": {csrf}}, sc),
		s.do("POST", base+"/save", form("id", "r_theirs"), sc),
	} {
		if r.status != 404 || strings.Contains(r.body, "Theirs") {
			t.Errorf("another project's rule: %d %.500s", r.status, r.body)
		}
	}
	if rules, v := s.rules(theirScope); v != 1 || !rules[0].Enabled {
		t.Fatalf("another project's rules changed: v%d %+v", v, rules)
	}
	if _, v := s.rules(scope); v != 6 {
		t.Fatalf("a refused form made version %d", v)
	}
}

// TestRulesDryRun: the editor's rule is tested on a pasted payload or an
// inbox item, through the API's test route, as a fragment for the page's
// script or in the whole page; the rules in force too; another project's
// inbox item is not found.
func TestRulesDryRun(t *testing.T) {
	s := newSite(t, false)
	item := s.inboxItem(s.project.ID, `{"total":500,"customer":{"email":"ann@example.com"}}`)
	sc := s.signIn(s.adminKey)
	base := "/console/rules/source/crm"
	p := s.do("GET", base, nil, sc)
	if !strings.Contains(p.body, `<option value="`+item+`" selected>`) || !strings.Contains(p.body, `data-path="payload.customer.email"`) {
		t.Fatalf("the page does not offer the scope's inbox item: %.3000s", p.body)
	}
	csrf := csrfOf(t, p)
	frag := map[string]string{"X-Console-Fragment": "test"}
	rule := func(target ...string) url.Values {
		f := url.Values{"csrf": {csrf}, "name": {"Total"}, "metric": {"revenue"}, "value": {"payload.total / 100"}}
		for i := 0; i+1 < len(target); i += 2 {
			f.Set(target[i], target[i+1])
		}
		return f
	}

	pasted := s.doWith("POST", base+"/test", rule("payload", `{"total": 1999, "lines": [{"qty": 2}]}`), frag, sc)
	if pasted.status != 200 || strings.Contains(pasted.body, "<html") || !strings.Contains(pasted.body, `<td class="dry-run">set 19.99</td>`) ||
		!strings.Contains(pasted.body, `data-path="payload.lines[0].qty"`) {
		t.Fatalf("on a pasted payload: %d %.2000s", pasted.status, pasted.body)
	}
	onItem := s.doWith("POST", base+"/test", rule("inbox_id", item), frag, sc)
	if onItem.status != 200 || !strings.Contains(onItem.body, `<td class="dry-run">set 5</td>`) {
		t.Fatalf("on an inbox item: %d %.2000s", onItem.status, onItem.body)
	}
	// Without script, the whole page, with what was typed.
	page := s.do("POST", base+"/test", rule("item_id", item, "value", "payload.total *"), sc)
	if page.status != 200 || !strings.Contains(page.body, `class="compile-error" data-field="value"`) || !strings.Contains(page.body, "line 1, column") ||
		!strings.Contains(page.body, `name="item_id" id="test-item-id" value="`+item+`"`) || !strings.Contains(page.body, "<html") {
		t.Fatalf("the Test button without script: %d %.3000s", page.status, page.body)
	}
	notJSON := s.doWith("POST", base+"/test", rule("payload", `{"total": `), frag, sc)
	if !strings.Contains(notJSON.body, `data-field="payload"`) || !strings.Contains(notJSON.body, "not JSON") {
		t.Fatalf("a payload that is not JSON: %.1000s", notJSON.body)
	}

	// The rules in force: none yet, then the saved one.
	s.follow(s.do("POST", base+"/save", rule("value", "payload.total"), sc), sc)
	all := s.doWith("POST", base+"/test", rule("inbox_id", item, "run", "all", "value", "ignored +"), frag, sc)
	if all.status != 200 || !strings.Contains(all.body, `<td class="dry-run">set 500</td>`) {
		t.Fatalf("the rules in force on an item: %d %.2000s", all.status, all.body)
	}

	other, _ := storetest.Project(t, s.st)
	theirs := s.inboxItem(other.ID, `{"total":7}`)
	for _, f := range []url.Values{rule("item_id", theirs), rule("inbox_id", theirs), rule("item_id", theirs, "run", "all")} {
		if r := s.doWith("POST", base+"/test", f, frag, sc); r.status != 404 || strings.Contains(r.body, "set 0.07") || !strings.Contains(r.body, "class=\"error\"") {
			t.Errorf("another project's inbox item: %d %.1000s", r.status, r.body)
		}
	}
	if r := s.do("POST", base+"/test", rule("item_id", theirs), sc); r.status != 404 {
		t.Errorf("another project's inbox item, without script: %d", r.status)
	}
}

// TestRulesOfAConnectorOnItsProviderDefaults: the defaults are tested on
// the connector's event and on a pasted delivery; a change saves version 1
// of the connector's own rules, the page says so, and says when a rule
// came back no longer creating its metric.
func TestRulesOfAConnectorOnItsProviderDefaults(t *testing.T) {
	s := newSite(t, false)
	billing := s.connector(s.project.ID, "stripe", "Billing")
	item := s.eventItem(billing, intake.Event{ID: "evt_1", Type: "invoice.paid", Source: "stripe", OccurredAt: time.Now(),
		Data: map[string]any{"amount_paid": 1999, "currency": "eur"}})
	sc := s.signIn(s.adminKey)
	base := "/console/rules/connector/" + billing.ID
	p := s.do("GET", base, nil, sc)
	if !strings.Contains(p.body, `<option value="`+item+`" selected>`) || !strings.Contains(p.body, `data-path="event.data.amount_paid"`) {
		t.Fatalf("the connector's event is not offered: %.3000s", p.body)
	}
	csrf := csrfOf(t, p)
	frag := map[string]string{"X-Console-Fragment": "test"}
	onEvent := s.doWith("POST", base+"/test", url.Values{"csrf": {csrf}, "run": {"all"}, "inbox_id": {item}}, frag, sc)
	if onEvent.status != 200 || !strings.Contains(onEvent.body, `<td class="dry-run">add 19.99</td>`) {
		t.Fatalf("the defaults on the connector's event: %d %.2000s", onEvent.status, onEvent.body)
	}
	delivery := `{"id":"evt_2","type":"invoice.paid","created":1700000000,"data":{"object":{"amount_paid":500,"currency":"usd"}}}`
	onDelivery := s.doWith("POST", base+"/test", url.Values{"csrf": {csrf}, "run": {"all"}, "payload": {delivery}}, frag, sc)
	if onDelivery.status != 200 || !strings.Contains(onDelivery.body, `<td class="dry-run">add 5</td>`) {
		t.Fatalf("the defaults on a pasted delivery: %d %.2000s", onDelivery.status, onDelivery.body)
	}
	draft := s.doWith("POST", base+"/test", url.Values{"csrf": {csrf}, "name": {"Paid"}, "metric": {"paid"}, "value": {"event.data.amount_paid"},
		"when": {`event.type == "invoice.paid"`}, "inbox_id": {item}}, frag, sc)
	if !strings.Contains(draft.body, `<td class="dry-run">set 1999</td>`) {
		t.Fatalf("a rule being written, on the connector's event: %.2000s", draft.body)
	}

	scope := store.RuleScope{ProjectID: s.project.ID, ConnectorID: billing.ID}
	disabled := s.follow(s.do("POST", base+"/stripe_payment_failed/disable", url.Values{"csrf": {csrf}}, sc), sc)
	rules, version := s.rules(scope)
	if version != 1 || len(rules) != 5 || !strings.Contains(disabled.body, "Rule disabled: version 1") ||
		!strings.Contains(disabled.body, "defaults were copied into it") || strings.Contains(disabled.body, `id="defaults"`) {
		t.Fatalf("disabling a default rule: v%d %d rules, %.3000s", version, len(rules), disabled.body)
	}
	for _, r := range rules {
		if r.Enabled == (r.ID == "stripe_payment_failed") {
			t.Errorf("rule %s enabled %v", r.ID, r.Enabled)
		}
		// Every default rule still creates its metric on first use.
		if !r.Create {
			t.Errorf("rule %s no longer creates its metric", r.ID)
		}
	}
	if r := s.do("GET", "/console/rules", nil, sc); !strings.Contains(r.body, "v1") || strings.Contains(r.body, "provider defaults") {
		t.Fatalf("the index after the first save: %.2000s", r.body)
	}
}
