package api

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/store"
)

// list is the JSON of every list answer.
type list[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"`
}

func page(c *fiber.Ctx) (store.Page, error) {
	p := store.Page{Cursor: c.Query("cursor")}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.MaxPageLimit {
			return p, intake.Invalid("limit", "limit must be a whole number from 1 to %d", store.MaxPageLimit)
		}
		p.Limit = n
	}
	return p, nil
}

// paged answers a list route: one page, as the query's limit and cursor ask.
func paged[T any](c *fiber.Ctx, fetch func(context.Context, store.Page) ([]T, string, error)) error {
	pg, err := page(c)
	if err != nil {
		return err
	}
	rows, next, err := fetch(c.UserContext(), pg)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []T{}
	}
	return c.JSON(list[T]{Data: rows, NextCursor: next})
}

// mapRows converts a fetched page, for lists that show rows differently.
func mapRows[T, J any](rows []T, next string, err error, show func(T) J) ([]J, string, error) {
	out := make([]J, len(rows))
	for i, r := range rows {
		out[i] = show(r)
	}
	return out, next, err
}

type projectJSON struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	RateLimit intake.Rate `json:"rate_limit"`
	CreatedAt time.Time   `json:"created_at"`
}

func showProject(p store.Project) projectJSON {
	return projectJSON{ID: p.ID, Name: p.Name, RateLimit: p.Rate(), CreatedAt: p.CreatedAt}
}

// keyJSON is a key as the API shows it, its limit in the form it was set.
type keyJSON struct {
	store.APIKey
	RateLimit intake.Rate `json:"rate_limit"`
}

func showKey(k store.APIKey) keyJSON { return keyJSON{APIKey: k, RateLimit: k.Rate()} }

// rateLimit reads an optional rate_limit: a number of requests a minute,
// or "N/m" or "N/h". The zero Rate when absent or null.
func (o object) rateLimit() (intake.Rate, error) {
	raw, ok := o["rate_limit"]
	if !ok || isNull(raw) {
		return intake.Rate{}, nil
	}
	r, err := intake.ParseRate(raw)
	if err != nil {
		return r, intake.Invalid("rate_limit", "rate_limit %v", err)
	}
	return r, nil
}

// underCeiling refuses a key's limit that lets more through than its
// project's, which the instance admin set: the ceiling is counted over
// every key anyway, and a key that promises more than it can get only
// misleads its owner.
func underCeiling(p intake.Principal, r intake.Rate) error {
	if !r.IsZero() && !p.ProjectRateLimit.IsZero() && r.Exceeds(p.ProjectRateLimit) {
		return intake.Invalid("rate_limit", "rate_limit %s is more than the project's %d requests per %s",
			r, p.ProjectRateLimit.N, p.ProjectRateLimit.Unit())
	}
	return nil
}

func (s *Server) createProject(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	name, err := o.requiredStr("name", 200)
	if err != nil {
		return err
	}
	limit, err := o.rateLimit()
	if err != nil {
		return err
	}
	p := store.Project{ID: intake.NewID("p"), Name: name}
	p.SetRate(limit)
	secret := intake.NewAPIKey()
	key := newKeyRow(secret, "Default admin key", intake.ScopeAdmin, nil)
	if err := s.store.CreateProject(c.UserContext(), &p, &key); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{
		"project":      showProject(p),
		"admin_key":    secret,
		"admin_key_id": key.ID,
	})
}

func (s *Server) listProjects(c *fiber.Ctx) error {
	return paged(c, func(ctx context.Context, pg store.Page) ([]projectJSON, string, error) {
		rows, next, err := s.store.ListProjects(ctx, pg)
		return mapRows(rows, next, err, showProject)
	})
}

func newKeyRow(secret, name string, scope intake.Scope, expires *time.Time) store.APIKey {
	return store.APIKey{
		ID: intake.NewID("key"), Name: name, Scope: string(scope),
		Hash: intake.HashAPIKey(secret), Prefix: secret[:len(intake.APIKeyPrefix)+6], ExpiresAt: expires,
	}
}

// createdKey is the answer to a key creation: the only time Key is shown.
type createdKey struct {
	keyJSON
	Key string `json:"key"`
}

func (s *Server) createKey(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	name, err := o.requiredStr("name", 200)
	if err != nil {
		return err
	}
	scopeStr, err := o.str("scope", 16)
	if err != nil {
		return err
	}
	scope := intake.ScopeIngest
	if scopeStr != "" {
		if scope = intake.Scope(scopeStr); !scope.Valid() {
			return intake.Invalid("scope", "scope must be %q or %q", intake.ScopeIngest, intake.ScopeAdmin)
		}
	}
	var expires *time.Time
	if raw, ok := o["expires_at"]; ok && !isNull(raw) {
		exp, err := s.parseFutureTime(raw)
		if err != nil {
			return intake.Invalid("expires_at", "expires_at %v", err)
		}
		expires = &exp
	}
	limit, err := o.rateLimit()
	if err != nil {
		return err
	}
	if err := underCeiling(principal(c), limit); err != nil {
		return err
	}
	secret := intake.NewAPIKey()
	key := newKeyRow(secret, name, scope, expires)
	key.ProjectID = principal(c).ProjectID
	key.SetRate(limit)
	if err := s.store.CreateAPIKey(c.UserContext(), &key); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(createdKey{keyJSON: showKey(key), Key: secret})
}

// parseFutureTime reads an RFC 3339 time that must lie in the future.
func (s *Server) parseFutureTime(raw []byte) (time.Time, error) {
	var str string
	if err := jsonString(raw, &str); err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, str)
	if err != nil {
		return time.Time{}, errNotRFC3339
	}
	if !t.After(s.now()) {
		return time.Time{}, errNotFuture
	}
	return t.UTC(), nil
}

func (s *Server) listKeys(c *fiber.Ctx) error {
	return paged(c, func(ctx context.Context, pg store.Page) ([]keyJSON, string, error) {
		rows, next, err := s.store.ListAPIKeys(ctx, principal(c).ProjectID, pg)
		return mapRows(rows, next, err, showKey)
	})
}

func (s *Server) revokeKey(c *fiber.Ctx) error {
	k, err := s.store.RevokeAPIKey(c.UserContext(), principal(c).ProjectID, c.Params("id"), s.now())
	if err != nil {
		return err
	}
	s.auth.forget(k.Hash)
	return c.JSON(showKey(k))
}

// listCalls lists every accepted call, newest first: processing (with
// its attempts and last error while it retries), done or failed.
func (s *Server) listCalls(c *fiber.Ctx) error {
	f := store.CallFilter{Status: c.Query("status"), Kind: c.Query("kind"), Source: c.Query("source"), ConnectorID: c.Query("connector")}
	switch f.Status {
	case "", intake.StatusProcessing, intake.StatusDone, intake.StatusFailed:
	default:
		return intake.Invalid("status", "status must be processing, done or failed")
	}
	if _, ok := activities.KindOf(f.Kind); f.Kind != "" && !ok {
		return intake.Invalid("kind", "no kind of call %q", f.Kind)
	}
	return paged(c, func(ctx context.Context, pg store.Page) ([]store.Call, string, error) {
		return s.store.ListCalls(ctx, principal(c).ProjectID, f, pg)
	})
}
