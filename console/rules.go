package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// ruleStore is what the Rules pages read beside the API: which scopes a
// project has. The rules themselves come from the API's own routes.
type ruleStore interface {
	RuleSources(ctx context.Context, projectID string) ([]string, error)
	LatestRuleSets(ctx context.Context, projectID string) (map[store.RuleScope]store.SavedRules, error)
	ListConnectors(ctx context.Context, projectID string, p store.Page) ([]store.Connector, string, error)
}

// mountRules adds the Rules pages: each scope's effective rules, edited and tested.
func (k *console) mountRules(g fiber.Router) {
	g.Get("/rules", k.require, k.project, k.rules)
	g.Get("/rules/:kind/:name", k.require, k.project, k.ruleScopePage)
	g.Post("/rules/:kind/:name/test", k.require, k.project, readForm, k.checkCSRF, k.testRules)
	g.Post("/rules/:kind/:name/save", k.require, k.project, readForm, k.checkCSRF, k.saveRule)
	g.Post("/rules/:kind/:name/:id/:action", k.require, k.project, readForm, k.checkCSRF, k.ruleAction)
}

// ruleScope is whose rules a page shows: a source, or a connector (Name
// is its id) of a provider.
type ruleScope struct {
	Kind, Name, Label, Provider string
}

const (
	sourceScope    = "source"
	connectorScope = "connector"
)

// Path is the scope's page.
func (s ruleScope) Path() string {
	return "/console/rules/" + s.Kind + "/" + url.PathEscape(s.Name)
}

// field is the API's name for the scope: source or connector_id.
func (s ruleScope) field() string {
	if s.Kind == connectorScope {
		return "connector_id"
	}
	return "source"
}

func (s ruleScope) query() string { return url.Values{s.field(): {s.Name}}.Encode() }

// ruleSet is a scope's rules in force, as GET /api/admin/mappings answers.
type ruleSet struct {
	Version  int           `json:"version"`
	Defaults bool          `json:"defaults"`
	Rules    []intake.Rule `json:"rules"`
}

func (k *console) rulesOf(c *fiber.Ctx, s ruleScope) (ruleSet, error) {
	var set ruleSet
	status, answer, err := k.invoke(c, fiber.MethodGet, "/api/admin/mappings?"+s.query(), nil)
	if err != nil {
		return set, err
	}
	if status != fiber.StatusOK {
		e, _ := errorOf(answer)
		return set, intake.Errorf(intake.ErrInvalidPayload, "%s", e.Message)
	}
	return set, json.Unmarshal(answer, &set)
}

// scopeOf reads the URL's scope; found is false when there is none (an
// unknown kind, or a connector of another project), and then it has
// answered 404.
func (k *console) scopeOf(c *fiber.Ctx) (s ruleScope, found bool, err error) {
	name, err := url.PathUnescape(c.Params("name"))
	s = ruleScope{Kind: c.Params("kind"), Name: name, Label: name}
	switch {
	case err != nil || name == "" || len(name) > maxFilter:
	case s.Kind == sourceScope:
		return s, true, nil
	case s.Kind == connectorScope:
		status, answer, err := k.invoke(c, fiber.MethodGet, "/api/admin/connectors/"+url.PathEscape(name), nil)
		if err != nil {
			return s, false, err
		}
		var conn struct{ Type, Name string }
		if status == fiber.StatusOK && json.Unmarshal(answer, &conn) == nil {
			s.Label, s.Provider = conn.Name, conn.Type
			return s, true, nil
		}
	}
	return s, false, k.ruleNotFound(c)
}

// ruleNotFound answers 404: the page, or for the page's script a result
// that says so.
func (k *console) ruleNotFound(c *fiber.Ctx) error {
	if c.Get("X-Console-Fragment") == "test" {
		v := k.formView(c, "")
		v.Test = &testResult{Ran: true, Status: fiber.StatusNotFound, Message: "This scope is not in this project."}
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		c.Status(fiber.StatusNotFound)
		return pages.ExecuteTemplate(c.Response().BodyWriter(), "rulestest", v)
	}
	return render(c, fiber.StatusNotFound, "rulescope.html", k.formView(c, "Not found"))
}

