package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// traceRequests gives each request a server span, the child of the
// caller's when it sends a traceparent, and puts it in the request's
// context: the workflow start that carries the call, and so the workflow
// and its activities, join its trace. Like the access log, the span names
// the route pattern, never the path (a codec token travels in one).
func traceRequests(c *fiber.Ctx) error {
	ctx := otel.GetTextMapPropagator().Extract(c.UserContext(), headerCarrier{c})
	method := methodLabel(c.Method())
	ctx, span := otel.Tracer("github.com/intakehq/intake/api").Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()
	c.SetUserContext(ctx)
	err := c.Next()
	status := answeredStatus(c, err)
	route := c.Route().Path
	span.SetName(method + " " + route)
	span.SetAttributes(attribute.String("http.request.method", method), attribute.String("http.route", route),
		attribute.Int("http.response.status_code", status))
	if id, ok := c.Locals(requestIDKey).(string); ok {
		span.SetAttributes(attribute.String("intake.request_id", id))
	}
	if status >= 500 {
		span.SetStatus(codes.Error, "")
	}
	return err
}

// headerCarrier reads the propagation headers of a request. Values are
// copied: baggage keeps them after the handler, when Fiber reuses its
// buffers.
type headerCarrier struct{ c *fiber.Ctx }

func (h headerCarrier) Get(key string) string { return strings.Clone(h.c.Get(key)) }

func (h headerCarrier) Set(string, string) {}

func (h headerCarrier) Keys() []string {
	var keys []string
	h.c.Request().Header.VisitAll(func(k, _ []byte) { keys = append(keys, string(k)) })
	return keys
}
