package console

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/connectors"
	"github.com/intakehq/intake/store"
)

// mountConnectors adds the Connectors pages: create, secrets shown once, rotate, deliveries and signature failures.
func (k *console) mountConnectors(g fiber.Router) {
	g.Get("/connectors", k.require, k.project, k.connectors)
	g.Post("/connectors", k.require, k.project, readForm, k.checkCSRF, k.createConnector)
	g.Get("/connectors/:id", k.require, k.project, k.connector)
	g.Post("/connectors/:id/enabled", k.require, k.project, readForm, k.checkCSRF, k.enableConnector)
	g.Post("/connectors/:id/rotate", k.require, k.project, readForm, k.checkCSRF, k.rotateConnectorSecret)
	g.Post("/connectors/:id/rotate-key", k.require, k.project, readForm, k.checkCSRF, k.rotateConnectorKey)
}

// apiConnector is a connector as the API answers it.
type apiConnector struct {
	ID         string            `json:"id"`
	Type       string            `json:"type"`
	Name       string            `json:"name"`
	Enabled    bool              `json:"enabled"`
	HasSecret  bool              `json:"has_secret"`
	KeyID      string            `json:"key_id"`
	Key        string            `json:"key"`
	WebhookURL string            `json:"webhook_url"`
	SalesURL   string            `json:"sales_url"`
	Settings   map[string]string `json:"settings"`
	CreatedAt  time.Time         `json:"created_at"`
	Previous   *time.Time        `json:"previous_secret_until"`
	Failures   struct {
		Last24h    int64      `json:"last_24h"`
		LastAt     *time.Time `json:"last_at"`
		LastReason string     `json:"last_reason"`
	} `json:"signature_failures"`
	Deliveries struct {
		Last24h int64 `json:"last_24h"`
	} `json:"deliveries"`
}

// connectorRow is a connector as the pages show it.
type connectorRow struct {
	ID, Type, Name, WebhookURL, SalesURL, Created, PreviousUntil string
	Enabled, HasSecret, HasKey                                   bool
	Deliveries, Failures                                         int64
	LastFailure, LastReason                                      string
	Settings                                                     [][2]string
}

func showConnector(a apiConnector) connectorRow {
	r := connectorRow{ID: a.ID, Type: a.Type, Name: a.Name, WebhookURL: a.WebhookURL, SalesURL: a.SalesURL,
		Created: a.CreatedAt.UTC().Format(time.DateTime), Enabled: a.Enabled, HasSecret: a.HasSecret, HasKey: a.KeyID != "",
		Deliveries: a.Deliveries.Last24h, Failures: a.Failures.Last24h, LastReason: a.Failures.LastReason}
	if a.Failures.LastAt != nil {
		r.LastFailure = a.Failures.LastAt.UTC().Format(time.DateTime)
	}
	if a.Previous != nil {
		r.PreviousUntil = a.Previous.UTC().Format(time.DateTime)
	}
	for name, v := range a.Settings {
		r.Settings = append(r.Settings, [2]string{name, v})
	}
	sort.Slice(r.Settings, func(i, j int) bool { return r.Settings[i][0] < r.Settings[j][0] })
	return r
}

// connectorsData is the Connectors page's own view.
type connectorsData struct {
	Connectors []connectorRow
	Types      []string
	// Created is the connector just made, with its URLs to copy; Secret
	// its key or generated secret, shown this once (SecretKind says which).
	Created            *connectorRow
	Secret, SecretKind string
	// Invalid marks the form field the API refused.
	Invalid map[string]bool
}

// connectorData is a connector's page's own view.
type connectorData struct {
	Conn               connectorRow
	Calls              []callRow
	Filtered           bool // calltable reads it
	Next               string
	Secret, SecretKind string
	Invalid            map[string]bool
}

// connectorTypes are what a connector can be: the providers, and SalesDash.
func connectorTypes() []string { return append(connectors.Names(), intake.SalesDash) }

// connectorSettings are the settings the create form offers; the API
// checks each. Empty ones are not sent.
var connectorSettings = []string{"unmatched", "timezone", "signature_scheme", "signature_header", "event_id_path", "event_type_path", "public_url"}

// apiURI is an API path as called at this request's own address, so the
// webhook URLs the API builds name it when no public URL is configured.
func apiURI(c *fiber.Ctx, path string) string { return c.BaseURL() + path }

// connectors lists the project's connectors with the form to add one.
func (k *console) connectors(c *fiber.Ctx) error {
	return k.connectorsPage(c, fiber.StatusOK, k.formView(c, "Connectors"), connectorsData{})
}