// scopeRow is a scope on the Rules index.
type scopeRow struct {
	ruleScope
	Version, Count, Enabled int
	Defaults                bool
}

// maxConnectors bounds the connectors the index reads.
const maxConnectors = 1000

// rules lists every scope: the sources with rules, calls or inbox items,
// and each connector. ?source= opens a source's page, one without any yet
// included.
func (k *console) rules(c *fiber.Ctx) error {
	if src := strings.TrimSpace(c.Query("source")); src != "" && len(src) <= maxFilter {
		return c.Redirect(ruleScope{Kind: sourceScope, Name: src}.Path(), fiber.StatusSeeOther)
	}
	ctx, project := c.UserContext(), c.Locals(sessionKey).(store.ConsoleSession).ProjectID
	sources, err := k.o.Store.RuleSources(ctx, project)
	if err != nil {
		return err
	}
	var scopes []ruleScope
	for _, src := range sources {
		scopes = append(scopes, ruleScope{Kind: sourceScope, Name: src, Label: src})
	}
	for p := (store.Page{Limit: store.MaxPageLimit}); len(scopes) < len(sources)+maxConnectors; {
		conns, next, err := k.o.Store.ListConnectors(ctx, project, p)
		if err != nil {
			return err
		}
		for _, conn := range conns {
			scopes = append(scopes, ruleScope{Kind: connectorScope, Name: conn.ID, Label: conn.Name, Provider: conn.Type})
		}
		if p.Cursor = next; next == "" {
			break
		}
	}
	// Saved rules come in one read; only a connector that saved none asks
	// the API, which knows its provider's defaults.
	saved, err := k.o.Store.LatestRuleSets(ctx, project)
	if err != nil {
		return err
	}
	rows := make([]scopeRow, 0, len(scopes))
	for _, s := range scopes {
		key := store.RuleScope{ProjectID: project, Source: s.Name}
		if s.Kind == connectorScope {
			key = store.RuleScope{ProjectID: project, ConnectorID: s.Name}
		}
		set := ruleSet{Version: saved[key].Version, Rules: saved[key].Rules}
		if set.Version == 0 && s.Kind == connectorScope {
			if set, err = k.rulesOf(c, s); err != nil {
				return err
			}
		}
		row := scopeRow{ruleScope: s, Version: set.Version, Defaults: set.Defaults, Count: len(set.Rules)}
		for _, r := range set.Rules {
			if r.Enabled {
				row.Enabled++
			}
		}
		rows = append(rows, row)
	}
	v := k.formView(c, "Rules")
	v.Data = rows
	return render(c, fiber.StatusOK, "rules.html", v)
}

// rulesPage is a scope's page: its rules in force, the editor (view.Draft,
// a saved rule when its ID is set) and what it is tested on.
type rulesPage struct {
	Scope    ruleScope
	Version  int
	Defaults bool
	Rules    []intake.Rule
	// Items are the scope's open inbox items to test on; Target what the
	// form tests on now.
	Items  []itemChoice
	Target testTarget
}

type itemChoice struct{ ID, Created, Reason string }

// testTarget is what a test runs on: an inbox item typed by id, else one
// chosen from the list, else the pasted payload.
type testTarget struct{ Payload, InboxID, ItemID string }

func readTestTarget(c *fiber.Ctx) testTarget {
	return testTarget{Payload: c.FormValue("payload"), InboxID: strings.TrimSpace(c.FormValue("inbox_id")), ItemID: strings.TrimSpace(c.FormValue("item_id"))}
}

func (t testTarget) item() string {
	if t.ItemID != "" {
		return t.ItemID
	}
	return t.InboxID
}

// maxTestItems bounds the inbox items offered to test on.
const maxTestItems = 50

