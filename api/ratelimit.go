package api

import (
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/intakehq/intake"
)

// DefaultRateLimit is how many requests a key may make per window unless
// the key or its project says otherwise.
const DefaultRateLimit = 100

// rateLimiter limits each API key to its own requests per window, counted in
// a storage that all API processes share. Fiber's limiter takes one Max per
// instance, so there is one instance per distinct limit, all counting under
// the key's ID: changing a key's limit keeps its count.
type rateLimiter struct {
	storage fiber.Storage
	window  time.Duration
	mu      sync.Mutex
	byMax   map[int]fiber.Handler
}

func newRateLimiter(storage fiber.Storage, window time.Duration) *rateLimiter {
	return &rateLimiter{storage: storage, window: window, byMax: map[int]fiber.Handler{}}
}

func (l *rateLimiter) handler(max int) fiber.Handler {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h, ok := l.byMax[max]; ok {
		return h
	}
	window := l.window
	h := limiter.New(limiter.Config{
		Max:          max,
		Expiration:   window,
		Storage:      l.storage,
		KeyGenerator: func(c *fiber.Ctx) string { return "intake:rate:" + principal(c).KeyID },
		LimitReached: func(c *fiber.Ctx) error {
			return intake.Errorf(intake.ErrRateLimited, "this API key may make %d requests per %s; retry after %s seconds",
				max, window, c.GetRespHeader(fiber.HeaderRetryAfter))
		},
	})
	l.byMax[max] = h
	return h
}

// limit applies the caller's key limit; it runs after require.
func (l *rateLimiter) limit(c *fiber.Ctx) error {
	p := principal(c)
	if p.Instance {
		return c.Next()
	}
	max := p.RateLimit
	if max <= 0 {
		max = DefaultRateLimit
	}
	return l.handler(max)(c)
}

// storageErrors makes a failing limiter storage answer 503 unavailable
// rather than 500: nothing was accepted and a retry may succeed.
type storageErrors struct{ fiber.Storage }

func (s storageErrors) Get(key string) ([]byte, error) {
	v, err := s.Storage.Get(key)
	return v, unavailable(err)
}

func (s storageErrors) Set(key string, val []byte, exp time.Duration) error {
	return unavailable(s.Storage.Set(key, val, exp))
}

func unavailable(err error) error {
	if err == nil {
		return nil
	}
	return &intake.Error{Code: intake.ErrUnavailable, Message: "the rate-limit store is unreachable; retry later"}
}