func (k *console) connectorsPage(c *fiber.Ctx, status int, v view, d connectorsData) error {
	code, answer, err := k.invoke(c, fiber.MethodGet, apiURI(c, "/api/admin/connectors?limit=200"), nil)
	if err != nil {
		return err
	}
	if code != fiber.StatusOK {
		e, _ := errorOf(answer)
		return intake.Errorf(intake.ErrInternal, "listing connectors: %s", e.Message)
	}
	var list struct{ Data []apiConnector }
	if err := json.Unmarshal(answer, &list); err != nil {
		return err
	}
	for _, a := range list.Data {
		d.Connectors = append(d.Connectors, showConnector(a))
	}
	d.Types = connectorTypes()
	if v.Form == nil {
		v.Form = map[string]string{"type": "stripe", "unmatched": "inbox"}
	}
	v.Data = d
	return render(c, status, "connectors.html", v)
}

// createConnector is POST /api/admin/connectors from the form. A key the
// API made, or a secret generated here, is shown in this answer only.
func (k *console) createConnector(c *fiber.Ctx) error {
	form := map[string]string{"type": c.FormValue("type"), "name": strings.TrimSpace(c.FormValue("name"))}
	body := map[string]any{"type": form["type"], "name": form["name"]}
	settings := map[string]string{}
	for _, name := range connectorSettings {
		if form[name] = strings.TrimSpace(c.FormValue(name)); form[name] != "" {
			settings[name] = form[name]
		}
	}
	if len(settings) > 0 {
		body["settings"] = settings
	}
	secret, generated := strings.TrimSpace(c.FormValue("secret")), c.FormValue("generate") == "on"
	if generated {
		form["generate"] = "on"
	}
	if generated && form["type"] != "generic" {
		// A provider signs with the secret it gives; one made here would
		// refuse every delivery.
		v := k.formView(c, "Connectors")
		v.Form, v.Error = form, "generate: only a generic connector's secret can be made here; "+form["type"]+" gives you its own"
		return k.connectorsPage(c, fiber.StatusUnprocessableEntity, v, connectorsData{Invalid: map[string]bool{"generate": true}})
	}
	if generated && secret == "" {
		secret = newSecret()
	}
	if secret != "" {
		body["secret"] = secret
	}
	status, answer, err := k.invoke(c, fiber.MethodPost, apiURI(c, "/api/admin/connectors"), body)
	if err != nil {
		return err
	}
	v := k.formView(c, "Connectors")
	if status != fiber.StatusCreated {
		// The secret is not written back into the page.
		v.Form = form
		v.Error = refusal(answer)
		return k.connectorsPage(c, fiber.StatusUnprocessableEntity, v, connectorsData{Invalid: invalid(answer)})
	}
	var a apiConnector
	if err := json.Unmarshal(answer, &a); err != nil {
		return err
	}
	row := showConnector(a)
	d := connectorsData{Created: &row}
	switch {
	case a.Key != "":
		d.Secret, d.SecretKind = a.Key, "key"
	case generated:
		d.Secret, d.SecretKind = secret, "secret"
	}
	return k.connectorsPage(c, fiber.StatusCreated, v, d)
}

