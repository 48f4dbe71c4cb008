package console_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/intakehq/intake/store"
)

var shownKey = regexp.MustCompile(`id="new-key">(ik_[A-Za-z0-9_]+)<`)

// The instance admin creates a project (its admin key shown once), opens a
// project to work in it as its admin, and goes back to the list; a project
// key's session can do neither.
func TestInstanceAdminCreatesAndOpensProjects(t *testing.T) {
	s := newSite(t, false)
	sc := s.signIn(instanceToken)
	home := s.do("GET", "/console", nil, sc)
	csrf := csrfOf(t, home)
	if home.status != 200 || !strings.Contains(home.body, s.project.ID) || !strings.Contains(home.body, `action="/console/projects/open"`) ||
		strings.Contains(home.body, `href="/console/calls"`) {
		t.Fatalf("projects page: %d %.800s", home.status, home.body)
	}

	if r := s.do("POST", "/console/projects", url.Values{"name": {"Beta"}}, sc); r.status != 403 {
		t.Fatalf("create without CSRF: %d", r.status)
	}
	bad := s.do("POST", "/console/projects", url.Values{"csrf": {csrf}, "name": {"Beta"}, "rate_limit": {"lots"}}, sc)
	if bad.status != 422 || !strings.Contains(bad.body, "rate_limit") || !strings.Contains(bad.body, `value="lots"`) || !strings.Contains(bad.body, `value="Beta"`) {
		t.Fatalf("a bad rate limit: %d %.800s", bad.status, bad.body)
	}
	made := s.do("POST", "/console/projects", url.Values{"csrf": {csrf}, "name": {"Beta"}, "rate_limit": {"600"}}, sc)
	m := shownKey.FindStringSubmatch(made.body)
	if made.status != 201 || m == nil || !strings.Contains(made.body, "Beta") {
		t.Fatalf("create: %d %.800s", made.status, made.body)
	}
	if again := s.do("GET", "/console", nil, sc); strings.Contains(again.body, m[1]) {
		t.Fatal("the new project's key is shown again")
	}
	// The key shown is the new project's admin key.
	beta := s.signIn(m[1])
	if r := s.do("GET", "/console/metrics", nil, beta); r.status != 200 || !strings.Contains(r.body, "project Beta") {
		t.Fatalf("signed in with the new key: %d %.300s", r.status, r.body)
	}

	if r := s.do("POST", "/console/projects/open", url.Values{"csrf": {csrf}, "project_id": {"p_nothere"}}, sc); r.status != 404 {
		t.Fatalf("open an unknown project: %d", r.status)
	}
	if r := s.do("POST", "/console/projects/open", url.Values{"csrf": {csrf}, "project_id": {s.project.ID}}, sc); r.status != 303 {
		t.Fatalf("open: %d", r.status)
	}
	in := s.do("GET", "/console", nil, sc)
	if in.status != 200 || !strings.Contains(in.body, "Monthly Revenue") || !strings.Contains(in.body, "instance admin · "+s.project.Name) ||
		!strings.Contains(in.body, "All projects") {
		t.Fatalf("the open project's overview: %d %.800s", in.status, in.body)
	}
	// Forms act as the open project's admin, with the token of a page of
	// that project.
	inCSRF := csrfOf(t, in)
	if r := s.do("POST", "/console/keys", url.Values{"csrf": {csrf}, "name": {"stale"}, "scope": {"ingest"}}, sc); r.status != 403 {
		t.Fatalf("a form from the projects page, posted with a project open: %d", r.status)
	}
	key := s.do("POST", "/console/keys", url.Values{"csrf": {inCSRF}, "name": {"from-instance"}, "scope": {"ingest"}}, sc)
	if key.status != 201 || !strings.Contains(key.body, "from-instance") {
		t.Fatalf("a key made in the open project: %d %.500s", key.status, key.body)
	}
	// A page of this project left open in a tab while another project is
	// opened in the next cannot make a key there.
	projects, _, err := s.st.ListProjects(context.Background(), store.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var other string
	for _, p := range projects {
		if p.ID != s.project.ID {
			other = p.ID
		}
	}
	if r := s.do("POST", "/console/projects/open", url.Values{"csrf": {inCSRF}, "project_id": {other}}, sc); r.status != 303 {
		t.Fatalf("open the other project: %d", r.status)
	}
	if r := s.do("POST", "/console/keys", url.Values{"csrf": {inCSRF}, "name": {"wrong-project"}, "scope": {"admin"}}, sc); r.status != 403 ||
		!strings.Contains(r.body, "another project") {
		t.Fatalf("a form of the first project posted with the second open: %d %.300s", r.status, r.body)
	}
	keys, _, _ := s.st.ListAPIKeys(context.Background(), other, store.Page{Limit: 10})
	for _, k := range keys {
		if k.Name == "wrong-project" {
			t.Fatal("a stale tab made a key in the project opened after it")
		}
	}
	otherCSRF := csrfOf(t, s.do("GET", "/console", nil, sc))
	if r := s.do("POST", "/console/projects/open", url.Values{"csrf": {otherCSRF}, "project_id": {""}}, sc); r.status != 303 {
		t.Fatalf("back to the projects: %d", r.status)
	}
	if r := s.do("GET", "/console/keys", nil, sc); r.status != 303 {
		t.Fatalf("a project page with no project open: %d", r.status)
	}

	// A project's session cannot create projects or open another one.
	pc := s.signIn(s.adminKey)
	pcsrf := csrfOf(t, s.do("GET", "/console", nil, pc))
	if r := s.do("POST", "/console/projects", url.Values{"csrf": {pcsrf}, "name": {"Mine"}}, pc); r.status != 404 {
		t.Fatalf("a project key creating a project: %d", r.status)
	}
	if r := s.do("POST", "/console/projects/open", url.Values{"csrf": {pcsrf}, "project_id": {""}}, pc); r.status != 404 {
		t.Fatalf("a project key leaving its project: %d", r.status)
	}
	if r := s.do("GET", "/console", nil, pc); !strings.Contains(r.body, "Monthly Revenue") {
		t.Fatalf("the project's session after the refused forms: %.300s", r.body)
	}
}
