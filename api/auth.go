package api

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	lru "github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
	"golang.org/x/sync/singleflight"
)

// keyCacheSize bounds how many key lookups stay in memory.
const keyCacheSize = 10_000

// keyStore is what authentication needs of the store.
type keyStore interface {
	APIKeyByHash(ctx context.Context, hash string) (store.APIKey, error)
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
	GetProject(ctx context.Context, id string) (store.Project, error)
}

// cachedKey is a cached lookup: the key, or nil when no key has the hash,
// and the rate limit in force for it.
type cachedKey struct {
	key       *store.APIKey
	rateLimit int
}

// authenticator resolves a Bearer token to a Principal. Lookups, found or
// not, are cached for ttl so that auth costs no database round trip per call;
// a revocation in this process evicts at once, in other processes within ttl.
type authenticator struct {
	store      keyStore
	adminToken string
	cache      *lru.LRU[string, cachedKey]
	// lookups collapses concurrent lookups of one key: when its cache
	// entry expires under load, one query answers every waiting request.
	lookups singleflight.Group
	now     func() time.Time
	// then runs after a successful check in place of c.Next: the rate
	// limiter, which needs the principal.
	then fiber.Handler
}

func newAuthenticator(s keyStore, adminToken string, ttl time.Duration) *authenticator {
	return &authenticator{
		store:      s,
		adminToken: adminToken,
		cache:      lru.NewLRU[string, cachedKey](keyCacheSize, nil, ttl),
		now:        time.Now,
		then:       func(c *fiber.Ctx) error { return c.Next() },
	}
}

var errBadKey = intake.Errorf(intake.ErrInvalidAPIKey, "missing or invalid API key: send Authorization: Bearer ik_…")

func (a *authenticator) principal(ctx context.Context, header string) (intake.Principal, error) {
	token, ok := strings.CutPrefix(header, "Bearer ")
	token = strings.TrimSpace(token)
	if !ok || token == "" {
		return intake.Principal{}, errBadKey
	}
	if a.adminToken != "" && intake.SecretEqual(token, a.adminToken) {
		return intake.Principal{Instance: true}, nil
	}
	if !intake.ValidAPIKeyFormat(token) {
		return intake.Principal{}, errBadKey
	}
	hash := intake.HashAPIKey(token)
	entry, ok := a.cache.Get(hash)
	if !ok {
		v, err, _ := a.lookups.Do(hash, func() (any, error) { return a.lookup(context.WithoutCancel(ctx), hash) })
		if err != nil {
			return intake.Principal{}, err
		}
		entry = v.(cachedKey)
	}
	if entry.key == nil {
		return intake.Principal{}, errBadKey
	}
	if err := entry.key.Usable(a.now()); err != nil {
		return intake.Principal{}, err
	}
	return intake.Principal{ProjectID: entry.key.ProjectID, KeyID: entry.key.ID, Scope: intake.Scope(entry.key.Scope),
		RateLimit: entry.rateLimit, ConnectorID: entry.key.ConnectorID}, nil
}

// lookup reads a key by its hash and caches what it found, or that
// nothing has the hash.
func (a *authenticator) lookup(ctx context.Context, hash string) (cachedKey, error) {
	var entry cachedKey
	k, err := a.store.APIKeyByHash(ctx, hash)
	switch {
	case err == nil:
		if entry, err = a.load(ctx, k); err != nil {
			return entry, err
		}
	case intake.ErrorCode(err) != intake.ErrNotFound:
		return entry, err
	}
	a.cache.Add(hash, entry)
	return entry, nil
}

// load completes a found key for the cache: its project's rate limit, and
// the time it was last used.
func (a *authenticator) load(ctx context.Context, k store.APIKey) (cachedKey, error) {
	entry := cachedKey{key: &k}
	if k.RateLimit != nil {
		entry.rateLimit = *k.RateLimit
	} else {
		p, err := a.store.GetProject(ctx, k.ProjectID)
		if err != nil {
			return entry, err
		}
		if p.RateLimit != nil {
			entry.rateLimit = *p.RateLimit
		}
	}
	return entry, a.store.TouchAPIKey(ctx, k.ID, a.now())
}

// forget evicts a key from the cache, after it was revoked here.
func (a *authenticator) forget(hash string) { a.cache.Remove(hash) }

// access is what a route requires of its caller.
type access int

const (
	accessInstance access = iota // the instance admin token
	accessAdmin                  // a project key with scope admin
	accessIngest                 // a project key with scope ingest or admin
)

const principalKey = "intake.principal"

// require authenticates the caller and checks it may use the route.
func (a *authenticator) require(need access) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := a.principal(c.UserContext(), c.Get(fiber.HeaderAuthorization))
		if err != nil {
			return err
		}
		switch {
		case need == accessInstance && !p.Instance:
			return intake.Errorf(intake.ErrForbidden, "this route needs the instance admin token")
		case need != accessInstance && p.Instance:
			return intake.Errorf(intake.ErrForbidden, "the instance admin token manages projects only; use a project API key")
		case need == accessAdmin && !p.Scope.Allows(intake.ScopeAdmin):
			return intake.Errorf(intake.ErrForbidden, "this route needs an API key with scope admin")
		}
		c.Locals(principalKey, p)
		return a.then(c)
	}
}

// principal returns the caller that require authenticated.
func principal(c *fiber.Ctx) intake.Principal {
	p, ok := c.Locals(principalKey).(intake.Principal)
	if !ok {
		panic(errors.New("api: route without require()"))
	}
	return p
}