// newSecret is a signing secret for a generic connector, in the whsec_
// form Standard Webhooks senders take (HMAC senders use it as it is).
func newSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// refusal is the API's message for a refused form, naming its field.
func refusal(answer []byte) string {
	e, _ := errorOf(answer)
	if e.Field != "" && !strings.Contains(e.Message, e.Field) {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// invalid marks the form field of the field the API refused: a setting's
// is named for the setting alone.
func invalid(answer []byte) map[string]bool {
	e, _ := errorOf(answer)
	return map[string]bool{strings.TrimPrefix(e.Field, "settings."): e.Field != ""}
}

// connector shows one connector: its URLs, settings, recent deliveries
// and signature failures, and the forms that change it.
func (k *console) connector(c *fiber.Ctx) error {
	return k.connectorPage(c, fiber.StatusOK, k.formView(c, "Connector"), connectorData{})
}

func (k *console) connectorPage(c *fiber.Ctx, status int, v view, d connectorData) error {
	a, found, err := k.fetchConnector(c)
	if err != nil {
		return err
	}
	if !found {
		v.Title = "Not found"
		return render(c, fiber.StatusNotFound, "connector.html", v)
	}
	d.Conn = showConnector(a)
	sess := c.Locals(sessionKey).(store.ConsoleSession)
	var next string
	d.Calls, next, err = k.callRows(c.UserContext(), sess.ProjectID, store.CallFilter{ConnectorID: a.ID}, store.Page{Limit: 25, Cursor: c.Query("cursor")})
	if err != nil {
		return err
	}
	if next != "" {
		d.Next = "/console/connectors/" + url.PathEscape(a.ID) + "?" + url.Values{"cursor": {next}}.Encode()
	}
	v.Title, v.Data = a.Name, d
	if v.Notice == "" {
		v.Notice = map[string]string{"enabled": "Connector enabled: deliveries are accepted.",
			"disabled": "Connector disabled: deliveries are refused with 404 until it is enabled again."}[c.Query("done")]
	}
	return render(c, status, "connector.html", v)
}

// fetchConnector is GET /api/admin/connectors/{id}; found is false for
// an id that is not one of the project's connectors.
func (k *console) fetchConnector(c *fiber.Ctx) (apiConnector, bool, error) {
	var a apiConnector
	status, answer, err := k.invoke(c, fiber.MethodGet, apiURI(c, "/api/admin/connectors/"+url.PathEscape(c.Params("id"))), nil)
	if err != nil || status == fiber.StatusNotFound {
		return a, false, err
	}
	if status != fiber.StatusOK {
		e, _ := errorOf(answer)
		return a, false, intake.Errorf(intake.ErrInternal, "reading the connector: %s", e.Message)
	}
	return a, true, json.Unmarshal(answer, &a)
}

// enableConnector is PATCH /api/admin/connectors/{id} {enabled}.
func (k *console) enableConnector(c *fiber.Ctx) error {
	on := c.FormValue("enabled") == "true"
	status, answer, err := k.invoke(c, fiber.MethodPatch, apiURI(c, "/api/admin/connectors/"+url.PathEscape(c.Params("id"))), map[string]any{"enabled": on})
	if err != nil {
		return err
	}
	if status != fiber.StatusOK {
		return k.connectorRefused(c, status, answer)
	}
	done := map[bool]string{true: "enabled", false: "disabled"}[on]
	return c.Redirect("/console/connectors/"+url.PathEscape(c.Params("id"))+"?done="+done, fiber.StatusSeeOther)
}

// rotateConnectorSecret is POST /api/admin/connectors/{id}/rotate: the
// secret pasted, or one generated here and shown once.
func (k *console) rotateConnectorSecret(c *fiber.Ctx) error {
	secret, generated := strings.TrimSpace(c.FormValue("secret")), false
	if secret == "" && c.FormValue("generate") == "on" {
		secret, generated = newSecret(), true
	}
	body := map[string]any{"secret": secret}
	if o := strings.TrimSpace(c.FormValue("overlap")); o != "" {
		body["overlap"] = o
	}
	status, answer, err := k.invoke(c, fiber.MethodPost, apiURI(c, "/api/admin/connectors/"+url.PathEscape(c.Params("id"))+"/rotate"), body)
	if err != nil {
		return err
	}
	if status != fiber.StatusOK {
		return k.connectorRefused(c, status, answer)
	}
	v := k.formView(c, "Connector")
	v.Notice = "Secret rotated: the previous one verifies until the time shown, while the sender switches over."
	d := connectorData{}
	if generated {
		d.Secret, d.SecretKind = secret, "secret"
	}
	return k.connectorPage(c, fiber.StatusOK, v, d)
}

// rotateConnectorKey is POST /api/admin/connectors/{id}/rotate-key; the
// new key is shown once.
func (k *console) rotateConnectorKey(c *fiber.Ctx) error {
	body := map[string]any{}
	if o := strings.TrimSpace(c.FormValue("overlap")); o != "" {
		body["overlap"] = o
	}
	status, answer, err := k.invoke(c, fiber.MethodPost, apiURI(c, "/api/admin/connectors/"+url.PathEscape(c.Params("id"))+"/rotate-key"), body)
	if err != nil {
		return err
	}
	if status != fiber.StatusOK {
		return k.connectorRefused(c, status, answer)
	}
	var a apiConnector
	if err := json.Unmarshal(answer, &a); err != nil {
		return err
	}
	v := k.formView(c, "Connector")
	v.Notice = "Key rotated: the previous key stops working at the end of the overlap."
	return k.connectorPage(c, fiber.StatusOK, v, connectorData{Secret: a.Key, SecretKind: "key"})
}

// connectorRefused shows a refused change on the connector's page (404
// for a connector that is not the project's).
func (k *console) connectorRefused(c *fiber.Ctx, status int, answer []byte) error {
	v := k.formView(c, "Connector")
	if status == fiber.StatusNotFound {
		v.Title = "Not found"
		return render(c, fiber.StatusNotFound, "connector.html", v)
	}
	v.Error = refusal(answer)
	return k.connectorPage(c, fiber.StatusUnprocessableEntity, v, connectorData{Invalid: invalid(answer)})
}
