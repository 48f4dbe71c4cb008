package console_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/api"
	"github.com/intakehq/intake/console"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
)

const instanceToken = "it_console_test_instance_token_0123"

// site is a console on a real store, behind the real API's
// authentication, with a project, its metric and two keys.
type site struct {
	t                   testing.TB
	st                  *store.Store
	srv                 *api.Server
	project             store.Project
	adminKey, ingestKey string
	adminKeyID          string
}

func newSite(t testing.TB, secure bool) *site {
	t.Helper()
	st := storetest.Open(t)
	p, _ := storetest.Project(t, st)
	s := &site{t: t, st: st, project: p}
	for _, scope := range []intake.Scope{intake.ScopeAdmin, intake.ScopeIngest} {
		secret := intake.NewAPIKey()
		k := store.APIKey{ID: intake.NewID("key"), ProjectID: p.ID, Name: string(scope), Scope: string(scope),
			Hash: intake.HashAPIKey(secret), Prefix: secret[:9]}
		if err := st.CreateAPIKey(context.Background(), &k); err != nil {
			t.Fatal(err)
		}
		if scope == intake.ScopeAdmin {
			s.adminKey, s.adminKeyID = secret, k.ID
		} else {
			s.ingestKey = secret
		}
	}
	// The default key cache: a session checks its key in the store on
	// every page, not through the cache, so a revoked key is seen at once
	// (and a short cache's cleaner would wake every few microseconds, for
	// good, in each of the package's sites).
	s.srv = api.New(st, nil, api.Options{AdminToken: instanceToken})
	console.Mount(s.srv.App(), console.Options{Store: st, Authenticate: s.srv.Authenticate, Invoke: s.srv.Invoke, AdminToken: instanceToken, Secure: secure,
		TemporalUIURL: "http://ui.example/"})
	return s
}

type page struct {
	status  int
	header  http.Header
	body    string
	cookies map[string]*http.Cookie
}

// do sends a request with cookies and returns the answer.
func (s *site) do(method, path string, form url.Values, cookies ...*http.Cookie) page {
	s.t.Helper()
	return s.doWith(method, path, form, nil, cookies...)
}

// doWith is do with request headers.
func (s *site) doWith(method, path string, form url.Values, headers map[string]string, cookies ...*http.Cookie) page {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := s.srv.App().Test(req, -1)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, header: resp.Header, body: string(raw), cookies: map[string]*http.Cookie{}}
	for _, c := range resp.Cookies() {
		p.cookies[c.Name] = c
	}
	return p
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func csrfOf(t testing.TB, p page) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF field in %.300s", p.body)
	}
	return m[1]
}

// signIn signs in with token and returns the session cookie.
func (s *site) signIn(token string) *http.Cookie {
	s.t.Helper()
	login := s.do("GET", "/console/login", nil)
	r := s.do("POST", "/console/login", url.Values{"csrf": {csrfOf(s.t, login)}, "token": {token}}, login.cookies["intake_login"])
	c := r.cookies["intake_session"]
	if r.status != 303 || r.header.Get("Location") != "/console" || c == nil {
		s.t.Fatalf("sign in: %d %v %.300s", r.status, r.header, r.body)
	}
	return c
}

