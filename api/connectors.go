package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/connectors"
	"github.com/intakehq/intake/store"
)

// signedProviders cannot work without a secret: verification never falls
// open. One may be created without it, since a provider such as Stripe
// shows the secret only once it has the connector's URL: until the secret
// is set (POST …/rotate), every delivery is refused.
var signedProviders = map[string]bool{"stripe": true, "hubspot": true, "quickbooks": true}

// connectorSettings are the settings a connector takes, each checked.
var connectorSettings = map[string]func(string) error{
	"timezone": func(v string) error {
		_, err := time.LoadLocation(v)
		return err
	},
	"unmatched": func(v string) error {
		if v != "inbox" && v != "reject" {
			return errorString(`must be "inbox" or "reject"`)
		}
		return nil
	},
	"public_url": func(v string) error {
		if u, err := url.Parse(v); err != nil || u.Scheme == "" || u.Host == "" {
			return errorString("must be an absolute URL")
		}
		return nil
	},
	"legacy_signatures": func(v string) error {
		if v != "true" && v != "false" {
			return errorString("must be true or false")
		}
		return nil
	},
	"signature_scheme": func(v string) error {
		if v != "hmac" && v != "standard" {
			return errorString(`must be "hmac" (an HMAC of the body) or "standard" (Standard Webhooks)`)
		}
		return nil
	},
	// The event id must be signed, or a captured delivery could be
	// replayed under new ids: from the body (event_id_path), or Standard
	// Webhooks' webhook-id. An unsigned header is refused.
	"event_id_header": func(v string) error {
		if !strings.EqualFold(v, connectors.StandardID) {
			return errorString(`must be "webhook-id", signed with signature_scheme "standard"; an unsigned header would let a ` +
				`captured delivery be replayed under new ids (use event_id_path for an id in the body)`)
		}
		return nil
	},
	"signature_header": func(v string) error {
		if credentialHeader(v) && !strings.Contains(strings.ToLower(v), "signature") {
			return errorString("must not be a credential header")
		}
		return nil
	},
	"event_id_path": anyString, "event_type_path": anyString,
}

// credentialHeader reports a header that carries a credential, which no
// setting may expose (as an event id, to rules).
func credentialHeader(name string) bool {
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization", "cookie", "x-api-key":
		return true
	}
	return strings.Contains(strings.ToLower(name), "signature")
}

func anyString(string) error { return nil }

// connectorJSON is a connector as the admin API shows it: never its secret.
type connectorJSON struct {
	store.Connector
	Settings   map[string]string `json:"settings"`
	HasSecret  bool              `json:"has_secret"`
	WebhookURL string            `json:"webhook_url"`
	// SalesURL is a intake.SalesDash connector's second URL; WebhookURL is its
	// activities URL.
	SalesURL string `json:"sales_url,omitempty"`
	Key      string `json:"key,omitempty"`
	health
}

func (s *Server) showConnector(c *fiber.Ctx, conn store.Connector) connectorJSON {
	out := connectorJSON{Connector: conn, Settings: conn.SettingsMap(), HasSecret: conn.Secret != "",
		WebhookURL: s.baseURL(c) + "/api/webhook/" + conn.Type + "?connector_id=" + conn.ID}
	if conn.Type == intake.SalesDash {
		base := s.baseURL(c) + "/api/connectors/" + conn.ID
		out.WebhookURL, out.SalesURL = base+"/activities", base+"/sales"
		if _, ok := out.Settings["timezone"]; !ok {
			out.Settings["timezone"] = intake.DefaultTimezone
		}
	}
	return out
}

// baseURL is INTAKE_PUBLIC_URL, else what this request was sent to.
func (s *Server) baseURL(c *fiber.Ctx) string {
	if s.opts.PublicURL != "" {
		return strings.TrimRight(s.opts.PublicURL, "/")
	}
	return c.BaseURL()
}

