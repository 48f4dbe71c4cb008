package api

import (
	"context"
	_ "embed"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/intakehq/intake"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

//go:embed openapi.json
var openapiDoc []byte

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz reports ready only when both the database and Temporal answer, so a
// load balancer sends no calls that would get 503.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return &intake.Error{Code: intake.ErrUnavailable, Message: "database is unreachable"}
	}
	if _, err := s.temporal.CheckHealth(ctx, nil); err != nil {
		return &intake.Error{Code: intake.ErrUnavailable, Message: "Temporal is unreachable"}
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

func (s *Server) metrics() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(s.opts.Registry, promhttp.HandlerOpts{}))
}

func (s *Server) openapi(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(openapiDoc)
}

// httpMetrics counts requests and their latency by route template, so label
// cardinality stays fixed whatever the IDs in paths.
func httpMetrics(reg *prometheus.Registry) fiber.Handler {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "intake_http_requests_total", Help: "HTTP requests by method, route and status.",
	}, []string{"method", "route", "status"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "intake_http_request_duration_seconds", Help: "HTTP request latency by method and route.",
		Buckets: prometheus.DefBuckets,
	}, []string{"method", "route"})
	reg.MustRegister(requests, latency)
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := answeredStatus(c, err)
		route, method := c.Route().Path, methodLabel(c.Method())
		requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
		latency.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		return err
	}
}

// answeredStatus is the status the request is answered with: its
// response's, or the one the error handler will give err.
func answeredStatus(c *fiber.Ctx, err error) int {
	if err == nil {
		return c.Response().StatusCode()
	}
	if status, ok := statusOf[asIntakeError(err).Code]; ok {
		return status
	}
	return fiber.StatusInternalServerError
}

// methodLabels are the methods a request is labelled with: a fixed set,
// so a caller cannot mint series, and constants, never the request's own
// bytes, which Fiber reuses for the next request while Prometheus keeps
// the label.
var methodLabels = map[string]string{
	fiber.MethodGet: fiber.MethodGet, fiber.MethodPost: fiber.MethodPost, fiber.MethodPut: fiber.MethodPut,
	fiber.MethodPatch: fiber.MethodPatch, fiber.MethodDelete: fiber.MethodDelete, fiber.MethodHead: fiber.MethodHead,
}

func methodLabel(m string) string {
	if l, ok := methodLabels[m]; ok {
		return l
	}
	return "OTHER"
}

const requestIDKey = "intake.requestID"

// requestID gives every answer an X-Request-Id: the caller's when it sent
// a sane one (so that a proxy's id follows the call into intake's logs),
// else a new one.
func requestID(c *fiber.Ctx) error {
	id := c.Get(fiber.HeaderXRequestID)
	if validRequestID(id) {
		id = strings.Clone(id) // kept past the handler, in the log line
	} else {
		id = intake.NewID("req")
	}
	c.Set(fiber.HeaderXRequestID, id)
	c.Locals(requestIDKey, id)
	return c.Next()
}

// validRequestID accepts ids that cannot forge a log line or a header: at
// most 128 letters, digits and . _ - : characters.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == ':') {
			return false
		}
	}
	return true
}

// accessLog writes one line per request: its route pattern (never the
// path, which can hold a token), status, duration, project and request
// id; never a key, a header or a body.
func accessLog(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := answeredStatus(c, err)
		project := ""
		if p, ok := c.Locals(principalKey).(intake.Principal); ok {
			project = p.ProjectID
			if p.Instance {
				project = "instance"
			}
		}
		rid, _ := c.Locals(requestIDKey).(string)
		log.LogAttrs(c.UserContext(), slog.LevelInfo, "request",
			slog.String("method", methodLabel(c.Method())), slog.String("route", loggedRoute(c)),
			slog.Int("status", status), slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("project", project), slog.String("request_id", rid))
		return err
	}
}