func TestSignInSessionAndSignOut(t *testing.T) {
	s := newSite(t, false)
	if r := s.do("GET", "/console", nil); r.status != 303 || r.header.Get("Location") != "/console/login" {
		t.Fatalf("signed out overview: %d %v", r.status, r.header)
	}
	login := s.do("GET", "/console/login", nil)
	csp := login.header.Get("Content-Security-Policy")
	if login.status != 200 || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("sign-in page: %d, CSP %q", login.status, csp)
	}
	lc := login.cookies["intake_login"]
	if lc == nil || !lc.HttpOnly || lc.SameSite != http.SameSiteStrictMode || lc.Value != csrfOf(t, login) {
		t.Fatalf("sign-in CSRF cookie: %+v", lc)
	}

	for name, tt := range map[string]struct {
		form   url.Values
		cookie *http.Cookie
		status int
		says   string
	}{
		"no CSRF":        {url.Values{"token": {s.adminKey}}, lc, 403, "expired"},
		"another CSRF":   {url.Values{"csrf": {"00ff"}, "token": {s.adminKey}}, lc, 403, "expired"},
		"no CSRF cookie": {url.Values{"csrf": {lc.Value}, "token": {s.adminKey}}, nil, 403, "expired"},
		"a bad key":      {url.Values{"csrf": {lc.Value}, "token": {"ik_nobody"}}, lc, 401, "not a valid key"},
		"an ingest key":  {url.Values{"csrf": {lc.Value}, "token": {s.ingestKey}}, lc, 403, "scope admin"},
	} {
		var cookies []*http.Cookie
		if tt.cookie != nil {
			cookies = append(cookies, tt.cookie)
		}
		r := s.do("POST", "/console/login", tt.form, cookies...)
		if r.status != tt.status || !strings.Contains(r.body, tt.says) || r.cookies["intake_session"] != nil {
			t.Errorf("%s: %d %.200s", name, r.status, r.body)
		}
	}

	sc := s.signIn(s.adminKey)
	if !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != "/console" || sc.Secure || !sc.Expires.After(time.Now().Add(11*time.Hour)) {
		t.Fatalf("session cookie: %+v", sc)
	}
	home := s.do("GET", "/console", nil, sc)
	if home.status != 200 || !strings.Contains(home.body, "Monthly Revenue") || !strings.Contains(home.body, "$10.00") {
		t.Fatalf("overview: %d %.500s", home.status, home.body)
	}
	if strings.Contains(home.body, "<script") || home.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the overview has a script or may be cached: %v", home.header)
	}

	big := url.Values{"csrf": {lc.Value}, "token": {strings.Repeat("x", 70<<10)}}
	if r := s.do("POST", "/console/login", big, lc); r.status != 413 {
		t.Fatalf("a 70 KB sign-in form: %d", r.status)
	}
	if r := s.do("POST", "/console/logout", url.Values{"csrf": {"x"}}); r.status != 303 || r.header.Get("Location") != "/console/login" {
		t.Fatalf("sign out without a session: %d %v", r.status, r.header)
	}
	if r := s.do("POST", "/console/logout", url.Values{}, sc); r.status != 403 {
		t.Fatalf("sign out without the CSRF token: %d", r.status)
	}
	if r := s.do("POST", "/console/logout", url.Values{"csrf": {csrfOf(t, home)}}, sc); r.status != 303 || r.header.Get("Location") != "/console/login" {
		t.Fatalf("sign out: %d %v", r.status, r.header)
	}
	if r := s.do("GET", "/console", nil, sc); r.status != 303 {
		t.Fatalf("the session after sign out: %d", r.status)
	}
}