func parseSettings(o object) (map[string]string, error) {
	out := map[string]string{}
	raw, ok := o["settings"]
	if !ok || isNull(raw) {
		return out, nil
	}
	var m map[string]any
	if raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		return nil, intake.Invalid("settings", "settings must be an object")
	}
	for k, v := range m {
		check, ok := connectorSettings[k]
		if !ok {
			return nil, intake.Invalid("settings."+k, "unknown setting %q", k)
		}
		str, ok := v.(string)
		if b, isBool := v.(bool); isBool {
			str, ok = map[bool]string{true: "true", false: "false"}[b], true
		}
		if !ok {
			return nil, intake.Invalid("settings."+k, "settings.%s must be a string", k)
		}
		if err := check(str); err != nil {
			return nil, intake.Invalid("settings."+k, "settings.%s %v", k, err)
		}
		out[k] = str
	}
	if out["event_id_header"] != "" && out["signature_scheme"] != "standard" {
		return nil, intake.Invalid("settings.event_id_header", `settings.event_id_header is only signed with signature_scheme "standard"`)
	}
	return out, nil
}

func (s *Server) createConnector(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	typ, err := o.requiredStr("type", 40)
	if err != nil {
		return err
	}
	if _, ok := connectors.Lookup(typ); !ok && typ != intake.SalesDash {
		return intake.Invalid("type", "type must be one of %s", strings.Join(append(connectors.Names(), intake.SalesDash), ", "))
	}
	name, err := o.requiredStr("name", 200)
	if err != nil {
		return err
	}
	secret, err := o.str("secret", 500)
	if err != nil {
		return err
	}
	settings, err := parseSettings(o)
	if err != nil {
		return err
	}
	if settings["signature_scheme"] == "standard" && secret == "" {
		return intake.Invalid("secret", `signature_scheme "standard" needs the signing secret (whsec_… or the key itself)`)
	}
	limit, err := o.rateLimit()
	if err != nil {
		return err
	}
	if err := underCeiling(principal(c), limit); err != nil {
		return err
	}
	raw, _ := json.Marshal(settings)
	p := principal(c)
	conn := store.Connector{ID: intake.NewID("c"), ProjectID: p.ProjectID, Type: typ, Name: name, Secret: secret,
		Settings: string(raw), Enabled: true}
	var key *store.APIKey
	var plain string
	// A connector verified by its signature needs no key: one would be a
	// second credential that outlives the secret's rotation.
	if typ == connectors.Generic.Name && secret == "" || typ == intake.SalesDash {
		plain = intake.NewAPIKey()
		k := newKeyRow(plain, name+" (connector)", intake.ScopeIngest, nil)
		k.ProjectID, k.ConnectorID = p.ProjectID, conn.ID
		k.SetRate(limit)
		key = &k
	} else if !limit.IsZero() {
		return intake.Invalid("rate_limit", "only generic and salesdash connectors have a key to limit")
	}
	if err := s.store.CreateConnector(c.UserContext(), &conn, key); err != nil {
		return err
	}
	out := s.showConnector(c, conn)
	out.Key = plain
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) listConnectors(c *fiber.Ctx) error {
	return paged(c, func(ctx context.Context, pg store.Page) ([]connectorJSON, string, error) {
		rows, next, err := s.store.ListConnectors(ctx, principal(c).ProjectID, pg)
		out, next, err := mapRows(rows, next, err, func(conn store.Connector) connectorJSON { return s.showConnector(c, conn) })
		if err != nil {
			return nil, "", err
		}
		return out, next, s.withHealth(ctx, principal(c).ProjectID, out)
	})
}

func (s *Server) getConnector(c *fiber.Ctx) error {
	conn, err := s.store.GetConnector(c.UserContext(), c.Params("id"))
	if err != nil || conn.ProjectID != principal(c).ProjectID {
		return intake.Errorf(intake.ErrNotFound, "connector not found")
	}
	out := []connectorJSON{s.showConnector(c, conn)}
	if err := s.withHealth(c.UserContext(), conn.ProjectID, out); err != nil {
		return err
	}
	return c.JSON(out[0])
}

