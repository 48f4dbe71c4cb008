package console_test

import (
	"net/url"
	"strings"
	"testing"
)

// The console's own requests to the API are an admin's in a browser, not
// the signed-in key's API traffic: a rule tested at typing speed, past
// the key's 100 requests a minute, is never refused for the key's rate.
func TestConsoleRequestsAreNotTheKeysTraffic(t *testing.T) {
	s := newSite(t, false)
	id := s.inboxItem(s.project.ID, `{"total": 19.99}`)
	sc := s.signIn(s.adminKey)
	csrf := csrfOf(t, s.do("GET", "/console/inbox/"+id, nil, sc))
	form := url.Values{"csrf": {csrf}, "name": {"Total"}, "metric": {"revenue"}, "value": {"payload.total"}, "op": {"set"}}
	for i := range 120 {
		r := s.doWith("POST", "/console/inbox/"+id+"/test", form, map[string]string{"X-Console-Fragment": "test"}, sc)
		if r.status != 200 || !strings.Contains(r.body, "19.99") {
			t.Fatalf("live test %d: %d %.300s", i+1, r.status, r.body)
		}
	}
}
