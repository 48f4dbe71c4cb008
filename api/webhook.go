package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/connectors"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/store"
	"github.com/prometheus/client_golang/prometheus"
)

// maxWebhookBody bounds a delivery; a large event travels to its workflow
// by reference.
const maxWebhookBody = MaxBody

// webhookBody reads a delivery's body before it takes an in-flight slot:
// the connector named in the URL must exist, and the body is read under
// the budget of unverified deliveries, so that slow senders without a
// signature hold bytes of that budget, never the slots verified calls
// need. webhook releases the budget once the signature is checked.
func (s *Server) webhookBody(c *fiber.Ctx) error {
	provider, ok := connectors.Lookup(c.Params("provider"))
	if !ok {
		return intake.Errorf(intake.ErrNotFound, "no provider %q", c.Params("provider"))
	}
	// Fiber reuses the request's buffers: the ID outlives the handler as a
	// cache key, so it is copied.
	conn, err := s.connector(c.UserContext(), strings.Clone(c.Query("connector_id")))
	if err != nil || conn.Type != provider.Name || !conn.Enabled {
		return intake.Errorf(intake.ErrNotFound, "no enabled %s connector %q", provider.Name, c.Query("connector_id"))
	}
	release, err := s.unverified.take(c)
	if err != nil {
		return err
	}
	defer release()
	if err := bodyWithin(c, maxWebhookBody); err != nil {
		return err
	}
	c.Locals(deliveryKey, delivery{provider: provider, conn: conn, verified: release})
	return c.Next()
}

const deliveryKey = "intake.delivery"

// delivery is what webhookBody found for webhook.
type delivery struct {
	provider connectors.Provider
	conn     store.Connector
	verified func() // releases the unverified budget
}

// webhook receives a provider's delivery: the connector's own signature
// scheme, then a call per event, acknowledged with 200 as soon as every
// event is durably in a workflow.
func (s *Server) webhook(c *fiber.Ctx) error {
	d := c.Locals(deliveryKey).(delivery)
	provider, conn := d.provider, d.conn
	settings := conn.SettingsMap()
	req := connectors.Request{Method: c.Method(), Header: http.Header{}, Body: bytes.Clone(c.Body()), Settings: settings,
		URL: s.baseURL(c) + c.OriginalURL()}
	if u := settings["public_url"]; u != "" {
		req.URL = u
	}
	c.Request().Header.VisitAll(func(k, v []byte) { req.Header.Add(string(k), string(v)) })
	if err := s.authenticateDelivery(c, provider, conn, req); err != nil {
		s.refused(provider, conn, err)
		return err
	}
	d.verified()
	// Deliveries count against their project's ceiling and take from its
	// share of the capacity, as its keys' calls do.
	limit, err := s.projectLimit(c.UserContext(), conn.ProjectID)
	if err != nil {
		return err
	}
	if err := s.limiter.project(c, conn.ProjectID, limit); err != nil {
		return err
	}
	release, err := s.inFlight.share(c, conn.ProjectID)
	if err != nil {
		return err
	}
	defer release()
	events, err := provider.Normalize(req)
	if err != nil {
		return intake.Invalid("body", "%v", err)
	}
	if settings["unmatched"] == "reject" {
		if err := s.rejectUnmatched(c.UserContext(), conn, provider, events); err != nil {
			return err
		}
	}
	headers := headersForRules(c, settings["event_id_header"])
	calls := make([]intake.Call, len(events))
	for i, e := range events {
		base := intake.Call{IngestID: intake.EventIngestID(conn.ID, e.ID), ProjectID: conn.ProjectID, ConnectorID: conn.ID,
			Source: provider.Name, EventType: e.Type, ReceivedAt: s.now().UTC()}
		if calls[i], err = activities.Webhook.Call(base, activities.NewEventInput(e, headers)); err != nil {
			return err
		}
	}
	tickets, err := s.submit(c, calls...)
	if err != nil {
		return err
	}
	started := make([]fiber.Map, len(events))
	for i, e := range events {
		started[i] = fiber.Map{"id": e.ID, "type": e.Type, "workflow_id": tickets[i].WorkflowID, "ingest_id": calls[i].IngestID}
	}
	return c.JSON(fiber.Map{"ok": true, "received": len(events), "events": started})
}

