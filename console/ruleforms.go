package console

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
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
		if s.Kind == sourceScope {
			body["source"] = s.Name
		}
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
// /api/admin/mappings/{id}); a new one is added to the set, saved whole
// (POST /api/admin/mappings), as the API has no route that adds one rule.
// A refusal shows the page again with what was typed and why.
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
	done, creates := "saved", creatingRules(set.Rules)
	if d.Create {
		creates++
	}
	if d.ID != "" {
		if was, ok := ruleByID(set.Rules, d.ID); ok && was.Create {
			creates--
		}
		status, answer, err = k.invoke(c, fiber.MethodPut, "/api/admin/mappings/"+url.PathEscape(d.ID)+"?"+s.query(), d.rule())
	} else {
		done = "created"
		rules := make([]any, 0, len(set.Rules)+1)
		for _, r := range set.Rules {
			rules = append(rules, draftOf(r).rule())
		}
		rules = append(rules, d.rule())
		status, answer, err = k.invoke(c, fiber.MethodPost, "/api/admin/mappings", map[string]any{s.field(): s.Name, "rules": rules})
	}
	if err != nil {
		return err
	}
	if status == fiber.StatusNotFound {
		return k.ruleNotFound(c)
	}
	if status != fiber.StatusOK && status != fiber.StatusCreated {
		res := refusedResult(status, answer)
		if d.ID == "" {
			res = ownError(res, len(set.Rules))
		}
		return k.scopePage(c, fiber.StatusUnprocessableEntity, s, d, t, &res)
	}
	return k.savedAs(c, s, done, set.Defaults, creates, answer)
}

// ownError names a refusal of the new rule, the set's last, as the
// editor's: "name is required", not "rules[3].name is required".
func ownError(res testResult, index int) testResult {
	prefix := fmt.Sprintf("rules[%d].", index)
	res.Field = strings.TrimPrefix(res.Field, prefix)
	res.Message = strings.TrimPrefix(res.Message, prefix)
	return res
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
	creates := creatingRules(set.Rules)
	if action == "delete" {
		if r.Create {
			creates--
		}
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
	return k.savedAs(c, s, action+"d", set.Defaults, creates, answer)
}

// creatingRules counts the rules that create their metric on first use.
func creatingRules(rules []intake.Rule) int {
	n := 0
	for _, r := range rules {
		if r.Create {
			n++
		}
	}
	return n
}

// savedAs goes back to the scope's page, saying what was saved: its
// version, whether it replaced the provider's defaults, and how many of
// the creates rules meant to create their metric came back without.
func (k *console) savedAs(c *fiber.Ctx, s ruleScope, done string, fromDefaults bool, creates int, answer []byte) error {
	var saved ruleSet
	if err := json.Unmarshal(answer, &saved); err != nil {
		return err
	}
	for _, r := range saved.Rules {
		if r.Create {
			creates--
		}
	}
	q := url.Values{"done": {done}, "version": {strconv.Itoa(saved.Version)}}
	if fromDefaults {
		q.Set("from", "defaults")
	}
	if creates > 0 {
		q.Set("lost", strconv.Itoa(creates))
	}
	return c.Redirect(s.Path()+"?"+q.Encode(), fiber.StatusSeeOther)
}
