package api_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake/api"
	"github.com/intakehq/intake/console"
)

// consoleCSRF finds a console page's CSRF token.
var consoleCSRF = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// consoleSession is a browser signed in to a console on the shared store
// and Temporal.
type consoleSession struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func signInToConsole(t *testing.T, token string) consoleSession {
	t.Helper()
	srv := api.New(e2e.store, e2e.temporal, api.Options{AdminToken: adminToken})
	console.Mount(srv.App(), console.Options{Store: e2e.store, Authenticate: srv.Authenticate, Invoke: srv.Invoke, AdminToken: adminToken,
		TemporalUIURL: "http://ui.example/"})
	base, stop, err := listen(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	jar, _ := cookiejar.New(nil)
	s := consoleSession{t: t, base: base, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, login := s.send("GET", "/console/login", nil)
	m := consoleCSRF.FindStringSubmatch(login)
	if m == nil {
		t.Fatalf("sign-in page %.300s", login)
	}
	if status, body := s.send("POST", "/console/login", url.Values{"csrf": {m[1]}, "token": {token}}); status != 303 {
		t.Fatalf("sign in: %d %.300s", status, body)
	}
	_, home := s.send("GET", "/console", nil)
	if m = consoleCSRF.FindStringSubmatch(home); m == nil {
		t.Fatalf("overview %.300s", home)
	}
	s.csrf = m[1]
	return s
}

func (s consoleSession) send(method, path string, form url.Values) (int, string) {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, s.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// TestConsoleTenantIsolation is TestTenantIsolation for the console: every
// console route, signed in with one project's admin key, with the other
// project's ids in the path and in every form field: no page shows the
// other's data, no form with its id succeeds, and nothing of it changes.
func TestConsoleTenantIsolation(t *testing.T) {
	a, b := newTenant(t, "TENANT-A-c0n5"), newTenant(t, "TENANT-B-c0n5")
	before := b.snapshot(t)
	s := signInToConsole(t, a.adminKey)
	param := regexp.MustCompile(`:(\w+)`)
	app := fiber.New()
	console.Mount(app, console.Options{})
	requests, routes := 0, map[string]bool{}
	for _, rt := range app.GetRoutes(true) {
		if rt.Method == "HEAD" || !strings.HasPrefix(rt.Path, "/console/") || strings.HasPrefix(rt.Path, "/console/static/") ||
			strings.HasPrefix(rt.Path, "/console/log") || routes[rt.Method+rt.Path] {
			continue
		}
		routes[rt.Method+rt.Path] = true
		var paths []string
		if strings.Contains(rt.Path, ":") {
			for _, id := range b.ids {
				paths = append(paths, param.ReplaceAllString(rt.Path, url.PathEscape(id)))
			}
		} else {
			paths = append(paths, rt.Path, rt.Path+"?source="+url.QueryEscape(b.marker)+"&connector_id="+b.generic+"&metric="+b.metricID)
		}
		for _, path := range paths {
			for _, id := range b.ids {
				var form url.Values
				if rt.Method == "POST" {
					form = url.Values{"csrf": {s.csrf}, "confirm": {"yes"}}
					for _, field := range []string{"id", "project_id", "metric", "metric_id", "connector_id", "inbox_id", "item", "item_id",
						"entity_id", "identity_id", "rule_id", "key_id", "source", "scope"} {
						form.Set(field, id)
					}
					form.Set("name", "made by A")
					form.Set("payload", `{"total": 1}`)
				}
				status, body := s.send(rt.Method, path, form)
				requests++
				if strings.Contains(body, b.marker) && !strings.Contains(path+form.Encode(), b.marker) {
					t.Errorf("%s %s with A's session shows B's data: %.300s", rt.Method, path, body)
				}
				if strings.Contains(rt.Path, ":") && status < 400 {
					t.Errorf("%s %s with A's session answered %d for B's id: %.300s", rt.Method, path, status, body)
				}
				if status >= 500 {
					t.Errorf("%s %s: %d %.300s", rt.Method, path, status, body)
				}
				if rt.Method == "GET" {
					break // a GET sends no form: one request per path
				}
			}
		}
	}
	if after := b.snapshot(t); after != before {
		t.Errorf("B's data changed during A's %d console requests:\nbefore %s\nafter  %s", requests, before, after)
	}
	if status, body := s.send("GET", "/console/metrics", nil); status != 200 || !strings.Contains(body, a.marker) {
		t.Fatalf("A's session cannot see its own metrics: %d %.300s", status, body)
	}
	t.Logf("%d requests across %d console routes", requests, len(routes))
}
