package console

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// salesStore is what the SalesDash pages read beside the API: lists that
// check nothing a page sends. Read through Invoke, they would spend the
// signed-in key's rate limit (100 a minute by default) at seven requests
// an identities page; the forms and the aggregates, which the API
// validates, still go through it.
type salesStore interface {
	ListIdentities(ctx context.Context, projectID string, f store.IdentityFilter, p store.Page) ([]store.Identity, string, error)
	GetIdentity(ctx context.Context, projectID, id string) (store.Identity, error)
	ListEntities(ctx context.Context, projectID, kind string, p store.Page) ([]store.Entity, string, error)
	GetEntity(ctx context.Context, projectID, kind, id string) (store.Entity, error)
	ListConnectors(ctx context.Context, projectID string, p store.Page) ([]store.Connector, string, error)
}

// salesPages are the SalesDash pages.
type salesPages struct{ *console }

// mountSales adds the SalesDash pages: unlinked identities and activity and sale aggregates.
func (k *console) mountSales(g fiber.Router) {
	p := &salesPages{console: k}
	g.Get("/salesdash", k.require, k.project, p.aggregates)
	g.Get("/salesdash/identities", k.require, k.project, p.identities)
	g.Post("/salesdash/identities/:id/link", k.require, k.project, readForm, k.checkCSRF, p.linkIdentity)
}

// projectOf is the project the session works in.
func projectOf(c *fiber.Ctx) string { return c.Locals(sessionKey).(store.ConsoleSession).ProjectID }

// salesRefusal is an API's 4xx answer as a page shows it: the field it names,
// so the admin knows which input to fix.
type salesRefusal struct {
	Status         int
	Field, Message string
}

func salesRefusalOf(status int, answer []byte) *salesRefusal {
	e, _ := errorOf(answer)
	return &salesRefusal{Status: status, Field: e.Field, Message: e.Message}
}