// A revoked key's session stops working at its next page.
func TestRevokedKeyEndsItsSession(t *testing.T) {
	s := newSite(t, true)
	sc := s.signIn(s.adminKey)
	if !sc.Secure {
		t.Fatalf("an https console's cookie is not Secure: %+v", sc)
	}
	if r := s.do("GET", "/console", nil, sc); r.status != 200 {
		t.Fatalf("overview: %d", r.status)
	}
	if _, err := s.st.RevokeAPIKey(context.Background(), s.project.ID, s.adminKeyID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if r := s.do("GET", "/console", nil, sc); r.status != 303 || r.header.Get("Location") != "/console/login" {
		t.Fatalf("a revoked key's session: %d %.200s", r.status, r.body)
	}
}

// The instance admin token signs in too, and sees the projects.
func TestInstanceAdminSeesProjects(t *testing.T) {
	s := newSite(t, false)
	sc := s.signIn(instanceToken)
	home := s.do("GET", "/console", nil, sc)
	if home.status != 200 || !strings.Contains(home.body, s.project.ID) || !strings.Contains(home.body, "instance admin") {
		t.Fatalf("instance overview: %d %.500s", home.status, home.body)
	}
}

// The calls page lists the project's calls, filtered, each linked to its
// workflow in the Temporal UI; the overview shows the latest.
func TestCallsPage(t *testing.T) {
	s := newSite(t, false)
	ctx := context.Background()
	var calls []intake.Call
	for i, kind := range []string{intake.KindMetric, intake.KindData, intake.KindData} {
		calls = append(calls, intake.Call{IngestID: intake.NewID("ing"), ProjectID: s.project.ID, Kind: kind,
			Source: []string{"shop", "crm", "crm"}[i], ReceivedAt: time.Now()})
	}
	if err := s.st.AcceptCalls(ctx, "ingest/"+s.project.ID+"/api/grp_1", calls); err != nil {
		t.Fatal(err)
	}
	if err := s.st.RecordAttempt(ctx, calls[2:], 3, errors.New("database is down")); err != nil {
		t.Fatal(err)
	}
	sc := s.signIn(s.adminKey)
	all := s.do("GET", "/console/calls", nil, sc)
	for _, c := range calls {
		if !strings.Contains(all.body, c.IngestID) {
			t.Fatalf("the calls page lacks %s: %.500s", c.IngestID, all.body)
		}
	}
	link := `href="http://ui.example/namespaces/default/workflows/ingest%2F` + s.project.ID + `%2Fapi%2Fgrp_1"`
	if all.status != 200 || !strings.Contains(all.body, link) || !strings.Contains(all.body, "database is down") {
		t.Fatalf("calls page: %d %.800s", all.status, all.body)
	}
	crm := s.do("GET", "/console/calls?source=crm&kind=data", nil, sc)
	if strings.Contains(crm.body, calls[0].IngestID) || !strings.Contains(crm.body, calls[1].IngestID) {
		t.Fatalf("filtered by source and kind: %.500s", crm.body)
	}
	if bad := s.do("GET", "/console/calls?status=gone", nil, sc); bad.status != 200 || !strings.Contains(bad.body, "Status is one of") {
		t.Fatalf("a bad status filter: %d", bad.status)
	}
	if home := s.do("GET", "/console", nil, sc); !strings.Contains(home.body, "Latest calls") || !strings.Contains(home.body, calls[2].IngestID) {
		t.Fatalf("overview without the latest calls: %.500s", home.body)
	}
	if r := s.do("GET", "/console/calls", nil); r.status != 303 {
		t.Fatalf("signed out: %d", r.status)
	}
}

// inboxItem puts a payload in the project's inbox as a data call that
// matched no rule.
func (s *site) inboxItem(projectID, payload string) string {
	s.t.Helper()
	c := intake.Call{IngestID: intake.NewID("ing"), ProjectID: projectID, Kind: intake.KindData, Source: "crm",
		WorkflowID: "wf", ReceivedAt: time.Now()}
	var id string
	_, err := s.st.ApplyCalls(context.Background(), []intake.Call{c}, 1, func(tx *store.Tx, c intake.Call) (any, error) {
		res, err := tx.ApplyData(c, store.DataUpdate{Source: "crm", Raw: payload, InboxReason: "no rule of source \"crm\" matches this payload"})
		id = res.InboxID
		return res, err
	})
	if err != nil || id == "" {
		s.t.Fatalf("inbox item: %v", err)
	}
	return id
}

// The inbox lists open items; an item's page shows its payload, escaped
// and indented; dismissing (with the CSRF token) takes it off the list.
func TestInboxPages(t *testing.T) {
	s := newSite(t, false)
	id := s.inboxItem(s.project.ID, `{"customer":{"email":"ann@example.com"},"note":"<script>alert(1)</script>"}`)
	sc := s.signIn(s.adminKey)
	list := s.do("GET", "/console/inbox", nil, sc)
	if list.status != 200 || !strings.Contains(list.body, "/console/inbox/"+id) || !strings.Contains(list.body, "matches this payload") {
		t.Fatalf("inbox: %d %.500s", list.status, list.body)
	}
	item := s.do("GET", "/console/inbox/"+id, nil, sc)
	if item.status != 200 || !strings.Contains(item.body, "ann@example.com") || strings.Contains(item.body, "<script>") ||
		!strings.Contains(item.body, "&lt;script&gt;") || !strings.Contains(item.body, "\n  &#34;customer&#34;") {
		t.Fatalf("item page: %d %.800s", item.status, item.body)
	}
	if r := s.do("GET", "/console/inbox/inb_missing", nil, sc); r.status != 404 {
		t.Fatalf("a missing item: %d", r.status)
	}
	if r := s.do("POST", "/console/inbox/"+id+"/dismiss", url.Values{}, sc); r.status != 403 {
		t.Fatalf("dismiss without the CSRF token: %d", r.status)
	}
	if r := s.do("POST", "/console/inbox/"+id+"/dismiss", url.Values{"csrf": {csrfOf(t, item)}}, sc); r.status != 303 {
		t.Fatalf("dismiss: %d %.300s", r.status, r.body)
	}
	if list := s.do("GET", "/console/inbox", nil, sc); strings.Contains(list.body, id) {
		t.Fatalf("a dismissed item is still listed: %.500s", list.body)
	}
	other, _ := storetest.Project(t, s.st)
	theirs := s.inboxItem(other.ID, `{"x":1}`)
	if r := s.do("GET", "/console/inbox/"+theirs, nil, sc); r.status != 404 {
		t.Fatalf("another project's item: %d", r.status)
	}
	if r := s.do("POST", "/console/inbox/"+theirs+"/dismiss", url.Values{"csrf": {csrfOf(t, item)}}, sc); r.status != 404 {
		t.Fatalf("dismissing another project's item: %d", r.status)
	}
	if it, err := s.st.GetInboxItem(context.Background(), other.ID, theirs); err != nil || it.Status != store.InboxOpen {
		t.Fatalf("another project's item after a dismiss from this one: %v %v", it.Status, err)
	}
}
