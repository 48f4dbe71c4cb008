package console

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// testRules dry-runs the editor's rule — or, with run=all, the scope's
// rules in force — on the form's target, through the API's test route. It
// answers the result alone for the page's script, else the whole page.
func (k *console) testRules(c *fiber.Ctx) error {
	s, found, err := k.scopeOf(c)
	if !found {
		return err
	}
	d, t := readDraft(c, ""), readTestTarget(c)
	body := map[string]any{}
	if c.FormValue("run") == "all" {
		body[s.field()] = s.Name
	} else {
		// A rule is tested before it is named; saving it asks for a name.
		tested := d
		if tested.Name == "" {
			tested.Name = untitledRule
		}
		body["rules"] = []any{tested.rule()}
		body[s.field()] = s.Name // a connector's reads a pasted payload as its provider's delivery
	}
	res, err := k.testOn(c, body, t)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if res.Status == fiber.StatusNotFound {
		status = fiber.StatusNotFound // another project's inbox item, or none
	}
	if c.Get("X-Console-Fragment") == "test" {
		v := k.formView(c, "")
		v.Test = &res
		if v.Paths, err = k.targetPaths(c, s, t); err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		c.Status(status)
		return pages.ExecuteTemplate(c.Response().BodyWriter(), "rulestest", v)
	}
	return k.scopePage(c, status, s, d, t, &res)
}

// untitledRule names the rule being tested until it has a name.
const untitledRule = "New rule"

// testOn runs the test body on t: an inbox item, or the pasted payload,
// which must be JSON.
func (k *console) testOn(c *fiber.Ctx, body map[string]any, t testTarget) (testResult, error) {
	if id := t.item(); id != "" {
		body["inbox_id"] = id
	} else if p := strings.TrimSpace(t.Payload); p != "" {
		if !json.Valid([]byte(p)) {
			return testResult{Ran: true, Status: fiber.StatusBadRequest, Field: "payload", Message: "The pasted payload is not JSON."}, nil
		}
		body["payload"] = json.RawMessage(p)
	}
	return k.test(c, body)
}

// saveRule saves the editor's rule: a saved one replaces itself (PUT
// /api/admin/mappings/{id}); a new one is added beside the others (POST
// /api/admin/mappings/rules). A refusal shows the page again with what was
// typed and why.
func (k *console) saveRule(c *fiber.Ctx) error {
	s, found, err := k.scopeOf(c)
	if !found {
		return err
	}
	d, t := readDraft(c, ""), readTestTarget(c)
	set, err := k.rulesOf(c, s)
	if err != nil {
		return err
	}
	var status int
	var answer []byte
	done := "saved"
	if d.ID != "" {
		status, answer, err = k.invoke(c, fiber.MethodPut, "/api/admin/mappings/"+url.PathEscape(d.ID)+"?"+s.query(), d.rule())
	} else {
		done = "created"
		body := d.rule()
		body[s.field()] = s.Name
		status, answer, err = k.invoke(c, fiber.MethodPost, "/api/admin/mappings/rules", body)
	}
	if err != nil {
		return err
	}
	if status == fiber.StatusNotFound {
		return k.ruleNotFound(c)
	}
	if status != fiber.StatusOK && status != fiber.StatusCreated {
		res := refusedResult(status, answer)
		return k.scopePage(c, fiber.StatusUnprocessableEntity, s, d, t, &res)
	}
	return k.savedAs(c, s, done, set.Defaults, answer)
}

// ruleAction enables, disables or deletes one rule of the scope.
// Enabling and disabling replace the rule with itself but for its enabled
// flag (PUT /api/admin/mappings/{id}): the API keeps each rule's flag.
func (k *console) ruleAction(c *fiber.Ctx) error {
	s, found, err := k.scopeOf(c)
	if !found {
		return err
	}
	set, err := k.rulesOf(c, s)
	if err != nil {
		return err
	}
	r, ok := ruleByID(set.Rules, c.Params("id"))
	action := c.Params("action")
	if !ok || action != "enable" && action != "disable" && action != "delete" {
		return k.ruleNotFound(c)
	}
	uri := "/api/admin/mappings/" + url.PathEscape(r.ID) + "?" + s.query()
	var status int
	var answer []byte
	if action == "delete" {
		status, answer, err = k.invoke(c, fiber.MethodDelete, uri, nil)
	} else {
		d := draftOf(r)
		d.Enabled = action == "enable"
		status, answer, err = k.invoke(c, fiber.MethodPut, uri, d.rule())
	}
	if err != nil {
		return err
	}
	if status == fiber.StatusNotFound {
		return k.ruleNotFound(c)
	}
	if status != fiber.StatusOK {
		res := refusedResult(status, answer)
		v := draft{Op: "set", Enabled: true}
		return k.scopePage(c, fiber.StatusUnprocessableEntity, s, v, testTarget{}, &res)
	}
	return k.savedAs(c, s, action+"d", set.Defaults, answer)
}

// savedAs goes back to the scope's page, saying what was saved: its
// version, and whether it replaced the provider's defaults.
func (k *console) savedAs(c *fiber.Ctx, s ruleScope, done string, fromDefaults bool, answer []byte) error {
	var saved ruleSet
	if err := json.Unmarshal(answer, &saved); err != nil {
		return err
	}
	q := url.Values{"done": {done}, "version": {strconv.Itoa(saved.Version)}}
	if fromDefaults {
		q.Set("from", "defaults")
	}
	return c.Redirect(s.Path()+"?"+q.Encode(), fiber.StatusSeeOther)
}