// salesGet reads a GET route's JSON answer into out; a 4xx is the API's
// refusal, for the page to show, not an error.
func (k *console) salesGet(c *fiber.Ctx, uri string, out any) (*salesRefusal, error) {
	status, answer, err := k.invoke(c, fiber.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	if status != fiber.StatusOK {
		return salesRefusalOf(status, answer), nil
	}
	return nil, json.Unmarshal(answer, out)
}

// salesOption is an entity or connector a select offers.
type salesOption struct{ ID, Name string }

// maxSalesOptions bounds what a select offers: a page is read whole, and a
// project with more than this many agents needs a search, not a select.
const maxSalesOptions = 1000

// salesList reads a list page by page, up to maxSalesOptions rows; more
// says some were left out.
func salesList[T any](fetch func(store.Page) ([]T, string, error)) (rows []T, more bool, err error) {
	cursor := ""
	for len(rows) < maxSalesOptions {
		page, next, err := fetch(store.Page{Limit: store.MaxPageLimit, Cursor: cursor})
		if err != nil {
			return nil, false, err
		}
		rows = append(rows, page...)
		if cursor = next; cursor == "" {
			return rows, false, nil
		}
	}
	return rows, true, nil
}

// salesConnectors are the project's connectors' names by id, and its
// SalesDash connectors, which are the ones identities and records come from.
func (p *salesPages) salesConnectors(c *fiber.Ctx) (map[string]string, []salesOption, error) {
	rows, _, err := salesList(func(pg store.Page) ([]store.Connector, string, error) {
		return p.o.Store.ListConnectors(c.UserContext(), projectOf(c), pg)
	})
	if err != nil {
		return nil, nil, err
	}
	names := map[string]string{}
	var sales []salesOption
	for _, conn := range rows {
		names[conn.ID] = conn.Name
		if conn.Type == intake.SalesDash {
			sales = append(sales, salesOption{ID: conn.ID, Name: conn.Name})
		}
	}
	return names, sales, nil
}

// identityShows are the identity page's filters, by link state.
var identityShows = []string{"unlinked", "linked", "all"}

// identityPageSize is how many identities of a kind a page lists.
const identityPageSize = 100

type identitiesData struct {
	Show, Kind   string
	Shows, Kinds []string
	Groups       []identityGroup
}

// identityGroup is one kind's identities, with the entities they may be
// linked to.
type identityGroup struct {
	Kind, Title string
	Rows        []identityRow
	Options     []salesOption
	// Truncated: the project has more entities of the kind than the select offers.
	Truncated bool
	More      string
}

type identityRow struct {
	ID, Name, ExternalID, Email, Connector, FirstSeen, LastChanged string
	LinkedID, LinkedName                                           string
	// Target and NewName are what its form was sent with, and Refused
	// what the API said of them, when it was refused.
	Target, NewName string
	Refused         *salesRefusal
}

// identityFilter reads the page's filters, from the query or from the
// hidden fields of a link form (which carries them back).
func identityFilter(c *fiber.Ctx) (show, kind, problem string) {
	show, kind = c.FormValue("show"), c.FormValue("kind")
	if show == "" {
		show = "unlinked"
	}
	if !slices.Contains(identityShows, show) {
		show, problem = "unlinked", "Show is one of unlinked, linked or all."
	}
	if kind != "" && !slices.Contains(intake.IdentityKinds, kind) {
		kind, problem = "", "Kind is one of "+strings.Join(intake.IdentityKinds, ", ")+"."
	}
	return show, kind, problem
}

// identitiesURL is the identities page with its filters, and more.
func identitiesURL(show, kind string, more url.Values) string {
	q := url.Values{}
	for name, vals := range more {
		q[name] = vals
	}
	if show != "unlinked" {
		q.Set("show", show)
	}
	if kind != "" {
		q.Set("kind", kind)
	}
	if len(q) == 0 {
		return "/console/salesdash/identities"
	}
	return "/console/salesdash/identities?" + q.Encode()
}

// identities lists the project's SalesDash identities by kind, unlinked
// ones by default, each with its link form.
func (p *salesPages) identities(c *fiber.Ctx) error {
	return p.identitiesPage(c, fiber.StatusOK, p.formView(c, "SalesDash identities"), nil)
}

// identitiesPage renders the page; sent is a refused link form, shown in
// its row with what it was sent with.
func (p *salesPages) identitiesPage(c *fiber.Ctx, status int, v view, sent *identityRow) error {
	show, kind, problem := identityFilter(c)
	if problem != "" && v.Error == "" {
		v.Error = problem
	}
	d := identitiesData{Show: show, Kind: kind, Shows: identityShows, Kinds: intake.IdentityKinds}
	names, _, err := p.salesConnectors(c)
	if err != nil {
		return err
	}
	placed := sent == nil
	for _, kd := range intake.IdentityKinds {
		if kind != "" && kd != kind {
			continue
		}
		g, err := p.identityGroup(c, kd, show, kind, names)
		if err != nil {
			return err
		}
		for i := range g.Rows {
			if sent != nil && g.Rows[i].ID == sent.ID {
				g.Rows[i].Target, g.Rows[i].NewName, g.Rows[i].Refused = sent.Target, sent.NewName, sent.Refused
				placed = true
			}
		}
		d.Groups = append(d.Groups, g)
	}
	if !placed && v.Error == "" {
		// The identity is not on this page (another filter, or a later page).
		v.Error = "Identity " + sent.ID + ": " + sent.Refused.Message
	}
	if id := c.Query("done"); id != "" && v.Notice == "" {
		if v.Notice, err = p.linkedNotice(c, id); err != nil {
			return err
		}
	}
	v.Data = d
	return render(c, status, "salesdash_identities.html", v)
}

// identityGroup reads one kind's identities as the filter shows them, and
// the kind's entities for the link form.
func (p *salesPages) identityGroup(c *fiber.Ctx, kd, show, kind string, names map[string]string) (identityGroup, error) {
	g := identityGroup{Kind: kd, Title: strings.ToUpper(kd[:1]) + kd[1:] + "s"}
	f := store.IdentityFilter{Kind: kd}
	if show != "all" {
		linked := show == "linked"
		f.Linked = &linked
	}
	pg := store.Page{Limit: identityPageSize}
	if kind == kd { // only a page of one kind pages on
		pg.Cursor = c.Query("cursor")
	}
	ctx, project := c.UserContext(), projectOf(c)
	idns, next, err := p.o.Store.ListIdentities(ctx, project, f, pg)
	if err != nil || len(idns) == 0 {
		return g, err
	}
	ents, more, err := salesList(func(pg store.Page) ([]store.Entity, string, error) {
		return p.o.Store.ListEntities(ctx, project, kd, pg)
	})
	if err != nil {
		return g, err
	}
	g.Truncated = more
	entName := map[string]string{}
	for _, e := range ents {
		g.Options = append(g.Options, salesOption{ID: e.ID, Name: e.Name})
		entName[e.ID] = e.Name
	}
	for _, idn := range idns {
		conn := names[idn.ConnectorID]
		if conn == "" {
			conn = idn.ConnectorID
		}
		r := identityRow{ID: idn.ID, Name: idn.Name, ExternalID: idn.ExternalID, Email: idn.Email, Connector: conn,
			FirstSeen: idn.CreatedAt.UTC().Format(time.DateTime), LastChanged: idn.UpdatedAt.UTC().Format(time.DateTime),
			LinkedID: idn.LinkedID, LinkedName: entName[idn.LinkedID]}
		g.Rows = append(g.Rows, r)
	}
	if next != "" {
		g.More = identitiesURL(show, kd, url.Values{"cursor": {next}})
	}
	return g, nil
}

// linkedNotice says what the link just made did, from the identity and
// its entity as they are now.
func (p *salesPages) linkedNotice(c *fiber.Ctx, id string) (string, error) {
	ctx, project := c.UserContext(), projectOf(c)
	idn, err := p.o.Store.GetIdentity(ctx, project, id)
	if intake.ErrorCode(err) == intake.ErrNotFound || err == nil && idn.LinkedID == "" {
		return "", nil // not this project's, or unlinked since: nothing to say
	}
	if err != nil {
		return "", err
	}
	ent, err := p.o.Store.GetEntity(ctx, project, idn.Kind, idn.LinkedID)
	if err != nil {
		return "", err
	}
	return strings.ToUpper(idn.Kind[:1]) + idn.Kind[1:] + " " + salesName(idn.Name, idn.ExternalID) + " is linked to " +
		salesName(ent.Name, ent.ID) + ".", nil
}

func salesName(name, id string) string {
	if name == "" {
		return id
	}
	return "“" + name + "” (" + id + ")"
}

// linkIdentity is POST /api/admin/identities/{id}/link from a row's form:
// target_id links to an existing entity, else the API creates one named
// name (the identity's own name when empty) and links to it, in one call.
func (p *salesPages) linkIdentity(c *fiber.Ctx) error {
	sent := identityRow{ID: c.Params("id"), Target: c.FormValue("target_id"), NewName: c.FormValue("name")}
	body := map[string]any{}
	if t := strings.TrimSpace(sent.Target); t != "" {
		body["target_id"] = t
	}
	if n := strings.TrimSpace(sent.NewName); n != "" {
		body["name"] = n
	}
	status, answer, err := p.invoke(c, fiber.MethodPost, "/api/admin/identities/"+url.PathEscape(sent.ID)+"/link", body)
	if err != nil {
		return err
	}
	show, kind, _ := identityFilter(c)
	switch {
	case status == fiber.StatusOK:
		return c.Redirect(identitiesURL(show, kind, url.Values{"done": {sent.ID}}), fiber.StatusSeeOther)
	case status == fiber.StatusNotFound:
		// Another project's identity or entity, or none at all: this
		// project's page, saying so.
		v := p.formView(c, "Not found")
		v.Error = salesRefusalOf(status, answer).Message
		return p.identitiesPage(c, fiber.StatusNotFound, v, nil)
	}
	sent.Refused = salesRefusalOf(status, answer)
	return p.identitiesPage(c, fiber.StatusUnprocessableEntity, p.formView(c, "SalesDash identities"), &sent)
}
