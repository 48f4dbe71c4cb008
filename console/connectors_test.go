package console_test

import (
	"context"
	"html"
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

var (
	newSecret  = regexp.MustCompile(`<pre class="secret" id="new-secret">([^<]+)</pre>`)
	webhookURL = regexp.MustCompile(`<input id="webhook-url" readonly size="90" value="([^"]+)">`)
	connLink   = regexp.MustCompile(`<a href="/console/connectors/(c_[0-9a-z]+)">`)
)

// create posts the new-connector form and returns the answer and the
// connector's id.
func (s *site) create(sc *http.Cookie, csrf string, form url.Values) (page, string) {
	s.t.Helper()
	form.Set("csrf", csrf)
	r := s.do("POST", "/console/connectors", form, sc)
	id := ""
	if m := connLink.FindStringSubmatch(r.body); m != nil {
		id = m[1]
	}
	return r, id
}

func (s *site) connectorOf(id string) store.Connector {
	s.t.Helper()
	c, err := s.st.GetConnector(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

func TestConnectorsPageCreatesAndShowsTheKeyOnce(t *testing.T) {
	s := newSite(t, false)
	sc := s.signIn(s.adminKey)
	list := s.do("GET", "/console/connectors", nil, sc)
	if list.status != 200 || !strings.Contains(list.body, "No connectors yet.") || !strings.Contains(list.body, `<option value="salesdash">`) ||
		!strings.Contains(list.body, `<option value="stripe" selected>`) || strings.Contains(list.body, "<script") || strings.Contains(list.body, "style=") {
		t.Fatalf("list: %d %.2000s", list.status, list.body)
	}
	csrf := csrfOf(t, list)

	created, id := s.create(sc, csrf, url.Values{"type": {"salesdash"}, "name": {"Sales floor"}, "timezone": {"Europe/London"}})
	m := newSecret.FindStringSubmatch(created.body)
	u := webhookURL.FindStringSubmatch(created.body)
	if created.status != 201 || m == nil || u == nil || id == "" || !strings.Contains(created.body, "Bearer key") {
		t.Fatalf("create: %d %.3000s", created.status, created.body)
	}
	key := m[1]
	if want := "http://example.com/api/connectors/" + id + "/activities"; u[1] != want {
		t.Errorf("the URL to copy is %q, want %q", u[1], want)
	}
	if !strings.Contains(created.body, `value="http://example.com/api/connectors/`+id+`/sales"`) {
		t.Errorf("no sales URL to copy: %.3000s", created.body)
	}
	k, err := s.st.APIKeyByHash(context.Background(), intake.HashAPIKey(key))
	if err != nil || k.ConnectorID != id || k.ProjectID != s.project.ID {
		t.Fatalf("the key shown is not the connector's: %+v %v", k, err)
	}
	if c := s.connectorOf(id); c.Type != "salesdash" || c.Name != "Sales floor" || c.SettingsMap()["timezone"] != "Europe/London" {
		t.Fatalf("stored: %+v", c)
	}

	// Shown once: the list and the connector's page never show it again.
	again := s.do("GET", "/console/connectors", nil, sc)
	if strings.Contains(again.body, key) || !strings.Contains(again.body, "Sales floor") ||
		!strings.Contains(again.body, "<code>http://example.com/api/connectors/"+id+"/activities</code>") {
		t.Fatalf("the list after creating: %.3000s", again.body)
	}
	if detail := s.do("GET", "/console/connectors/"+id, nil, sc); detail.status != 200 || strings.Contains(detail.body, key) ||
		!strings.Contains(detail.body, "Europe/London") || !strings.Contains(detail.body, "Rotate the Bearer key") {
		t.Fatalf("the connector's page: %d %.3000s", detail.status, detail.body)
	}

	// A signed provider's pasted secret is kept, and not shown back.
	stripe, sid := s.create(sc, csrf, url.Values{"type": {"stripe"}, "name": {"Stripe live"}, "secret": {"whsec_pasted_0123456789"}})
	if stripe.status != 201 || sid == "" || strings.Contains(stripe.body, "whsec_pasted") || newSecret.MatchString(stripe.body) {
		t.Fatalf("create stripe: %d %.3000s", stripe.status, stripe.body)
	}
	if c := s.connectorOf(sid); c.Secret != "whsec_pasted_0123456789" || c.KeyID != "" {
		t.Fatalf("stripe stored: %+v", c)
	}

	// A generic connector's generated secret is shown once and is the one kept.
	gen, gid := s.create(sc, csrf, url.Values{"type": {"generic"}, "name": {"Zapier"}, "generate": {"on"}, "signature_scheme": {"standard"}})
	g := newSecret.FindStringSubmatch(gen.body)
	if gen.status != 201 || g == nil || !strings.HasPrefix(g[1], "whsec_") || !strings.Contains(gen.body, "signing secret") {
		t.Fatalf("create generic: %d %.3000s", gen.status, gen.body)
	}
	// The page escapes base64's + as HTML does; a browser shows and copies it as +.
	if c := s.connectorOf(gid); c.Secret != html.UnescapeString(g[1]) || c.KeyID != "" || c.SettingsMap()["signature_scheme"] != "standard" {
		t.Fatalf("generic stored: %+v", c)
	}
	if u := webhookURL.FindStringSubmatch(gen.body); u == nil || u[1] != "http://example.com/api/webhook/generic?connector_id="+gid {
		t.Fatalf("generic URL: %v", u)
	}
}

func TestConnectorFormRefusals(t *testing.T) {
	s := newSite(t, false)
	sc := s.signIn(s.adminKey)
	csrf := csrfOf(t, s.do("GET", "/console/connectors", nil, sc))
	tests := []struct {
		name  string
		give  url.Values
		field string // the form field marked
		says  string
		kept  string
	}{
		{"an unknown time zone", url.Values{"type": {"salesdash"}, "name": {"Floor"}, "timezone": {"Mars/Olympus"}}, "timezone",
			"settings.timezone", `value="Mars/Olympus"`},
		{"an unknown type", url.Values{"type": {"zendesk"}, "name": {"Desk"}}, "type", "type must be one of", `value="Desk"`},
		{"no name", url.Values{"type": {"generic"}, "name": {"  "}}, "name", "name", `<option value="generic" selected>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := s.create(sc, csrf, tt.give)
			marked := regexp.MustCompile(`name="` + tt.field + `"[^>]*aria-invalid="true"`)
			if r.status != 422 || !strings.Contains(r.body, `class="error"`) || !strings.Contains(r.body, tt.says) ||
				!marked.MatchString(r.body) || !strings.Contains(r.body, tt.kept) {
				t.Fatalf("%d %.4000s", r.status, r.body)
			}
		})
	}
	// The secret typed is not written back into the page.
	r, _ := s.create(sc, csrf, url.Values{"type": {"stripe"}, "name": {"S"}, "secret": {"whsec_typed_secret"}, "timezone": {"Nowhere/Else"}})
	if r.status != 422 || strings.Contains(r.body, "whsec_typed_secret") {
		t.Fatalf("a refused form with a secret: %d %.2000s", r.status, r.body)
	}
	// Without the session's CSRF token nothing is made.
	if r := s.do("POST", "/console/connectors", url.Values{"type": {"salesdash"}, "name": {"x"}}, sc); r.status != 403 {
		t.Fatalf("without the CSRF token: %d", r.status)
	}
	if r := s.do("POST", "/console/connectors", url.Values{"csrf": {"00ff"}, "type": {"salesdash"}, "name": {"x"}}, sc); r.status != 403 {
		t.Fatalf("with another CSRF token: %d", r.status)
	}
	if rows, _, _ := s.st.ListConnectors(context.Background(), s.project.ID, store.Page{}); len(rows) != 0 {
		t.Fatalf("refused forms made connectors: %+v", rows)
	}
}

func TestConnectorPageDeliveriesFailuresAndChanges(t *testing.T) {
	s := newSite(t, false)
	sc := s.signIn(s.adminKey)
	ctx := context.Background()
	csrf := csrfOf(t, s.do("GET", "/console/connectors", nil, sc))
	_, id := s.create(sc, csrf, url.Values{"type": {"stripe"}, "name": {"Stripe"}, "secret": {"whsec_first_0123456789"}})
	if id == "" {
		t.Fatal("not created")
	}
	calls := []intake.Call{
		{IngestID: "evt_conn_1", ProjectID: s.project.ID, ConnectorID: id, Kind: intake.KindWebhook, Source: "stripe", ReceivedAt: time.Now()},
		{IngestID: "evt_other", ProjectID: s.project.ID, Kind: intake.KindMetric, Source: "api", ReceivedAt: time.Now()},
	}
	if err := s.st.AcceptCalls(ctx, "ingest/wf-conn-1", calls); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Add(-time.Minute)
	if err := s.st.AddSignatureFailures(ctx, []store.SignatureFailure{{ConnectorID: id, ProjectID: s.project.ID, Hour: at, LastAt: at, Count: 3,
		LastReason: "the stripe signature does not verify: no Stripe-Signature v1 signature matches"}}); err != nil {
		t.Fatal(err)
	}

	detail := s.do("GET", "/console/connectors/"+id, nil, sc)
	for _, want := range []string{"evt_conn_1", `href="http://ui.example/namespaces/default/workflows/ingest%2Fwf-conn-1"`,
		`<span class="status-failed">3</span> deliveries refused`, "no Stripe-Signature v1 signature matches", "Rotate the signing secret",
		`value="http://example.com/api/webhook/stripe?connector_id=` + id + `"`} {
		if !strings.Contains(detail.body, want) {
			t.Errorf("the connector's page lacks %q", want)
		}
	}
	if detail.status != 200 || strings.Contains(detail.body, "evt_other") || strings.Contains(detail.body, "Rotate the Bearer key") {
		t.Fatalf("the connector's page: %d %.4000s", detail.status, detail.body)
	}
	list := s.do("GET", "/console/connectors", nil, sc)
	if !strings.Contains(list.body, `<td class="value">1</td>`) || !strings.Contains(list.body, `<span class="status-failed">3</span>`) {
		t.Errorf("the list's deliveries and failures: %.3000s", list.body)
	}

	// Rotate: the new secret verifies, the old one for the overlap.
	rot := s.do("POST", "/console/connectors/"+id+"/rotate", url.Values{"csrf": {csrf}, "secret": {"whsec_second_0123456789"}, "overlap": {"1h"}}, sc)
	if rot.status != 200 || !strings.Contains(rot.body, "Secret rotated") || !strings.Contains(rot.body, "previous secret also verifies until") ||
		strings.Contains(rot.body, "whsec_second") {
		t.Fatalf("rotate: %d %.3000s", rot.status, rot.body)
	}
	if c := s.connectorOf(id); c.Secret != "whsec_second_0123456789" || c.PreviousSecret != "whsec_first_0123456789" || c.PreviousUntil == nil {
		t.Fatalf("after rotating: %+v", c)
	}
	bad := s.do("POST", "/console/connectors/"+id+"/rotate", url.Values{"csrf": {csrf}, "secret": {"whsec_third"}, "overlap": {"forever"}}, sc)
	if bad.status != 422 || !strings.Contains(bad.body, "overlap must be") || !regexp.MustCompile(`name="overlap"[^>]*aria-invalid="true"`).MatchString(bad.body) {
		t.Fatalf("a bad overlap: %d %.3000s", bad.status, bad.body)
	}
	if r := s.do("POST", "/console/connectors/"+id+"/rotate", url.Values{"secret": {"whsec_csrf"}}, sc); r.status != 403 {
		t.Fatalf("rotate without the CSRF token: %d", r.status)
	}

	// Disable, then enable again.
	off := s.do("POST", "/console/connectors/"+id+"/enabled", url.Values{"csrf": {csrf}, "enabled": {"false"}}, sc)
	if off.status != 303 || off.header.Get("Location") != "/console/connectors/"+id+"?done=disabled" || s.connectorOf(id).Enabled {
		t.Fatalf("disable: %d %v", off.status, off.header)
	}
	if p := s.do("GET", off.header.Get("Location"), nil, sc); !strings.Contains(p.body, "Connector disabled") || !strings.Contains(p.body, ">Enable</button>") {
		t.Fatalf("after disabling: %.3000s", p.body)
	}
	on := s.do("POST", "/console/connectors/"+id+"/enabled", url.Values{"csrf": {csrf}, "enabled": {"true"}}, sc)
	if on.status != 303 || !s.connectorOf(id).Enabled {
		t.Fatalf("enable: %d", on.status)
	}
}

func TestConnectorKeyRotationShowsTheNewKeyOnce(t *testing.T) {
	s := newSite(t, false)
	sc := s.signIn(s.adminKey)
	csrf := csrfOf(t, s.do("GET", "/console/connectors", nil, sc))
	created, id := s.create(sc, csrf, url.Values{"type": {"generic"}, "name": {"Pushes"}})
	first := newSecret.FindStringSubmatch(created.body)
	if created.status != 201 || first == nil || !strings.HasPrefix(first[1], "ik_") {
		t.Fatalf("create: %d %.2000s", created.status, created.body)
	}
	rot := s.do("POST", "/console/connectors/"+id+"/rotate-key", url.Values{"csrf": {csrf}}, sc)
	m := newSecret.FindStringSubmatch(rot.body)
	if rot.status != 200 || m == nil || m[1] == first[1] || !strings.Contains(rot.body, "Key rotated") {
		t.Fatalf("rotate key: %d %.3000s", rot.status, rot.body)
	}
	ctx := context.Background()
	if k, err := s.st.APIKeyByHash(ctx, intake.HashAPIKey(m[1])); err != nil || k.ConnectorID != id || k.RevokedAt != nil {
		t.Fatalf("the new key: %+v %v", k, err)
	}
	if k, _ := s.st.APIKeyByHash(ctx, intake.HashAPIKey(first[1])); k.RevokedAt == nil {
		t.Fatal("the old key still works without an overlap")
	}
	if again := s.do("GET", "/console/connectors/"+id, nil, sc); strings.Contains(again.body, m[1]) {
		t.Fatal("the new key is shown again")
	}
}

func TestAnotherProjectsConnectorIsNotFound(t *testing.T) {
	s := newSite(t, false)
	sc := s.signIn(s.adminKey)
	ctx := context.Background()
	other, _ := storetest.Project(t, s.st)
	theirs := store.Connector{ID: intake.NewID("c"), ProjectID: other.ID, Type: "stripe", Name: "Theirs", Secret: "whsec_theirs", Settings: "{}", Enabled: true}
	if err := s.st.CreateConnector(ctx, &theirs, nil); err != nil {
		t.Fatal(err)
	}
	csrf := csrfOf(t, s.do("GET", "/console/connectors", nil, sc))
	if r := s.do("GET", "/console/connectors/"+theirs.ID, nil, sc); r.status != 404 || strings.Contains(r.body, "Theirs") {
		t.Fatalf("another project's connector: %d %.500s", r.status, r.body)
	}
	for _, path := range []string{"/enabled", "/rotate", "/rotate-key"} {
		r := s.do("POST", "/console/connectors/"+theirs.ID+path, url.Values{"csrf": {csrf}, "enabled": {"false"}, "secret": {"whsec_mine"}}, sc)
		if r.status != 404 {
			t.Errorf("POST %s on another project's connector: %d %.300s", path, r.status, r.body)
		}
	}
	if c := s.connectorOf(theirs.ID); !c.Enabled || c.Secret != "whsec_theirs" {
		t.Fatalf("another project's connector changed: %+v", c)
	}
	if r := s.do("GET", "/console/connectors/c_nothing", nil, sc); r.status != 404 {
		t.Fatalf("an unknown connector: %d", r.status)
	}
}

// A Stripe connector is made before its secret (Stripe shows it only once
// it has the URL): its page says every delivery is refused and offers to
// set the secret, which then verifies.
func TestConnectorSecretSetAfterItsURL(t *testing.T) {
	s := newSite(t, false)
	sc := s.signIn(s.adminKey)
	csrf := csrfOf(t, s.do("GET", "/console/connectors", nil, sc))
	if r, _ := s.create(sc, csrf, url.Values{"type": {"stripe"}, "name": {"Billing"}, "generate": {"on"}}); r.status != 422 ||
		!strings.Contains(r.body, "only a generic connector") {
		t.Fatalf("a secret generated for Stripe, which signs with its own: %d %.1000s", r.status, r.body)
	}
	created, id := s.create(sc, csrf, url.Values{"type": {"stripe"}, "name": {"Billing"}})
	if created.status != 201 || id == "" || !strings.Contains(created.body, "/api/webhook/stripe?connector_id="+id) {
		t.Fatalf("a Stripe connector without its secret: %d %.2000s", created.status, created.body)
	}
	page := s.do("GET", "/console/connectors/"+id, nil, sc)
	if !strings.Contains(page.body, "every delivery is refused until its signing secret is set") || !strings.Contains(page.body, "Set the signing secret") {
		t.Fatalf("the connector's page: %.3000s", page.body)
	}
	set := s.do("POST", "/console/connectors/"+id+"/rotate", url.Values{"csrf": {csrf}, "secret": {"whsec_set_later"}}, sc)
	if set.status >= 400 {
		t.Fatalf("setting the secret: %d %.1000s", set.status, set.body)
	}
	if c := s.connectorOf(id); c.Secret != "whsec_set_later" {
		t.Fatalf("the secret stored is %q", c.Secret)
	}
	if page := s.do("GET", "/console/connectors/"+id, nil, sc); !strings.Contains(page.body, "Rotate the signing secret") ||
		strings.Contains(page.body, "previous secret") {
		t.Fatalf("after the secret is set: %.3000s", page.body)
	}
}
