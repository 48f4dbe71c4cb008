// Package console is intake's web console for admins, served at /console
// by the API process: sign-in with a project admin key or the instance
// admin token, then pages over the project. Pages are rendered on the
// server and work without JavaScript.
package console

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/api"
	"github.com/intakehq/intake/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/console.css
var css []byte

//go:embed static/console.js
var js []byte

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// Store is what the console reads and keeps.
type Store interface {
	CreateSession(ctx context.Context, s *store.ConsoleSession) error
	Session(ctx context.Context, id string, now time.Time) (store.ConsoleSession, error)
	DeleteSession(ctx context.Context, id string) error
	APIKeyByHash(ctx context.Context, hash string) (store.APIKey, error)
	ListMetrics(ctx context.Context, projectID string, p store.Page) ([]store.Metric, string, error)
	ListProjects(ctx context.Context, p store.Page) ([]store.Project, string, error)
	GetProject(ctx context.Context, id string) (store.Project, error)
	GetMetric(ctx context.Context, projectID, id string) (store.Metric, error)
	SetSessionProject(ctx context.Context, id, projectID string) error
	ListCalls(ctx context.Context, projectID string, f store.CallFilter, p store.Page) ([]store.Call, string, error)
	ListInbox(ctx context.Context, projectID string, f store.InboxFilter, p store.Page) ([]store.InboxItem, string, error)
	GetInboxItem(ctx context.Context, projectID, id string) (store.InboxItem, error)
	DismissInboxItem(ctx context.Context, projectID, id string) (store.InboxItem, error)
	ListAPIKeys(ctx context.Context, projectID string, p store.Page) ([]store.APIKey, string, error)
	ListPoints(ctx context.Context, projectID, metricID string, r store.PointRange, p store.Page) ([]store.MetricPoint, string, error)
	alertStore
	ruleStore
	salesStore
}

// Options configure the console.
type Options struct {
	Store Store
	// Authenticate checks a pasted key or token as the API checks a
	// Bearer one (api.Server.Authenticate): failed attempts are throttled
	// per client there.
	Authenticate func(ctx context.Context, token, client string) (intake.Principal, error)
	// AdminToken is the instance admin token, against which an instance
	// session is checked on every request.
	AdminToken string
	// Secure marks the cookies Secure: the public URL is https.
	Secure bool
	// TemporalUIURL is the Temporal UI that calls link to, in Namespace;
	// no links when empty.
	TemporalUIURL, Namespace string
	// Invoke runs an API request in-process as an authenticated principal
	// (api.Server.Invoke): forms that change things go through the API's
	// own routes, so they validate and behave exactly as the API does.
	Invoke func(ctx context.Context, p intake.Principal, method, uri string, body []byte) (int, []byte)
	// SessionTTL is how long a session lasts; 12 hours when 0.
	SessionTTL time.Duration
	Logger     *slog.Logger
	Now        func() time.Time
}

// Cookie names. The session cookie holds a secret whose hash is the
// session's id; the sign-in cookie carries the sign-in form's CSRF token.
const (
	sessionCookie = "intake_session"
	loginCookie   = "intake_login"
	sessionKey    = "console.session"
)

type console struct{ o Options }

