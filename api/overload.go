package api

import (
	"strconv"

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
}

func newInFlight(max int, reg *prometheus.Registry) *inFlight {
	shed := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "intake_calls_shed_total", Help: "Ingest and webhook calls refused with 503 because the process was at its in-flight limit.",
	})
	reg.MustRegister(shed)
	return &inFlight{slots: make(chan struct{}, max), shed: shed}
}

func (l *inFlight) limit(c *fiber.Ctx) error {
	select {
	case l.slots <- struct{}{}:
		defer func() { <-l.slots }()
		return c.Next()
	default:
		l.shed.Inc()
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(shedRetryAfter))
		return intake.Errorf(intake.ErrUnavailable, "intake is at capacity (%d calls in flight); retry after %d s", cap(l.slots), shedRetryAfter)
	}
}
