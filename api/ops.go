package api

import (
	"context"
	_ "embed"
	"strconv"
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
		status := c.Response().StatusCode()
		if err != nil {
			status = statusOf[asIntakeError(err).Code]
		}
		route, method := c.Route().Path, methodLabel(c.Method())
		requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
		latency.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		return err
	}
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