// authenticateDelivery checks a delivery: the provider's signature with the
// current secret, or the previous one during a rotation's overlap; a generic
// connector without a secret takes its own Bearer key instead.
func (s *Server) authenticateDelivery(c *fiber.Ctx, p connectors.Provider, conn store.Connector, r connectors.Request) error {
	badSig := intake.Errorf(intake.ErrInvalidSignature, "the %s signature does not verify", p.Name)
	if conn.Secret == "" {
		if p.Name != connectors.Generic.Name {
			badSig.Message = "the connector has no signing secret yet: set it with POST /api/admin/connectors/" + conn.ID + "/rotate"
			return badSig // never fall open
		}
		pr, err := s.auth.principal(c.UserContext(), c.Get(fiber.HeaderAuthorization), c.IP())
		if err != nil {
			return err
		}
		if pr.ConnectorID != conn.ID {
			return intake.Errorf(intake.ErrInvalidAPIKey, "this key is not the connector's key")
		}
		return nil
	}
	now := s.now()
	err := p.Verify([]byte(conn.Secret), r, now)
	if err != nil && conn.PreviousSecret != "" && conn.PreviousUntil != nil && now.Before(*conn.PreviousUntil) {
		err = p.Verify([]byte(conn.PreviousSecret), r, now)
	}
	if errors.Is(err, connectors.ErrSignature) {
		badSig.Message += ": " + err.Error()
		return badSig
	}
	return err
}

// rejectUnmatched answers 404 mapping_not_found, before anything starts,
// when no rule matches any event of a delivery to a connector whose
// unmatched policy is reject.
func (s *Server) rejectUnmatched(ctx context.Context, conn store.Connector, p connectors.Provider, events []intake.Event) error {
	scope := store.RuleScope{ProjectID: conn.ProjectID, ConnectorID: conn.ID}
	rules, version, err := s.store.LatestRules(ctx, scope)
	if err != nil {
		return err
	}
	prog, err := activities.RulesInForce(s.rules, scope, p.Name, rules, version)
	if err != nil {
		return err
	}
	for _, e := range events {
		for _, o := range prog.Eval(mapping.EventEnv(e)) {
			if o.Matched {
				return nil
			}
		}
	}
	return intake.Errorf(intake.ErrMappingNotFound, "no rule of this connector matches the delivery")
}

// connector looks a connector up, cached briefly like API keys: deliveries
// come in bursts.
func (s *Server) connector(ctx context.Context, id string) (store.Connector, error) {
	if !strings.HasPrefix(id, "c_") {
		return store.Connector{}, intake.Errorf(intake.ErrNotFound, "no connector %q", id)
	}
	if c, ok := s.connectors.Get(id); ok {
		return c, nil
	}
	c, err := s.store.GetConnector(ctx, id)
	if err == nil {
		s.connectors.Add(id, c)
	}
	return c, err
}

// forgetConnector drops a changed connector from the cache.
func (s *Server) forgetConnector(id string) { s.connectors.Remove(id) }

// projectLimit is a project's limit over all its keys and connectors
// (zero: none), cached like keys.
func (s *Server) projectLimit(ctx context.Context, id string) (intake.Rate, error) {
	if r, ok := s.projectLimits.Get(id); ok {
		return r, nil
	}
	p, err := s.store.GetProject(ctx, id)
	if err != nil {
		return intake.Rate{}, err
	}
	s.projectLimits.Add(strings.Clone(id), p.Rate())
	return p.Rate(), nil
}

func newSignatureFailures(reg *prometheus.Registry) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "intake_webhook_signature_failures_total", Help: "Webhook deliveries refused for their signature, by provider.",
	}, []string{"provider"})
	reg.MustRegister(c)
	return c
}
