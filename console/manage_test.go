package console_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
)

func TestMetricsPageCreatesMetrics(t *testing.T) {
	s := newSite(t, false)
	sc := s.signIn(s.adminKey)
	page := s.do("GET", "/console/metrics", nil, sc)
	csrf := csrfOf(t, page)
	r := s.do("POST", "/console/metrics", url.Values{"csrf": {csrf}, "key": {"mrr"}, "name": {"MRR"}, "unit": {"EUR"}}, sc)
	if r.status != 303 || r.header.Get("Location") != "/console/metrics?done=created" {
		t.Fatalf("create: %d %.300s", r.status, r.body)
	}
	list := s.do("GET", "/console/metrics?done=created", nil, sc)
	if !strings.Contains(list.body, "<code>mrr</code>") || !strings.Contains(list.body, "€0.00") || !strings.Contains(list.body, "Metric created.") {
		t.Fatalf("the new metric is not listed: %.1500s", list.body)
	}
	// The API's validation, shown in the page with what was typed.
	bad := s.do("POST", "/console/metrics", url.Values{"csrf": {csrf}, "key": {"Bad Key"}, "name": {"Bad"}}, sc)
	if bad.status != 422 || !strings.Contains(bad.body, "key must be snake_case") || !strings.Contains(bad.body, `value="Bad Key"`) {
		t.Fatalf("an invalid key: %d %.1500s", bad.status, bad.body)
	}
	dup := s.do("POST", "/console/metrics", url.Values{"csrf": {csrf}, "key": {"mrr"}, "name": {"Again"}}, sc)
	if dup.status != 422 || !strings.Contains(dup.body, `class="error"`) {
		t.Fatalf("a duplicate key: %d %.800s", dup.status, dup.body)
	}
	if r := s.do("POST", "/console/metrics", url.Values{"key": {"x"}, "name": {"X"}}, sc); r.status != 403 {
		t.Fatalf("without the CSRF token: %d", r.status)
	}
	if ms, _, _ := s.st.ListMetrics(context.Background(), s.project.ID, store.Page{}); len(ms) != 2 { // the site's own and mrr
		t.Fatalf("metrics after the refused forms: %d", len(ms))
	}
}

var newKey = regexp.MustCompile(`<pre class="secret" id="new-key">(ik_[A-Za-z0-9_]+)</pre>`)

func TestKeysPageCreatesShowsOnceAndRevokes(t *testing.T) {
	s := newSite(t, false)
	sc := s.signIn(s.adminKey)
	page := s.do("GET", "/console/keys", nil, sc)
	csrf := csrfOf(t, page)
	created := s.do("POST", "/console/keys", url.Values{"csrf": {csrf}, "name": {"zapier"}, "scope": {"ingest"}}, sc)
	m := newKey.FindStringSubmatch(created.body)
	if created.status != 201 || m == nil {
		t.Fatalf("create: %d %.1500s", created.status, created.body)
	}
	secret := m[1]
	k, err := s.st.APIKeyByHash(context.Background(), intake.HashAPIKey(secret))
	if err != nil || k.Scope != "ingest" || k.ProjectID != s.project.ID {
		t.Fatalf("the key shown is not the key stored: %+v %v", k, err)
	}
	list := s.do("GET", "/console/keys", nil, sc)
	if strings.Contains(list.body, secret) || !strings.Contains(list.body, k.Prefix+"…") {
		t.Fatalf("the list shows the secret, or not the key: %.1500s", list.body)
	}
	if bad := s.do("POST", "/console/keys", url.Values{"csrf": {csrf}, "name": {"x"}, "scope": {"root"}}, sc); bad.status != 422 || !strings.Contains(bad.body, "scope must be") {
		t.Fatalf("a bad scope: %d %.800s", bad.status, bad.body)
	}
	if r := s.do("POST", "/console/keys/"+k.ID+"/revoke", url.Values{}, sc); r.status != 403 {
		t.Fatalf("revoke without the CSRF token: %d", r.status)
	}
	other, _ := storetest.Project(t, s.st)
	theirs := store.APIKey{ID: intake.NewID("key"), ProjectID: other.ID, Name: "theirs", Scope: "admin", Hash: intake.HashAPIKey(intake.NewAPIKey()), Prefix: "ik_theirs"}
	if err := s.st.CreateAPIKey(context.Background(), &theirs); err != nil {
		t.Fatal(err)
	}
	if r := s.do("POST", "/console/keys/"+theirs.ID+"/revoke", url.Values{"csrf": {csrf}}, sc); r.status != 404 {
		t.Fatalf("revoking another project's key: %d", r.status)
	}
	if r := s.do("POST", "/console/keys/"+k.ID+"/revoke", url.Values{"csrf": {csrf}}, sc); r.status != 303 {
		t.Fatalf("revoke: %d %.500s", r.status, r.body)
	}
	if k, _ := s.st.APIKeyByHash(context.Background(), intake.HashAPIKey(secret)); k.RevokedAt == nil {
		t.Fatal("the key is not revoked")
	}
	if after := s.do("GET", "/console/keys?done=revoked", nil, sc); !strings.Contains(after.body, "revoked") {
		t.Fatalf("the list after revoking: %.800s", after.body)
	}
	if t2, _ := s.st.APIKeyByHash(context.Background(), theirs.Hash); t2.RevokedAt != nil {
		t.Fatal("another project's key was revoked")
	}
}
