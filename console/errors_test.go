package console_test

import (
	"net/url"
	"strings"
	"testing"
)

// A refused console request is a page for a person, with the API's status
// and message and the console's headers, not the API's JSON.
func TestErrorsArePages(t *testing.T) {
	s := newSite(t, false)
	sc := s.signIn(s.adminKey)
	r := s.do("POST", "/console/keys", url.Values{"csrf": {"nope"}, "name": {"x"}}, sc)
	if r.status != 403 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(r.body, `id="page-error"`) ||
		!strings.Contains(r.body, "CSRF token missing or wrong") || !strings.Contains(r.body, `action="/console/logout"`) ||
		r.header.Get("Content-Security-Policy") == "" {
		t.Fatalf("a refused form: %d %v %.1000s", r.status, r.header, r.body)
	}
	big := s.do("POST", "/console/login", url.Values{"token": {strings.Repeat("x", 70<<10)}})
	if big.status != 413 || !strings.Contains(big.body, `id="page-error"`) || strings.Contains(big.body, `action="/console/logout"`) {
		t.Fatalf("a sign-in form too large: %d %.1000s", big.status, big.body)
	}
}