// updateConnector changes a connector's name, settings or enabled state.
func (s *Server) updateConnector(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	name, err := o.str("name", 200)
	if err != nil {
		return err
	}
	var settings map[string]string
	if _, ok := o["settings"]; ok {
		if settings, err = parseSettings(o); err != nil {
			return err
		}
	}
	var enabled *bool
	if raw, ok := o["enabled"]; ok && !isNull(raw) {
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return intake.Invalid("enabled", "enabled must be true or false")
		}
		enabled = &b
	}
	conn, err := s.store.UpdateConnector(c.UserContext(), principal(c).ProjectID, c.Params("id"), func(conn *store.Connector) error {
		if name != "" {
			conn.Name = name
		}
		if settings != nil {
			raw, _ := json.Marshal(settings)
			conn.Settings = string(raw)
		}
		if enabled != nil {
			conn.Enabled = *enabled
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.forgetConnector(conn.ID)
	return c.JSON(s.showConnector(c, conn))
}

// defaultOverlap is how long a rotated-out secret still verifies.
const defaultOverlap = 24 * time.Hour

// rotateSecret sets a new signing secret; the old one keeps verifying for
// the overlap (default 24h) while the provider is switched over.
func (s *Server) rotateSecret(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	secret, err := o.requiredStr("secret", 500)
	if err != nil {
		return err
	}
	overlap := defaultOverlap
	if v, err := o.str("overlap", 20); err != nil {
		return err
	} else if v != "" {
		if overlap, err = time.ParseDuration(v); err != nil || overlap < 0 || overlap > 30*24*time.Hour {
			return intake.Invalid("overlap", "overlap must be a duration such as 24h, at most 720h")
		}
	}
	now := s.now().UTC()
	conn, err := s.store.UpdateConnector(c.UserContext(), principal(c).ProjectID, c.Params("id"), func(conn *store.Connector) error {
		if conn.Secret == "" { // the first secret: there is none to overlap with
			conn.Secret = secret
			return nil
		}
		until := now.Add(overlap)
		conn.PreviousSecret, conn.PreviousUntil, conn.Secret = conn.Secret, &until, secret
		return nil
	})
	if err != nil {
		return err
	}
	s.forgetConnector(conn.ID)
	return c.JSON(s.showConnector(c, conn))
}

// rotateKey gives a generic or SalesDash connector a new Bearer key, shown
// once; the previous key keeps working for overlap (none by default: a
// key rotated because it leaked should stop at once).
func (s *Server) rotateKey(c *fiber.Ctx) error {
	o, err := decodeObject(append([]byte(nil), orEmptyObject(c.Body())...))
	if err != nil {
		return err
	}
	var overlap time.Duration
	if v, err := o.str("overlap", 20); err != nil {
		return err
	} else if v != "" {
		if overlap, err = time.ParseDuration(v); err != nil || overlap < 0 || overlap > 30*24*time.Hour {
			return intake.Invalid("overlap", "overlap must be a duration such as 1h, at most 720h")
		}
	}
	p := principal(c)
	plain := intake.NewAPIKey()
	conn, err := s.store.GetConnector(c.UserContext(), strings.Clone(c.Params("id")))
	if err != nil || conn.ProjectID != p.ProjectID {
		return intake.Errorf(intake.ErrNotFound, "connector not found")
	}
	key := newKeyRow(plain, conn.Name+" (connector)", intake.ScopeIngest, nil)
	now := s.now().UTC()
	conn, old, err := s.store.RotateConnectorKey(c.UserContext(), p.ProjectID, conn.ID, &key, now, now.Add(overlap))
	if err != nil {
		return err
	}
	s.auth.forget(old.Hash)
	s.forgetConnector(conn.ID)
	out := s.showConnector(c, conn)
	out.Key = plain
	return c.JSON(out)
}

// orEmptyObject lets a body-less POST mean {}.
func orEmptyObject(b []byte) []byte {
	if len(bytes.TrimSpace(b)) == 0 {
		return []byte("{}")
	}
	return b
}
