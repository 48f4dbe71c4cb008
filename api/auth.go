package api

import (
	"context"
	"errors"
	"strconv"
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
	key                     *store.APIKey
	rateLimit, projectLimit intake.Rate
}

// authenticator resolves a Bearer token to a Principal. Lookups, found or
// not, are cached for ttl so that auth costs no database round trip per call;
// a revocation in this process evicts at once, in other processes within ttl.
type authenticator struct {
	store      keyStore
	adminToken string
	cache      *lru.LRU[string, cachedKey]
	// misses holds the hashes no key has, apart from cache, so that
	// random well-formed keys neither evict real ones nor cost a query
	// each time they are tried again.
	misses *lru.LRU[string, struct{}]
	// failures counts each client's failed authentications; past
	// maxFailures a window, a key not known already is refused without
	// a lookup.
	failures    *memoryCounter
	maxFailures int
	// lookups collapses concurrent lookups of one key: when its cache
	// entry expires under load, one query answers every waiting request.
	lookups singleflight.Group
	now     func() time.Time
	// then runs after a successful check in place of c.Next: the rate
	// limiter, which needs the principal.
	then fiber.Handler
}

// failureWindow is the window of each client's failed authentications.
const failureWindow = time.Minute

func newAuthenticator(s keyStore, adminToken string, ttl time.Duration, maxFailures int) *authenticator {
	return &authenticator{
		store:       s,
		adminToken:  adminToken,
		cache:       lru.NewLRU[string, cachedKey](keyCacheSize, nil, ttl),
		misses:      lru.NewLRU[string, struct{}](keyCacheSize, nil, ttl),
		failures:    newMemoryCounter(),
		maxFailures: maxFailures,
		now:         time.Now,
		then:        func(c *fiber.Ctx) error { return c.Next() },
	}
}

var errBadKey = intake.Errorf(intake.ErrInvalidAPIKey, "missing or invalid API key: send Authorization: Bearer ik_…")

// principal authenticates the Authorization header of a request from
// client (its address).
func (a *authenticator) principal(ctx context.Context, header, client string) (intake.Principal, error) {
	p, err := a.check(ctx, header, client)
	if errors.Is(err, errBadKey) {
		_, _, _ = a.failures.Hit(ctx, client, failureWindow)
	}
	return p, err
}

func (a *authenticator) check(ctx context.Context, header, client string) (intake.Principal, error) {
	token, ok := strings.CutPrefix(header, "Bearer ")
	token = strings.TrimSpace(token)
	if !ok || token == "" {
		return intake.Principal{}, errBadKey
	}
	hash := intake.HashAPIKey(token)
	entry, ok := a.cache.Get(hash)
	if !ok {
		// Past the limit, only keys known already pass: guesses, at keys
		// or at the admin token, cost nothing more.
		if n, left := a.failures.count(client); n >= int64(a.maxFailures) {
			return intake.Principal{}, &intake.Error{Code: intake.ErrRateLimited, Details: retryAfter(left),
				Message: "too many failed authentications from this address; retry later"}
		}
	}
	if a.adminToken != "" && intake.SecretEqual(token, a.adminToken) {
		return intake.Principal{Instance: true}, nil
	}
	if !intake.ValidAPIKeyFormat(token) || !ok && a.misses.Contains(hash) {
		return intake.Principal{}, errBadKey
	}
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
		RateLimit: entry.rateLimit, ProjectRateLimit: entry.projectLimit, ConnectorID: entry.key.ConnectorID}, nil
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
	default:
		a.misses.Add(hash, struct{}{})
		return entry, nil
	}
	a.cache.Add(hash, entry)
	return entry, nil
}

// load completes a found key for the cache: its project's rate limit, and
// the time it was last used.
func (a *authenticator) load(ctx context.Context, k store.APIKey) (cachedKey, error) {
	entry := cachedKey{key: &k}
	p, err := a.store.GetProject(ctx, k.ProjectID)
	if err != nil {
		return entry, err
	}
	entry.rateLimit, entry.projectLimit = p.Rate(), p.Rate()
	if own := k.Rate(); !own.IsZero() {
		entry.rateLimit = own
	}
	return entry, a.store.TouchAPIKey(ctx, k.ID, a.now())
}

// forget evicts a key from the cache, after it was revoked here.
func (a *authenticator) forget(hash string) { a.cache.Remove(hash) }

// retryAfter is the details of a refusal that lasts left.
func retryAfter(left time.Duration) map[string]int64 {
	return map[string]int64{"retry_after": max64(1, int64((left+time.Second-1)/time.Second))}
}

// access is what a route requires of its caller.
type access int

const (
	accessInstance  access = iota // the instance admin token
	accessAdmin                   // a project key with scope admin
	accessIngest                  // a project key with scope ingest or admin, not a connector's
	accessConnector               // a connector's own key, for that connector's URLs (the route checks which)
	accessOps                     // the instance admin token, or a project key with scope admin (the route narrows it to its project)
)

const principalKey = "intake.principal"

// require authenticates the caller and checks it may use the route.
func (a *authenticator) require(need access) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var p intake.Principal
		var err error
		if inv, ok := c.Context().UserValue(invokedKey{}).(invocation); ok {
			p = inv.p // Invoke: authenticated by the console's session
			c.SetUserContext(inv.ctx)
		} else {
			p, err = a.principal(c.UserContext(), c.Get(fiber.HeaderAuthorization), c.IP())
		}
		if err != nil {
			var e *intake.Error
			if errors.As(err, &e) && e.Code == intake.ErrRateLimited {
				if d, ok := e.Details.(map[string]int64); ok {
					c.Set(fiber.HeaderRetryAfter, strconv.FormatInt(d["retry_after"], 10))
				}
			}
			return err
		}
		switch {
		case need == accessInstance && !p.Instance:
			return intake.Errorf(intake.ErrForbidden, "this route needs the instance admin token")
		case need == accessOps && p.Instance:
		case need != accessInstance && p.Instance:
			return intake.Errorf(intake.ErrForbidden, "the instance admin token manages projects only; use a project API key")
		case (need == accessAdmin || need == accessOps) && !p.Scope.Allows(intake.ScopeAdmin):
			return intake.Errorf(intake.ErrForbidden, "this route needs an API key with scope admin")
		case need != accessConnector && p.ConnectorID != "":
			return intake.Errorf(intake.ErrForbidden, "this key belongs to connector %s and may call only its URLs", p.ConnectorID)
		}
		c.Locals(principalKey, p)
		return a.then(c)
	}
}

// Authenticate checks a key or the instance token as a Bearer one is
// checked (cached, failed attempts throttled per client), for the console's
// sign-in.
func (s *Server) Authenticate(ctx context.Context, token, client string) (intake.Principal, error) {
	return s.auth.principal(ctx, "Bearer "+token, client)
}

// principal returns the caller that require authenticated.
func principal(c *fiber.Ctx) intake.Principal {
	p, ok := c.Locals(principalKey).(intake.Principal)
	if !ok {
		panic(errors.New("api: route without require()"))
	}
	return p
}
