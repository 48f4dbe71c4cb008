package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
)

// A metric is renamed and its unit changed from its page; a refused edit
// keeps what was typed; deleting needs the box ticked, and is refused
// while an alert watches the metric.
func TestMetricEditAndDelete(t *testing.T) {
	s := newSite(t, false)
	ctx := context.Background()
	ms, _, err := s.st.ListMetrics(ctx, s.project.ID, store.Page{Limit: 10})
	if err != nil || len(ms) != 1 {
		t.Fatalf("metrics %v %v", ms, err)
	}
	m := ms[0]
	path := "/console/metrics/" + m.ID
	sc := s.signIn(s.adminKey)
	list := s.do("GET", "/console/metrics", nil, sc)
	if !strings.Contains(list.body, `href="`+path+`"`) {
		t.Fatalf("the metrics page does not link the metric: %.500s", list.body)
	}
	page := s.do("GET", path, nil, sc)
	csrf := csrfOf(t, page)
	if page.status != 200 || !strings.Contains(page.body, m.Name) || !strings.Contains(page.body, "$10.00") {
		t.Fatalf("metric page: %d %.500s", page.status, page.body)
	}
	if r := s.do("POST", path, url.Values{"name": {"x"}}, sc); r.status != 403 {
		t.Fatalf("edit without CSRF: %d", r.status)
	}
	bad := s.do("POST", path, url.Values{"csrf": {csrf}, "name": {"Net"}, "unit": {strings.Repeat("u", 30)}}, sc)
	if bad.status != 422 || !strings.Contains(bad.body, "unit") || !strings.Contains(bad.body, `value="Net"`) {
		t.Fatalf("a unit too long: %d %.800s", bad.status, bad.body)
	}
	saved := s.do("POST", path, url.Values{"csrf": {csrf}, "name": {"Net revenue"}, "unit": {"EUR"}}, sc)
	if saved.status != 303 {
		t.Fatalf("save: %d %.300s", saved.status, saved.body)
	}
	if r := s.do("GET", path+"?done=saved", nil, sc); !strings.Contains(r.body, "Net revenue") || !strings.Contains(r.body, "€10.00") {
		t.Fatalf("after the save: %.800s", r.body)
	}

	if r := s.do("POST", path+"/delete", url.Values{"csrf": {csrf}}, sc); r.status != 422 || !strings.Contains(r.body, "Tick the box") {
		t.Fatalf("delete unconfirmed: %d", r.status)
	}
	alert := store.Alert{ID: intake.NewID("al"), ProjectID: s.project.ID, Name: "watch", MetricID: m.ID, Condition: "value < 0",
		Channels: "[]", Enabled: true, State: intake.AlertOK}
	if err := s.st.CreateAlert(ctx, &alert); err != nil {
		t.Fatal(err)
	}
	if r := s.do("POST", path+"/delete", url.Values{"csrf": {csrf}, "confirm": {"yes"}}, sc); r.status != 409 || !strings.Contains(r.body, "alert") {
		t.Fatalf("delete a watched metric: %d %.300s", r.status, r.body)
	}
	if err := s.st.DeleteAlert(ctx, s.project.ID, alert.ID); err != nil {
		t.Fatal(err)
	}
	if r := s.do("POST", path+"/delete", url.Values{"csrf": {csrf}, "confirm": {"yes"}}, sc); r.status != 303 ||
		r.header.Get("Location") != "/console/metrics?done=deleted" {
		t.Fatalf("delete: %d %v", r.status, r.header)
	}
	if r := s.do("GET", path, nil, sc); r.status != 404 {
		t.Fatalf("a deleted metric's page: %d", r.status)
	}
}

// Another project's metric is not found from this project's session.
func TestMetricOfAnotherProjectIsNotFound(t *testing.T) {
	s := newSite(t, false)
	_, theirs := storetest.Project(t, s.st)
	sc := s.signIn(s.adminKey)
	csrf := csrfOf(t, s.do("GET", "/console", nil, sc))
	for _, r := range []page{
		s.do("GET", "/console/metrics/"+theirs.ID, nil, sc),
		s.do("POST", "/console/metrics/"+theirs.ID, url.Values{"csrf": {csrf}, "name": {"mine"}}, sc),
		s.do("POST", "/console/metrics/"+theirs.ID+"/delete", url.Values{"csrf": {csrf}, "confirm": {"yes"}}, sc),
	} {
		if r.status != 404 {
			t.Errorf("another project's metric: %d", r.status)
		}
	}
	if m, err := s.st.GetMetric(context.Background(), theirs.ProjectID, theirs.ID); err != nil || m.Name != theirs.Name {
		t.Fatalf("their metric changed: %+v %v", m, err)
	}
}
