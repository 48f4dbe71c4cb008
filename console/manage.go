package console

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// invoke runs an API request as the session (Options.Invoke). A 5xx is the
// infrastructure's, and an error here; anything else is the API's answer.
func (k *console) invoke(c *fiber.Ctx, method, uri string, body any) (int, []byte, error) {
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	status, answer := k.o.Invoke(c.UserContext(), c.Locals(principalKey).(intake.Principal), method, uri, raw)
	if status >= 500 {
		e, _ := errorOf(answer)
		return status, answer, intake.Errorf(intake.ErrUnavailable, "%s", e.Message)
	}
	return status, answer, nil
}

// formView is a signed-in page's view, with what its header and forms
// need.
func (k *console) formView(c *fiber.Ctx, title string) view {
	sess := c.Locals(sessionKey).(store.ConsoleSession)
	return view{Title: title, Session: true, CSRF: csrfToken(sess), Who: c.Locals(whoKey).(string), Instance: sess.Instance,
		InProject: sess.ProjectID != ""}
}

// metrics lists the project's metrics with a form to create one.
func (k *console) metrics(c *fiber.Ctx) error {
	return k.metricsPage(c, fiber.StatusOK, k.formView(c, "Metrics"))
}

func (k *console) metricsPage(c *fiber.Ctx, status int, v view) error {
	sess := c.Locals(sessionKey).(store.ConsoleSession)
	rows, _, err := k.o.Store.ListMetrics(c.UserContext(), sess.ProjectID, store.Page{Limit: 200})
	if err != nil {
		return err
	}
	for _, m := range rows {
		v.Metrics = append(v.Metrics, showMetric(m))
	}
	switch c.Query("done") {
	case "created":
		v.Notice = "Metric created."
	case "deleted":
		v.Notice = "Metric deleted, with its points."
	}
	return render(c, status, "metrics.html", v)
}

// createMetric is POST /api/admin/metrics from the form.
func (k *console) createMetric(c *fiber.Ctx) error {
	form := map[string]any{"key": strings.TrimSpace(c.FormValue("key")), "name": strings.TrimSpace(c.FormValue("name"))}
	if unit := strings.TrimSpace(c.FormValue("unit")); unit != "" {
		form["unit"] = unit
	}
	status, answer, err := k.invoke(c, fiber.MethodPost, "/api/admin/metrics", form)
	if err != nil {
		return err
	}
	if status != fiber.StatusCreated {
		v := k.formView(c, "Metrics")
		e, _ := errorOf(answer)
		v.Error, v.Form = e.Message, map[string]string{"key": c.FormValue("key"), "name": c.FormValue("name"), "unit": c.FormValue("unit")}
		return k.metricsPage(c, fiber.StatusUnprocessableEntity, v)
	}
	return c.Redirect("/console/metrics?done=created", fiber.StatusSeeOther)
}

type keyRow struct {
	ID, Name, Scope, Prefix, Created, LastUsed, State string
	Revocable                                         bool
}

// keys lists the project's API keys with their last use.
func (k *console) keys(c *fiber.Ctx) error {
	return k.keysPage(c, fiber.StatusOK, k.formView(c, "API keys"))
}

func (k *console) keysPage(c *fiber.Ctx, status int, v view) error {
	sess := c.Locals(sessionKey).(store.ConsoleSession)
	rows, _, err := k.o.Store.ListAPIKeys(c.UserContext(), sess.ProjectID, store.Page{Limit: 200})
	if err != nil {
		return err
	}
	now := k.o.Now()
	for _, key := range rows {
		r := keyRow{ID: key.ID, Name: key.Name, Scope: key.Scope, Prefix: key.Prefix, Created: key.CreatedAt.UTC().Format(time.DateTime),
			LastUsed: "never", State: "active", Revocable: key.ConnectorID == ""}
		if key.LastUsedAt != nil {
			r.LastUsed = key.LastUsedAt.UTC().Format(time.DateTime)
		}
		switch {
		case key.RevokedAt != nil:
			r.State, r.Revocable = "revoked", false
		case key.ExpiresAt != nil && !key.ExpiresAt.After(now):
			r.State, r.Revocable = "expired", false
		case key.ConnectorID != "":
			r.State = "connector " + key.ConnectorID
		}
		v.Keys = append(v.Keys, r)
	}
	if v.Notice == "" && c.Query("done") == "revoked" {
		v.Notice = "Key revoked: calls with it are refused from now on."
	}
	return render(c, status, "keys.html", v)
}

// createKey is POST /api/admin/keys; the new key is shown once, in this
// answer, and never again.
func (k *console) createKey(c *fiber.Ctx) error {
	form := map[string]any{"name": strings.TrimSpace(c.FormValue("name")), "scope": c.FormValue("scope")}
	status, answer, err := k.invoke(c, fiber.MethodPost, "/api/admin/keys", form)
	if err != nil {
		return err
	}
	v := k.formView(c, "API keys")
	if status != fiber.StatusCreated {
		e, _ := errorOf(answer)
		v.Error, v.Form = e.Message, map[string]string{"name": c.FormValue("name")}
		return k.keysPage(c, fiber.StatusUnprocessableEntity, v)
	}
	var out struct {
		Key string `json:"key"`
	}
	_ = json.Unmarshal(answer, &out)
	v.Secret = out.Key
	return k.keysPage(c, fiber.StatusCreated, v)
}

// revokeKey is DELETE /api/admin/keys/{id}.
func (k *console) revokeKey(c *fiber.Ctx) error {
	status, answer, err := k.invoke(c, fiber.MethodDelete, "/api/admin/keys/"+url.PathEscape(c.Params("id")), nil)
	if err != nil {
		return err
	}
	if status == fiber.StatusNotFound {
		return render(c, fiber.StatusNotFound, "keys.html", k.formView(c, "Not found"))
	}
	if status >= 300 {
		v := k.formView(c, "API keys")
		e, _ := errorOf(answer)
		v.Error = e.Message
		return k.keysPage(c, fiber.StatusUnprocessableEntity, v)
	}
	return c.Redirect("/console/keys?done=revoked", fiber.StatusSeeOther)
}
