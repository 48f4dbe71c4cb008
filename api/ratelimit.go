package api

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/redis/go-redis/v9"
)

// DefaultRateLimit is how many requests a key may make a minute unless
// the key or its project says otherwise.
const DefaultRateLimit = 100

// RateCounter counts requests in fixed windows. Hit adds one request to
// key's current window, starting the window when it is the first, and
// returns the count so far and how long the window has left. It must
// count atomically: every API process shares it.
type RateCounter interface {
	Hit(ctx context.Context, key string, window time.Duration) (count int64, left time.Duration, err error)
}

// rateLimiter limits each API key to its own requests per window. A
// counter that fails refuses the request (503 with Retry-After): a limit
// that lets everything through while Redis is down is no limit.
type rateLimiter struct {
	counter RateCounter
	minute  time.Duration // how long a limit's minute lasts; shorter in tests
}

// rateTimeout bounds a count: an unreachable Redis answers 503 quickly.
const rateTimeout = 2 * time.Second

// check applies the caller's key limit, then its project's ceiling; it
// runs after require.
func (l *rateLimiter) check(c *fiber.Ctx) error {
	p := principal(c)
	if p.Instance {
		return nil
	}
	r := p.RateLimit
	if r.IsZero() {
		r = intake.PerMinute(DefaultRateLimit)
	}
	if err := l.hit(c, "intake:rate:"+p.KeyID, r, "this API key", true); err != nil {
		return err
	}
	return l.project(c, p.ProjectID, p.ProjectRateLimit)
}

// project counts one request against a project's ceiling, over all its
// keys and connectors; none when r is zero.
func (l *rateLimiter) project(c *fiber.Ctx, projectID string, r intake.Rate) error {
	if r.IsZero() {
		return nil
	}
	return l.hit(c, "intake:rate:project:"+projectID, r, "this project", false)
}

// hit counts one request under key against r; headers shows the count in
// X-RateLimit-* (the key's count; the project's ceiling shows only when it
// refuses). Each unit counts under a key of its own, so that a limit
// changed from an hour to a minute does not inherit the hour's window.
func (l *rateLimiter) hit(c *fiber.Ctx, key string, r intake.Rate, who string, headers bool) error {
	window := l.minute
	if r.Per == time.Hour {
		window, key = 60*l.minute, key+":h"
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), rateTimeout)
	n, left, err := l.counter.Hit(ctx, key, window)
	cancel()
	if err != nil {
		c.Set(fiber.HeaderRetryAfter, "1")
		return &intake.Error{Code: intake.ErrUnavailable, Message: "the rate-limit store is unreachable; retry later"}
	}
	max := int64(r.N)
	reset := max64(1, int64((left+time.Second-1)/time.Second))
	if headers || n > max {
		c.Set("X-RateLimit-Limit", strconv.Itoa(r.N))
		c.Set("X-RateLimit-Remaining", strconv.FormatInt(max64(0, max-n), 10))
		c.Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
		// The draft IETF RateLimit-Policy names the window, which
		// X-RateLimit-Limit alone does not: 100;w=3600 is 100 an hour.
		c.Set("RateLimit-Policy", fmt.Sprintf("%d;w=%d", r.N, int64(r.Per/time.Second)))
	}
	if n > max {
		c.Set(fiber.HeaderRetryAfter, strconv.FormatInt(reset, 10))
		return intake.Errorf(intake.ErrRateLimited, "%s may make %d requests per %s; retry after %d seconds", who, r.N, r.Unit(), reset)
	}
	return nil
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// memoryCounter counts in this process, for a single API process (intake
// dev, tests).
type memoryCounter struct {
	mu      sync.Mutex
	windows map[string]memoryWindow
	swept   time.Time
}

type memoryWindow struct {
	n    int64
	ends time.Time
}

func newMemoryCounter() *memoryCounter { return &memoryCounter{windows: map[string]memoryWindow{}} }

// count is key's count in its current window, and the time it has left.
func (m *memoryCounter) count(key string) (int64, time.Duration) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	w, ok := m.windows[key]
	if !ok || !w.ends.After(now) {
		return 0, 0
	}
	return w.n, w.ends.Sub(now)
}

func (m *memoryCounter) Hit(_ context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.swept) > window {
		// Forget ended windows, so that keys seen once do not accumulate.
		for k, w := range m.windows {
			if !w.ends.After(now) {
				delete(m.windows, k)
			}
		}
		m.swept = now
	}
	// A key can be a Fiber string (a client address read from
	// X-Forwarded-For), whose bytes the next request overwrites. It is
	// copied on every hit, not only the first: assigning to a string key
	// already in a map stores the new key's bytes too (the runtime updates
	// string keys in place), so the map would hold the Fiber bytes again.
	key = strings.Clone(key)
	w := m.windows[key]
	if !w.ends.After(now) {
		w = memoryWindow{ends: now.Add(window)}
	}
	w.n++
	m.windows[key] = w
	return w.n, w.ends.Sub(now), nil
}

// redisCounter counts in Redis, shared by every API process: INCR and the
// window's expiry in one script, one round trip, so that no replica's count
// is lost to another's and no window outlives its expiry.
type redisCounter struct{ rc redis.UniversalClient }

// NewRedisCounter counts requests in the Redis that rc reaches.
func NewRedisCounter(rc redis.UniversalClient) RateCounter { return redisCounter{rc} }

var hitScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {n, left}`)

func (r redisCounter) Hit(ctx context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	v, err := hitScript.Run(ctx, r.rc, []string{key}, window.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, 0, err
	}
	if len(v) != 2 {
		return 0, 0, redis.Nil
	}
	return v[0], time.Duration(v[1]) * time.Millisecond, nil
}