// Mount adds the console's routes to app.
func Mount(app *fiber.App, o Options) {
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	k := &console{o: o}
	g := app.Group("/console", securityHeaders, k.errorPages)
	g.Get("/static/console.css", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		return c.Send(css)
	})
	g.Get("/static/console.js", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
		return c.Send(js)
	})
	g.Get("/login", k.loginPage)
	g.Post("/login", readForm, k.login)
	g.Post("/logout", k.require, readForm, k.checkCSRF, k.logout)
	g.Get("/", k.require, k.overview)
	g.Get("/calls", k.require, k.project, k.calls)
	g.Get("/calls/:id", k.require, k.project, k.call)
	g.Get("/inbox", k.require, k.project, k.inbox)
	g.Get("/inbox/:id", k.require, k.project, k.item)
	g.Post("/inbox/:id/dismiss", k.require, k.project, readForm, k.checkCSRF, k.dismiss)
	g.Post("/inbox/:id/test", k.require, k.project, readForm, k.checkCSRF, k.testAssign)
	g.Post("/inbox/:id/assign", k.require, k.project, readForm, k.checkCSRF, k.assign)
	g.Post("/inbox/:id/replay", k.require, k.project, readForm, k.checkCSRF, k.replay)
	g.Get("/metrics", k.require, k.project, k.metrics)
	g.Post("/metrics", k.require, k.project, readForm, k.checkCSRF, k.createMetric)
	g.Get("/metrics/:id", k.require, k.project, k.metric)
	g.Post("/metrics/:id", k.require, k.project, readForm, k.checkCSRF, k.updateMetric)
	g.Post("/metrics/:id/delete", k.require, k.project, readForm, k.checkCSRF, k.deleteMetric)
	g.Get("/keys", k.require, k.project, k.keys)
	g.Post("/keys", k.require, k.project, readForm, k.checkCSRF, k.createKey)
	g.Post("/keys/:id/revoke", k.require, k.project, readForm, k.checkCSRF, k.revokeKey)
	g.Get("/alerts", k.require, k.project, k.alerts)
	g.Get("/alerts/:id", k.require, k.project, k.alert)
	k.mountProjects(g)
	k.mountRules(g)
	k.mountConnectors(g)
	k.mountSales(g)
}

// securityHeaders: no script at all, nothing from elsewhere, no framing,
// and nothing cached.
func securityHeaders(c *fiber.Ctx) error {
	// Scripts only from /console/static: the live rule test. Every page
	// works without it.
	c.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// maxForm bounds a console form.
const maxForm = 64 << 10

// readForm reads a form's body, at most maxForm bytes as declared by its
// Content-Length, before anything parses it. It runs after the session
// check, so that only the sign-in form is read from a stranger, and that
// one is small.
func readForm(c *fiber.Ctx) error {
	if n := c.Request().Header.ContentLength(); n > maxForm || n == -1 {
		return intake.Errorf(intake.ErrPayloadTooLarge, "a console form is at most %d KB, sent with its Content-Length", maxForm>>10)
	}
	if err := api.ReadBody(c); err != nil {
		return err
	}
	if len(c.Body()) > maxForm {
		return intake.Errorf(intake.ErrPayloadTooLarge, "a console form is at most %d KB", maxForm>>10)
	}
	return c.Next()
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}

func sessionID(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func (k *console) cookie(name, value, path string, expires time.Time) *fiber.Cookie {
	return &fiber.Cookie{Name: name, Value: value, Path: path, Expires: expires, HTTPOnly: true,
		Secure: k.o.Secure, SameSite: fiber.CookieSameSiteStrictMode}
}

// view is what every page template gets.
type view struct {
	Title   string
	Session bool
	Who     string
	// Instance: the instance admin is signed in; InProject: a project is
	// open (always, for a project key's session).
	Instance, InProject bool
	CSRF                string
	Error               string
	Metrics             []metricRow
	Projects            []projectRow
	Calls               []callRow
	Filter              store.CallFilter
	Filtered            bool
	Statuses            []string
	Next                string
	Items               []itemRow
	Item                *itemRow
	Alerts              []alertRow
	Alert               *alertRow
	Events              []eventRow
	// The inbox item's rule editor: the payload's field paths, the rule
	// being written and what it does.
	Paths  []string
	Draft  draft
	Test   *testResult
	Notice string
	// Script: the page has interactive parts (console.js).
	Script bool
	Keys   []keyRow
	// Secret is a key just created, shown this once.
	Secret string
	// Form holds what a refused form was sent with, to show it again.
	Form map[string]string
	// Chart is the overview's chart of one metric; Ranges its choices.
	Chart  *chart
	Ranges []string
	// Data is a page's own view (rules, connectors, SalesDash pages).
	Data any
}

func render(c *fiber.Ctx, status int, name string, v view) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Status(status)
	return pages.ExecuteTemplate(c.Response().BodyWriter(), name, v)
}

// loginPage shows the sign-in form, with a fresh CSRF token in a cookie
// of its own (double submit: a cross-site form cannot read or set it).
func (k *console) loginPage(c *fiber.Ctx) error {
	token := randomHex(16)
	c.Cookie(k.cookie(loginCookie, token, "/console/login", k.o.Now().Add(time.Hour)))
	return render(c, fiber.StatusOK, "login.html", view{Title: "Sign in", CSRF: token})
}

func (k *console) login(c *fiber.Ctx) error {
	sent, form := c.Cookies(loginCookie), c.FormValue("csrf")
	if sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(form)) != 1 {
		return k.loginError(c, fiber.StatusForbidden, "The sign-in form expired; try again.")
	}
	token := c.FormValue("token")
	p, err := k.o.Authenticate(c.UserContext(), token, c.IP())
	switch {
	case err != nil && intake.ErrorCode(err) == intake.ErrRateLimited:
		return k.loginError(c, fiber.StatusTooManyRequests, "Too many failed sign-ins from this address; wait a minute.")
	case err != nil:
		return k.loginError(c, fiber.StatusUnauthorized, "That is not a valid key.")
	case p.ConnectorID != "":
		return k.loginError(c, fiber.StatusForbidden, "A connector's key cannot sign in; use a project admin key.")
	case !p.Instance && !p.Scope.Allows(intake.ScopeAdmin):
		return k.loginError(c, fiber.StatusForbidden, "This key has scope ingest; the console needs scope admin.")
	}
	secret := randomHex(32)
	sess := store.ConsoleSession{ID: sessionID(secret), TokenHash: intake.HashAPIKey(token), Instance: p.Instance,
		ProjectID: p.ProjectID, CSRF: randomHex(16), ExpiresAt: k.o.Now().Add(k.o.SessionTTL)}
	if err := k.o.Store.CreateSession(c.UserContext(), &sess); err != nil {
		return err
	}
	c.Cookie(k.cookie(sessionCookie, secret, "/console", sess.ExpiresAt))
	c.Cookie(k.cookie(loginCookie, "", "/console/login", time.Unix(0, 0)))
	return c.Redirect("/console", fiber.StatusSeeOther)
}

