package api

import (
	"strconv"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultMaxInFlight is how many ingest and webhook calls one API process
// works on at once unless told otherwise: enough to keep Temporal busy,
// few enough that a flood queues in callers' retries, not in this
// process's memory.
const DefaultMaxInFlight = 512

// shedRetryAfter is what a shed call is asked to wait, in seconds: in-flight
// calls take milliseconds, so a slot is soon free.
const shedRetryAfter = 1

// inFlight caps the calls being worked on; past the cap a call is refused
// at once with 503 and Retry-After, before its body is decoded or anything
// is started, so nothing of it is accepted.
type inFlight struct {
	slots chan struct{}
	shed  prometheus.Counter
	// held counts each project's calls in flight, for its fair share.
	mu   sync.Mutex
	held map[string]int
}

func newInFlight(max int, reg *prometheus.Registry) *inFlight {
	shed := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "intake_calls_shed_total", Help: "Ingest and webhook calls refused with 503 because the process was at its in-flight limit.",
	})
	reg.MustRegister(shed)
	return &inFlight{slots: make(chan struct{}, max), shed: shed, held: map[string]int{}}
}

// inFlightKey marks a request that holds one of the process's slots.
const inFlightKey = "intake.inflight"

func (l *inFlight) limit(c *fiber.Ctx) error {
	select {
	case l.slots <- struct{}{}:
		defer func() { <-l.slots }()
		c.Locals(inFlightKey, true)
		return c.Next()
	default:
		l.shed.Inc()
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(shedRetryAfter))
		return intake.Errorf(intake.ErrUnavailable, "intake is at capacity (%d calls in flight); retry after %d s", cap(l.slots), shedRetryAfter)
	}
}

// share holds one of a project's share of the in-flight slots for the
// rest of the request, once its project is known: one tenant's flood may
// take at most three quarters of the slots alone, and as many as the
// others when several have calls in flight, so every other tenant still
// finds slots. Requests that hold no slot (admin routes) pass.
func (l *inFlight) share(c *fiber.Ctx, projectID string) (release func(), err error) {
	if held, _ := c.Locals(inFlightKey).(bool); !held || projectID == "" {
		return func() {}, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	active := len(l.held)
	if l.held[projectID] == 0 {
		active++
	}
	share := min(cap(l.slots)*3/4, cap(l.slots)/active)
	if l.held[projectID] >= max(share, 1) {
		l.shed.Inc()
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(shedRetryAfter))
		return nil, intake.Errorf(intake.ErrUnavailable, "this project has its share of intake's capacity in flight (%d calls); retry after %d s",
			l.held[projectID], shedRetryAfter)
	}
	l.held[projectID]++
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.held[projectID]--; l.held[projectID] <= 0 {
			delete(l.held, projectID)
		}
	}, nil
}