// scopePage is the scope's page with d in the editor, tested on t.
func (k *console) scopePage(c *fiber.Ctx, status int, s ruleScope, d draft, t testTarget, res *testResult) error {
	set, err := k.rulesOf(c, s)
	if err != nil {
		return err
	}
	page := rulesPage{Scope: s, Version: set.Version, Defaults: set.Defaults, Rules: set.Rules, Target: t}
	if page.Items, err = k.scopeItems(c, s); err != nil {
		return err
	}
	v := k.formView(c, "Rules of "+s.Label)
	v.Data, v.Draft, v.Test, v.Script, v.Notice = page, d, res, true, ruleNotice(c)
	if v.Paths, err = k.targetPaths(c, s, t); err != nil {
		return err
	}
	return render(c, status, "rulescope.html", v)
}

// scopeItems are the scope's open inbox items, newest first: a connector's
// events, or a source's pushes.
func (k *console) scopeItems(c *fiber.Ctx, s ruleScope) ([]itemChoice, error) {
	// A connector's events are inboxed under its provider's name.
	f := store.InboxFilter{Status: store.InboxOpen, Source: s.Provider}
	if s.Kind == sourceScope {
		f.Source = s.Name
	}
	rows, _, err := k.o.Store.ListInbox(c.UserContext(), c.Locals(sessionKey).(store.ConsoleSession).ProjectID, f, store.Page{Limit: store.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	var out []itemChoice
	for _, it := range rows {
		if mine := it.ConnectorID == "" && s.Kind == sourceScope || it.ConnectorID == s.Name && s.Kind == connectorScope; !mine || len(out) == maxTestItems {
			continue
		}
		reason := it.Reason
		if len(reason) > 80 {
			reason = reason[:77] + "…"
		}
		out = append(out, itemChoice{ID: it.ID, Created: it.CreatedAt.UTC().Format("2006-01-02 15:04"), Reason: reason})
	}
	return out, nil
}

// targetPaths are the field paths of what the test runs on. A pasted
// payload's are listed for a source only: for a connector it is a
// delivery, whose events the rules read.
func (k *console) targetPaths(c *fiber.Ctx, s ruleScope, t testTarget) ([]string, error) {
	if id := t.item(); id != "" {
		it, err := k.o.Store.GetInboxItem(c.UserContext(), c.Locals(sessionKey).(store.ConsoleSession).ProjectID, id)
		if intake.ErrorCode(err) == intake.ErrNotFound {
			return nil, nil // the test says so
		}
		return fieldPaths(it), err
	}
	if s.Kind == sourceScope {
		return payloadPaths(t.Payload, false), nil
	}
	return nil, nil
}

// ruleScopePage shows a scope's rules, with the editor holding ?edit='s
// rule or a new one, tested on the scope's newest open inbox item.
func (k *console) ruleScopePage(c *fiber.Ctx) error {
	s, found, err := k.scopeOf(c)
	if !found {
		return err
	}
	d := draft{Op: "set", Enabled: true}
	if id := c.Query("edit"); id != "" {
		set, err := k.rulesOf(c, s)
		if err != nil {
			return err
		}
		r, ok := ruleByID(set.Rules, id)
		if !ok {
			return k.ruleNotFound(c)
		}
		d = draftOf(r)
	}
	var t testTarget
	if items, err := k.scopeItems(c, s); err == nil && len(items) > 0 {
		t.InboxID = items[0].ID
	}
	return k.scopePage(c, fiber.StatusOK, s, d, t, nil)
}

func ruleByID(rules []intake.Rule, id string) (intake.Rule, bool) {
	for _, r := range rules {
		if r.ID == id {
			return r, true
		}
	}
	return intake.Rule{}, false
}

// ruleNotice says what the form before the redirect did, from numbers and
// fixed words only (as notice does for the inbox).
func ruleNotice(c *fiber.Ctx) string {
	did, ok := map[string]string{"saved": "Rule saved", "created": "Rule added", "enabled": "Rule enabled",
		"disabled": "Rule disabled", "deleted": "Rule deleted"}[c.Query("done")]
	if !ok {
		return ""
	}
	version, _ := strconv.Atoi(c.Query("version"))
	msg := fmt.Sprintf("%s: version %d of these rules is in force.", did, version)
	if c.Query("from") == "defaults" {
		msg += " The provider's defaults were copied into it: this scope has rules of its own now, and later changes to the defaults do not reach it."
	}
	return msg
}