func (k *console) loginError(c *fiber.Ctx, status int, msg string) error {
	token := randomHex(16)
	c.Cookie(k.cookie(loginCookie, token, "/console/login", k.o.Now().Add(time.Hour)))
	return render(c, status, "login.html", view{Title: "Sign in", CSRF: token, Error: msg})
}

var errSignedOut = errors.New("signed out")

// require finds the request's session and checks, every time, that what
// it signed in with still holds: a revoked or expired key, a key whose
// scope was lowered, or a changed instance token ends it.
func (k *console) require(c *fiber.Ctx) error {
	secret := c.Cookies(sessionCookie)
	if secret == "" {
		return c.Redirect("/console/login", fiber.StatusSeeOther)
	}
	ctx := c.UserContext()
	sess, err := k.o.Store.Session(ctx, sessionID(secret), k.o.Now())
	var keyID string
	if err == nil {
		keyID, err = k.stillValid(ctx, sess)
	}
	if err != nil {
		if intake.ErrorCode(err) != intake.ErrNotFound && !errors.Is(err, errSignedOut) {
			return err // the database, not the session
		}
		_ = k.o.Store.DeleteSession(ctx, sess.ID)
		c.Cookie(k.cookie(sessionCookie, "", "/console", time.Unix(0, 0)))
		return c.Redirect("/console/login", fiber.StatusSeeOther)
	}
	c.Locals(sessionKey, sess)
	// What the session may do through the API (Invoke): its key's, or,
	// for the instance admin, a project admin's of the project it chose.
	p := intake.Principal{ProjectID: sess.ProjectID, KeyID: keyID, Scope: intake.ScopeAdmin}
	if sess.Instance && sess.ProjectID == "" {
		p = intake.Principal{Instance: true}
	}
	c.Locals(principalKey, p)
	who := "instance admin"
	if sess.ProjectID != "" {
		proj, err := k.o.Store.GetProject(ctx, sess.ProjectID)
		if err != nil {
			return err
		}
		if who = "project " + proj.Name; sess.Instance {
			who = "instance admin · " + proj.Name
		}
	}
	c.Locals(whoKey, who)
	return c.Next()
}

