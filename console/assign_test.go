package console_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/intakehq/intake/store/storetest"
)

// TestRuleEditorTestsARuleOnTheItem: the item's page lists its fields as
// expression paths; a rule is tested on the item through the API's own
// test route, as a fragment for the page's script or, without script, in
// the whole page; compile errors come with their line and column.
func TestRuleEditorTestsARuleOnTheItem(t *testing.T) {
	s := newSite(t, false)
	id := s.inboxItem(s.project.ID, `{"customer":{"email":"ann@example.com"},"order total":1999,"items":[{"qty":2}]}`)
	sc := s.signIn(s.adminKey)
	item := s.do("GET", "/console/inbox/"+id, nil, sc)
	for _, path := range []string{`data-path="payload.customer.email"`, `data-path="payload[&#34;order total&#34;]"`, `data-path="payload.items[0].qty"`} {
		if !strings.Contains(item.body, path) {
			t.Errorf("the item's page lacks the field %s: %.1500s", path, item.body)
		}
	}
	if !strings.Contains(item.body, `<script src="/console/static/console.js"`) || !strings.Contains(item.body, `id="assign"`) {
		t.Fatalf("no rule editor: %.1500s", item.body)
	}
	csrf := csrfOf(t, item)
	form := func(value string) url.Values {
		return url.Values{"csrf": {csrf}, "name": {"Order total"}, "metric": {"revenue"}, "value": {value}, "op": {"set"}}
	}

	// Without script: the Test button answers the whole page.
	bad := s.do("POST", "/console/inbox/"+id+"/test", form("payload.items[0].qty *"), sc)
	if bad.status != 200 || !strings.Contains(bad.body, `class="compile-error" data-field="value"`) || !strings.Contains(bad.body, "line 1, column") {
		t.Fatalf("a syntax error: %d %.2000s", bad.status, bad.body)
	}
	if !strings.Contains(bad.body, "payload.items[0].qty *") {
		t.Errorf("the page lost the rule being written: %.1500s", bad.body)
	}

	// The page's script asks for the result alone.
	frag := s.doWith("POST", "/console/inbox/"+id+"/test", form(`payload["order total"] / 100`), map[string]string{"X-Console-Fragment": "test"}, sc)
	if frag.status != 200 || strings.Contains(frag.body, "<html") || !strings.Contains(frag.body, `<td class="dry-run">set 19.99</td>`) {
		t.Fatalf("the dry run: %d %.1500s", frag.status, frag.body)
	}
	unmatched := s.doWith("POST", "/console/inbox/"+id+"/test", url.Values{"csrf": {csrf}, "metric": {"revenue"}, "value": {"1"},
		"when": {`payload.customer.email == "bob@example.com"`}}, map[string]string{"X-Console-Fragment": "test"}, sc)
	if !strings.Contains(unmatched.body, `<td class="dry-run">nothing</td>`) {
		t.Fatalf("a rule whose when is false: %.1500s", unmatched.body)
	}

	// Forms need the session's CSRF token; another project's item is 404.
	if r := s.do("POST", "/console/inbox/"+id+"/test", url.Values{"value": {"1"}}, sc); r.status != 403 {
		t.Errorf("test without the CSRF token: %d", r.status)
	}
	if r := s.do("POST", "/console/inbox/"+id+"/assign", url.Values{"value": {"1"}}, sc); r.status != 403 {
		t.Errorf("assign without the CSRF token: %d", r.status)
	}
	other, _ := storetest.Project(t, s.st)
	theirs := s.inboxItem(other.ID, `{"x":1}`)
	for _, action := range []string{"test", "assign", "replay"} {
		if r := s.do("POST", "/console/inbox/"+theirs+"/"+action, form("1"), sc); r.status != 404 {
			t.Errorf("%s on another project's item: %d", action, r.status)
		}
	}
	// A save that does not compile shows the error in the page and saves nothing.
	if r := s.do("POST", "/console/inbox/"+id+"/assign", form("payload.items[0].qty *"), sc); r.status != 422 || !strings.Contains(r.body, "compile-error") {
		t.Fatalf("saving a rule that does not compile: %d %.1500s", r.status, r.body)
	}
	if sets := s.do("GET", "/console/inbox/"+id, nil, sc); !strings.Contains(sets.body, "open") {
		t.Fatalf("the item after a refused save: %.500s", sets.body)
	}
}

// TestConsoleScriptIsServedUnderItsPolicy: the one script comes from the
// console itself, which the policy allows, and nothing inline.
func TestConsoleScriptIsServedUnderItsPolicy(t *testing.T) {
	s := newSite(t, false)
	r := s.do("GET", "/console/static/console.js", nil)
	csp := r.header.Get("Content-Security-Policy")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/javascript") || !strings.Contains(r.body, "X-Console-Fragment") {
		t.Fatalf("console.js: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("policy %q", csp)
	}
}
