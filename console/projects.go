package console

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// mountProjects adds the instance admin's projects: create one, and open
// one to work in it as its admin would (Invoke acts as a project admin of
// the open project), or go back to the list.
func (k *console) mountProjects(g fiber.Router) {
	g.Post("/projects", k.require, k.instance, readForm, k.checkCSRF, k.createProject)
	g.Post("/projects/open", k.require, k.instance, readForm, k.checkCSRF, k.openProject)
}

// instance refuses a project key's session the instance admin's pages.
func (k *console) instance(c *fiber.Ctx) error {
	if !c.Locals(sessionKey).(store.ConsoleSession).Instance {
		return intake.Errorf(intake.ErrNotFound, "no such page")
	}
	return c.Next()
}

// projectsPage lists the instance's projects, each to open, with a form to
// create one.
func (k *console) projectsPage(c *fiber.Ctx, status int, v view) error {
	v.Title = "Projects"
	rows, _, err := k.o.Store.ListProjects(c.UserContext(), store.Page{Limit: 200})
	if err != nil {
		return err
	}
	for _, p := range rows {
		limit := "none"
		if r := p.Rate(); !r.IsZero() {
			limit = r.String()
		}
		v.Projects = append(v.Projects, projectRow{Name: p.Name, ID: p.ID, Limit: limit, Created: p.CreatedAt.UTC().Format(time.DateTime)})
	}
	return render(c, status, "projects.html", v)
}

// createProject is POST /api/admin/projects as the instance admin, whichever
// project is open; the project's first admin key is shown once, here.
func (k *console) createProject(c *fiber.Ctx) error {
	form := map[string]any{"name": strings.TrimSpace(c.FormValue("name"))}
	if raw := strings.TrimSpace(c.FormValue("rate_limit")); raw != "" {
		if n, err := strconv.Atoi(raw); err == nil {
			form["rate_limit"] = n
		} else {
			form["rate_limit"] = raw // the API names the field and says why
		}
	}
	body, _ := json.Marshal(form)
	status, answer := k.o.Invoke(c.UserContext(), intake.Principal{Instance: true}, fiber.MethodPost, "/api/admin/projects", body)
	if status >= 500 {
		e, _ := errorOf(answer)
		return intake.Errorf(intake.ErrUnavailable, "%s", e.Message)
	}
	v := k.formView(c, "Projects")
	if status != fiber.StatusCreated {
		e, _ := errorOf(answer)
		v.Error, v.Form = e.Message, map[string]string{"name": c.FormValue("name"), "rate_limit": c.FormValue("rate_limit")}
		return k.projectsPage(c, fiber.StatusUnprocessableEntity, v)
	}
	var out struct {
		Project struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"project"`
		AdminKey string `json:"admin_key"`
	}
	_ = json.Unmarshal(answer, &out)
	v.Secret, v.Notice = out.AdminKey, "Project "+out.Project.Name+" created, with this admin key."
	return k.projectsPage(c, fiber.StatusCreated, v)
}

// openProject opens the form's project in the session, or with none goes
// back to the projects.
func (k *console) openProject(c *fiber.Ctx) error {
	sess := c.Locals(sessionKey).(store.ConsoleSession)
	id := strings.TrimSpace(c.FormValue("project_id"))
	if id != "" {
		if _, err := k.o.Store.GetProject(c.UserContext(), id); err != nil {
			return err
		}
	}
	if err := k.o.Store.SetSessionProject(c.UserContext(), sess.ID, id); err != nil {
		return err
	}
	return c.Redirect("/console", fiber.StatusSeeOther)
}