const (
	principalKey = "console.principal"
	whoKey       = "console.who"
)

// stillValid checks what the session signed in with, and returns the key's
// id (none for the instance admin).
func (k *console) stillValid(ctx context.Context, sess store.ConsoleSession) (string, error) {
	if sess.Instance {
		if k.o.AdminToken == "" || subtle.ConstantTimeCompare([]byte(sess.TokenHash), []byte(intake.HashAPIKey(k.o.AdminToken))) != 1 {
			return "", errSignedOut
		}
		return "", nil
	}
	key, err := k.o.Store.APIKeyByHash(ctx, sess.TokenHash)
	if intake.ErrorCode(err) == intake.ErrNotFound {
		return "", errSignedOut
	}
	if err != nil {
		return "", err
	}
	now := k.o.Now()
	if key.RevokedAt != nil || key.ExpiresAt != nil && !key.ExpiresAt.After(now) ||
		!intake.Scope(key.Scope).Allows(intake.ScopeAdmin) || key.ProjectID != sess.ProjectID {
		return "", errSignedOut
	}
	return key.ID, nil
}

// checkCSRF refuses a form without the session's CSRF token for the
// project open now.
func (k *console) checkCSRF(c *fiber.Ctx) error {
	sess := c.Locals(sessionKey).(store.ConsoleSession)
	if subtle.ConstantTimeCompare([]byte(c.FormValue("csrf")), []byte(csrfToken(sess))) != 1 {
		return intake.Errorf(intake.ErrForbidden, "this form is not from this session, or is from a page of another project (CSRF token missing or wrong): reload the page")
	}
	return c.Next()
}

// csrfToken is what the session's forms carry. The instance admin's is
// bound to the project open when the page was drawn: a page of one
// project, left open in a tab while another project is opened in the
// next, cannot make a key or a connector in the other.
func csrfToken(sess store.ConsoleSession) string {
	if !sess.Instance {
		return sess.CSRF
	}
	mac := hmac.New(sha256.New, []byte(sess.CSRF))
	mac.Write([]byte(sess.ProjectID))
	return hex.EncodeToString(mac.Sum(nil))
}

func (k *console) logout(c *fiber.Ctx) error {
	sess := c.Locals(sessionKey).(store.ConsoleSession)
	if err := k.o.Store.DeleteSession(c.UserContext(), sess.ID); err != nil {
		return err
	}
	c.Cookie(k.cookie(sessionCookie, "", "/console", time.Unix(0, 0)))
	return c.Redirect("/console/login", fiber.StatusSeeOther)
}

type metricRow struct {
	ID, Name, Key, Unit, Display, Updated string
	// Firing: an alert on the metric is firing.
	Firing bool
}

// showMetric is a metric's row, its value formatted as the API formats it.
func showMetric(m store.Metric) metricRow {
	updated := "never"
	if m.ValueAt != nil {
		updated = m.ValueAt.UTC().Format(time.DateTime)
	}
	return metricRow{ID: m.ID, Name: m.Name, Key: m.Key, Unit: m.Unit, Display: intake.FormatValue(m.Value, m.Unit), Updated: updated}
}

type projectRow struct{ Name, ID, Limit, Created string }

