package console

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// metricView is the metric page's own view.
type metricView struct {
	Metric metricRow
	// Watched: alerts watch the metric, so it cannot be deleted.
	Watched int
}

// metric shows one metric with forms to rename it, change its unit or
// delete it.
func (k *console) metric(c *fiber.Ctx) error {
	return k.metricPage(c, fiber.StatusOK, k.formView(c, "Metric"))
}

func (k *console) metricPage(c *fiber.Ctx, status int, v view) error {
	sess := c.Locals(sessionKey).(store.ConsoleSession)
	m, err := k.o.Store.GetMetric(c.UserContext(), sess.ProjectID, c.Params("id"))
	if intake.ErrorCode(err) == intake.ErrNotFound {
		return render(c, fiber.StatusNotFound, "metric.html", k.formView(c, "Not found"))
	}
	if err != nil {
		return err
	}
	v.Title = m.Name
	row := showMetric(m)
	if v.Form == nil {
		v.Form = map[string]string{"name": m.Name, "unit": m.Unit}
	}
	if v.Notice == "" && c.Query("done") == "saved" {
		v.Notice = "Metric saved."
	}
	v.Data = metricView{Metric: row, Watched: m.Alerts}
	return render(c, status, "metric.html", v)
}

// updateMetric is PATCH /api/admin/metrics/{id} from the form.
func (k *console) updateMetric(c *fiber.Ctx) error {
	id := c.Params("id")
	form := map[string]any{"name": strings.TrimSpace(c.FormValue("name")), "unit": strings.TrimSpace(c.FormValue("unit"))}
	status, answer, err := k.invoke(c, fiber.MethodPatch, "/api/admin/metrics/"+url.PathEscape(id), form)
	if err != nil {
		return err
	}
	if status != fiber.StatusOK {
		v := k.formView(c, "Metric")
		e, _ := errorOf(answer)
		v.Error, v.Form = e.Message, map[string]string{"name": c.FormValue("name"), "unit": c.FormValue("unit")}
		return k.metricPage(c, statusOfAnswer(status), v)
	}
	return c.Redirect("/console/metrics/"+url.PathEscape(id)+"?done=saved", fiber.StatusSeeOther)
}

// deleteMetric is DELETE /api/admin/metrics/{id}, once the form says the
// points go too.
func (k *console) deleteMetric(c *fiber.Ctx) error {
	id := c.Params("id")
	if c.FormValue("confirm") != "yes" {
		v := k.formView(c, "Metric")
		v.Error = "Tick the box to confirm that the metric's points are deleted with it."
		return k.metricPage(c, fiber.StatusUnprocessableEntity, v)
	}
	status, answer, err := k.invoke(c, fiber.MethodDelete, "/api/admin/metrics/"+url.PathEscape(id), nil)
	if err != nil {
		return err
	}
	if status != fiber.StatusNoContent {
		v := k.formView(c, "Metric")
		e, _ := errorOf(answer)
		v.Error = e.Message
		return k.metricPage(c, statusOfAnswer(status), v)
	}
	return c.Redirect("/console/metrics?done=deleted", fiber.StatusSeeOther)
}

// statusOfAnswer is the page's status for a refused form: the API's 404
// and 409 stay what they are, anything else is the form's fault.
func statusOfAnswer(status int) int {
	if status == fiber.StatusNotFound || status == fiber.StatusConflict {
		return status
	}
	return fiber.StatusUnprocessableEntity
}