// overview lists the project's metrics with their values formatted as the
// API formats them; the instance admin sees the projects.
func (k *console) overview(c *fiber.Ctx) error {
	sess := c.Locals(sessionKey).(store.ConsoleSession)
	v := k.formView(c, "Overview")
	ctx := c.UserContext()
	if sess.Instance && sess.ProjectID == "" {
		return k.projectsPage(c, fiber.StatusOK, v)
	}
	rows, _, err := k.o.Store.ListMetrics(ctx, sess.ProjectID, store.Page{Limit: 200})
	if err != nil {
		return err
	}
	if v.Calls, _, err = k.callRows(ctx, sess.ProjectID, store.CallFilter{}, store.Page{Limit: 10}); err != nil {
		return err
	}
	firing, err := k.o.Store.FiringMetrics(ctx, sess.ProjectID)
	if err != nil {
		return err
	}
	for _, m := range rows {
		row := showMetric(m)
		row.Firing = firing[m.ID]
		v.Metrics = append(v.Metrics, row)
	}
	if len(rows) > 0 {
		chosen := rows[0]
		for _, m := range rows {
			if m.Key == c.Query("metric") {
				chosen = m
			}
		}
		if v.Chart, err = k.chartOf(ctx, sess.ProjectID, chosen, c.Query("range"), k.o.Now()); err != nil {
			return err
		}
		for _, r := range chartRanges {
			v.Ranges = append(v.Ranges, r.Name)
		}
	}
	return render(c, fiber.StatusOK, "overview.html", v)
}

type callRow struct {
	Received, IngestID, Kind, Source, Connector, Status, Error, WorkflowID, WorkflowURL string
	Attempts                                                                            int
}

// callRows is a page of the project's calls, newest first, each linked to
// its workflow in the Temporal UI.
func (k *console) callRows(ctx context.Context, projectID string, f store.CallFilter, p store.Page) ([]callRow, string, error) {
	rows, next, err := k.o.Store.ListCalls(ctx, projectID, f, p)
	if err != nil {
		return nil, "", err
	}
	out := make([]callRow, len(rows))
	for i, c := range rows {
		out[i] = k.callRow(c)
	}
	return out, next, nil
}

func (k *console) callRow(c store.Call) callRow {
	return callRow{Received: c.ReceivedAt.UTC().Format(time.DateTime), IngestID: c.IngestID, Kind: c.Kind, Source: c.Source, Connector: c.ConnectorID,
		Status: c.Status, Error: c.Error, Attempts: c.Attempts, WorkflowID: c.WorkflowID, WorkflowURL: k.workflowURL(c.WorkflowID)}
}

func (k *console) workflowURL(id string) string {
	if k.o.TemporalUIURL == "" || id == "" {
		return ""
	}
	ns := k.o.Namespace
	if ns == "" {
		ns = "default"
	}
	return strings.TrimSuffix(k.o.TemporalUIURL, "/") + "/namespaces/" + url.PathEscape(ns) + "/workflows/" + url.PathEscape(id)
}

var statuses = []string{intake.StatusProcessing, intake.StatusDone, intake.StatusFailed}

// maxFilter bounds a filter's text; longer matches nothing anyway.
const maxFilter = 200

// calls lists the project's calls, filtered by status, kind and source,
// 50 a page.
func (k *console) calls(c *fiber.Ctx) error {
	sess := c.Locals(sessionKey).(store.ConsoleSession)
	v := k.formView(c, "Calls")
	v.Statuses = statuses
	// The filters are rendered into this answer and kept no longer.
	f := store.CallFilter{Status: c.Query("status"), Kind: c.Query("kind"), Source: c.Query("source")}
	if f.Status != "" && !slices.Contains(statuses, f.Status) {
		v.Error, f.Status = "Status is one of processing, done or failed.", ""
	}
	if len(f.Kind) > maxFilter || len(f.Source) > maxFilter {
		v.Error, f.Kind, f.Source = "A filter is at most 200 characters.", "", ""
	}
	v.Filter, v.Filtered = f, f != store.CallFilter{}
	var next string
	var err error
	if v.Calls, next, err = k.callRows(c.UserContext(), sess.ProjectID, f, store.Page{Limit: 50, Cursor: c.Query("cursor")}); err != nil {
		return err
	}
	if next != "" {
		q := url.Values{"cursor": {next}}
		for name, val := range map[string]string{"status": f.Status, "kind": f.Kind, "source": f.Source} {
			if val != "" {
				q.Set(name, val)
			}
		}
		v.Next = "/console/calls?" + q.Encode()
	}
	return render(c, fiber.StatusOK, "calls.html", v)
}

// project sends the instance admin, who has no project, to the overview.
func (k *console) project(c *fiber.Ctx) error {
	if sess := c.Locals(sessionKey).(store.ConsoleSession); sess.Instance && sess.ProjectID == "" {
		return c.Redirect("/console", fiber.StatusSeeOther)
	}
	return c.Next()
}

type itemRow struct {
	ID, Source, Kind, Reason, Status, CallID, Created, Payload string
	Failed                                                     bool
}

func showItem(it store.InboxItem) itemRow {
	return itemRow{ID: it.ID, Source: it.Source, Kind: it.Kind, Reason: it.Reason, Status: it.Status, CallID: it.CallID,
		Created: it.CreatedAt.UTC().Format(time.DateTime), Failed: it.Failed, Payload: prettyPayload(it.Payload)}
}

// prettyPayload indents a JSON payload; anything else is shown as it came.
func prettyPayload(p string) string {
	var out bytes.Buffer
	if json.Indent(&out, []byte(p), "", "  ") == nil {
		return out.String()
	}
	return p
}

// inbox lists the open items, newest first, 50 a page.
func (k *console) inbox(c *fiber.Ctx) error {
	sess := c.Locals(sessionKey).(store.ConsoleSession)
	v := k.formView(c, "Inbox")
	rows, next, err := k.o.Store.ListInbox(c.UserContext(), sess.ProjectID, store.InboxFilter{Status: store.InboxOpen},
		store.Page{Limit: 50, Cursor: c.Query("cursor")})
	if err != nil {
		return err
	}
	for _, it := range rows {
		v.Items = append(v.Items, showItem(it))
	}
	if next != "" {
		v.Next = "/console/inbox?" + url.Values{"cursor": {next}}.Encode()
	}
	return render(c, fiber.StatusOK, "inbox.html", v)
}

// item shows one item with its payload, and the rule editor.
func (k *console) item(c *fiber.Ctx) error {
	_, v, err := k.itemView(c)
	if err != nil || v.Item == nil {
		return err
	}
	return render(c, fiber.StatusOK, "item.html", v)
}

// itemView reads the URL's item into its page's view. A missing item is
// answered 404 here, and v.Item is nil.
func (k *console) itemView(c *fiber.Ctx) (store.InboxItem, view, error) {
	sess := c.Locals(sessionKey).(store.ConsoleSession)
	it, err := k.o.Store.GetInboxItem(c.UserContext(), sess.ProjectID, c.Params("id"))
	if intake.ErrorCode(err) == intake.ErrNotFound {
		return it, view{}, render(c, fiber.StatusNotFound, "item.html", k.formView(c, "Not found"))
	}
	if err != nil {
		return it, view{}, err
	}
	row := showItem(it)
	v := k.formView(c, "Inbox item")
	v.Item, v.Paths, v.Draft, v.Notice, v.Script = &row, fieldPaths(it), draft{Name: "From the inbox", Op: "set"}, notice(c), true
	return it, v, nil
}

// dismiss dismisses an open item and goes back to the inbox.
func (k *console) dismiss(c *fiber.Ctx) error {
	sess := c.Locals(sessionKey).(store.ConsoleSession)
	if _, err := k.o.Store.DismissInboxItem(c.UserContext(), sess.ProjectID, c.Params("id")); err != nil && intake.ErrorCode(err) != intake.ErrConflict {
		return err
	}
	return c.Redirect("/console/inbox", fiber.StatusSeeOther)
}
