package console

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/store"
)

// draft is a rule being written: next to an inbox item, or on a scope's
// Rules page, where it may be a saved rule being edited (ID). What the
// editor does not show (SourceField, Create, Unit, Enabled) rides along in
// hidden fields, so an edit keeps it.
type draft struct {
	ID, Name, Metric, Value, When, Timestamp, Op, SourceField, Unit string
	Enabled, Create                                                 bool
}

// readDraft reads the editor's form; name is the rule's name when the form
// gives none.
func readDraft(c *fiber.Ctx, name string) draft {
	d := draft{ID: strings.TrimSpace(c.FormValue("id")), Name: strings.TrimSpace(c.FormValue("name")), Metric: c.FormValue("metric"),
		Value: c.FormValue("value"), When: c.FormValue("when"), Timestamp: c.FormValue("timestamp"), Op: c.FormValue("op"),
		SourceField: c.FormValue("source_field"), Unit: c.FormValue("unit"),
		// Absent means enabled: the inbox's editor has no such field.
		Enabled: c.FormValue("enabled") != "false", Create: c.FormValue("create") == "true"}
	if d.Name == "" {
		d.Name = name
	}
	if d.Op != "add" {
		d.Op = "set"
	}
	return d
}

// draftOf is a saved rule in the editor.
func draftOf(r intake.Rule) draft {
	op := r.Op
	if op != "add" {
		op = "set"
	}
	return draft{ID: r.ID, Name: r.Name, Metric: r.Metric, Value: r.Value, When: r.When, Timestamp: r.Timestamp, Op: op,
		SourceField: r.SourceField, Unit: r.Unit, Enabled: r.Enabled, Create: r.Create}
}

// rule is the draft as the API's rule object. A field mapping whose
// expressions were left alone goes back as one, so it keeps skipping
// payloads without its field instead of failing on them.
func (d draft) rule() map[string]any {
	var r map[string]any
	if d.SourceField != "" && d.Value == mapping.FieldPath(d.SourceField) && strings.TrimSpace(d.When) == "" && strings.TrimSpace(d.Timestamp) == "" {
		r = map[string]any{"sourceField": d.SourceField, "metricId": d.Metric, "op": d.Op}
	} else {
		r = map[string]any{"name": d.Name, "metric": d.Metric, "value": d.Value, "op": d.Op}
		if strings.TrimSpace(d.When) != "" {
			r["when"] = d.When
		}
		if strings.TrimSpace(d.Timestamp) != "" {
			r["timestamp"] = d.Timestamp
		}
	}
	r["enabled"] = d.Enabled
	if d.Create {
		r["create"], r["unit"] = true, d.Unit
	}
	return r
}

// testResult is what a dry run did (POST /api/admin/mappings/test), or
// why it did not run: Status is the API's answer, Field the field it
// refused, Errors the rules' compile errors.
type testResult struct {
	Ran            bool
	Status         int
	Message, Field string
	Errors         []compileError
	Outcome        []outcomeRow
}

type compileError struct {
	Field, Message, Snippet string
	Line, Column            int
}

type outcomeRow struct {
	Rule, Metric, Value, Op, Error string
	Matched                        bool
}

// apiError is the API's error answer. Details are a rule set's compile
// errors, or {field} for a refused field.
type apiError struct {
	Error   string          `json:"error"`
	Message string          `json:"message"`
	Details json.RawMessage `json:"details"`
	Field   string          `json:"-"`
}

func errorOf(body []byte) (apiError, []compileError) {
	var e apiError
	_ = json.Unmarshal(body, &e)
	var located []compileError
	var details []struct {
		Field, Message, Snippet string
		Line, Column            int
	}
	var field struct{ Field string }
	if json.Unmarshal(e.Details, &details) == nil {
		for _, d := range details {
			located = append(located, compileError{Field: d.Field, Message: d.Message, Snippet: d.Snippet, Line: d.Line, Column: d.Column})
		}
	} else if json.Unmarshal(e.Details, &field) == nil {
		e.Field = field.Field
	}
	if e.Message == "" {
		e.Message = "the request failed"
	}
	return e, located
}

// refusedResult is the API's refusal of a form as a result to show with it.
func refusedResult(status int, answer []byte) testResult {
	e, located := errorOf(answer)
	return testResult{Ran: true, Status: status, Message: e.Message, Field: e.Field, Errors: located}
}

// test dry-runs rules through the API's own test route — the same
// compiler and evaluation as the live path. body is the route's: draft
// rules or a scope, and a payload or an inbox_id.
func (k *console) test(c *fiber.Ctx, body map[string]any) (testResult, error) {
	status, answer, err := k.invoke(c, fiber.MethodPost, "/api/admin/mappings/test", body)
	if err != nil {
		return testResult{}, err
	}
	if status != fiber.StatusOK {
		return refusedResult(status, answer), nil
	}
	type result struct {
		Rule, Metric, Op, Error string
		Matched                 bool
		Value                   float64
	}
	var out struct {
		Results []result `json:"results"`
		Events  []struct {
			Results []result `json:"results"`
		} `json:"events"`
	}
	if err := json.Unmarshal(answer, &out); err != nil {
		return testResult{}, err
	}
	results := out.Results
	if len(out.Events) > 0 {
		results = out.Events[0].Results
	}
	res := testResult{Ran: true, Status: status}
	for _, r := range results {
		res.Outcome = append(res.Outcome, outcomeRow{Rule: r.Rule, Metric: r.Metric, Op: r.Op, Error: r.Error, Matched: r.Matched,
			Value: strconv.FormatFloat(r.Value, 'f', -1, 64)})
	}
	return res, nil
}

// inboxRuleName names a rule written from an inbox item unless its form
// does.
const inboxRuleName = "From the inbox"

// testAssign answers the live test (a fragment, for the page's script) or,
// without script, the item's page with the result under the form.
func (k *console) testAssign(c *fiber.Ctx) error {
	it, v, err := k.itemView(c)
	if err != nil || v.Item == nil {
		return err
	}
	d := readDraft(c, inboxRuleName)
	res, err := k.test(c, map[string]any{"rules": []any{d.rule()}, "inbox_id": it.ID, "source": it.Source})
	if err != nil {
		return err
	}
	v.Draft, v.Test = d, &res
	if c.Get("X-Console-Fragment") == "test" {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return pages.ExecuteTemplate(c.Response().BodyWriter(), "testresult", v)
	}
	return render(c, fiber.StatusOK, "item.html", v)
}

// assign saves the draft as the next version of the item's rules and
// replays the item through them (POST /api/admin/inbox/{id}/assign).
func (k *console) assign(c *fiber.Ctx) error {
	it, v, err := k.itemView(c)
	if err != nil || v.Item == nil {
		return err
	}
	d := readDraft(c, inboxRuleName)
	status, answer, err := k.invoke(c, fiber.MethodPost, "/api/admin/inbox/"+url.PathEscape(it.ID)+"/assign", d.rule())
	if err != nil {
		return err
	}
	if status != fiber.StatusOK && status != fiber.StatusAccepted {
		res := refusedResult(status, answer)
		v.Draft, v.Test = d, &res
		return render(c, fiber.StatusUnprocessableEntity, "item.html", v)
	}
	var out struct {
		Resolved bool   `json:"resolved"`
		Reason   string `json:"reason"`
		Rules    struct {
			Version int `json:"version"`
		} `json:"rules"`
	}
	_ = json.Unmarshal(answer, &out)
	state := "open"
	if out.Resolved {
		state = "resolved"
	} else if status == fiber.StatusAccepted {
		state = "running"
	}
	q := url.Values{"done": {"assigned"}, "version": {strconv.Itoa(out.Rules.Version)}, "state": {state}}
	return c.Redirect("/console/inbox/"+url.PathEscape(it.ID)+"?"+q.Encode(), fiber.StatusSeeOther)
}

// replay re-runs the open items of the item's source through the rules in
// force (POST /api/admin/inbox/replay).
func (k *console) replay(c *fiber.Ctx) error {
	it, v, err := k.itemView(c)
	if err != nil || v.Item == nil {
		return err
	}
	body, _ := json.Marshal(map[string]any{"source": it.Source})
	status, answer := k.o.Invoke(c.UserContext(), c.Locals(principalKey).(intake.Principal), fiber.MethodPost, "/api/admin/inbox/replay", body)
	if status >= 500 {
		return intake.Errorf(intake.ErrUnavailable, "the replay failed (%d)", status)
	}
	if status != fiber.StatusOK && status != fiber.StatusAccepted {
		e, _ := errorOf(answer)
		v.Error = e.Message
		return render(c, fiber.StatusUnprocessableEntity, "item.html", v)
	}
	var out struct {
		Total, Resolved, StillOpen int
	}
	_ = json.Unmarshal(answer, &out)
	q := url.Values{"done": {"replayed"}, "total": {strconv.Itoa(out.Total)}, "resolved": {strconv.Itoa(out.Resolved)},
		"open": {strconv.Itoa(out.StillOpen)}}
	if status == fiber.StatusAccepted {
		q = url.Values{"done": {"replaying"}}
	}
	return c.Redirect("/console/inbox/"+url.PathEscape(it.ID)+"?"+q.Encode(), fiber.StatusSeeOther)
}

// notice says what the form before the redirect did. It is built from
// numbers and fixed words only: the query is the visitor's to change, and
// text from it would let a link put words in intake's mouth.
func notice(c *fiber.Ctx) string {
	num := func(name string) int { n, _ := strconv.Atoi(c.Query(name)); return n }
	switch c.Query("done") {
	case "assigned":
		msg := fmt.Sprintf("Saved as version %d of the rules", num("version"))
		switch c.Query("state") {
		case "resolved":
			return msg + "; the item was replayed through them and is resolved."
		case "running":
			return msg + "; the item's replay is still running."
		}
		return msg + "; the item is still open (see its reason)."
	case "replayed":
		return fmt.Sprintf("Replayed %d open item(s) of this source: %d resolved, %d still open.", num("total"), num("resolved"), num("open"))
	case "replaying":
		return "The replay is running; reload in a moment."
	}
	return ""
}

// fieldPaths are the expressions that read each leaf of the item's
// payload, for the editor's list.
func fieldPaths(it store.InboxItem) []string {
	return payloadPaths(it.Payload, it.Kind == intake.KindWebhook && !it.Failed)
}

// payloadPaths are the expressions that read each leaf of a payload:
// payload.a.b, payload.items[0].amount; an event's (a webhook inbox item)
// are under event.data.
func payloadPaths(payload string, event bool) []string {
	var root any
	if json.Unmarshal([]byte(payload), &root) != nil {
		return nil
	}
	prefix := "payload"
	if event {
		if m, ok := root.(map[string]any); ok {
			if data, ok := m["data"]; ok {
				root, prefix = data, "event.data"
			}
		}
	}
	var out []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		if len(out) >= maxPaths {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for key := range x {
				keys = append(keys, key)
			}
			sort.Strings(keys)
			for _, key := range keys {
				if identifier(key) {
					walk(path+"."+key, x[key])
				} else {
					walk(path+"["+strconv.Quote(key)+"]", x[key])
				}
			}
		case []any:
			if len(x) > 0 {
				walk(path+"[0]", x[0])
			}
		default:
			out = append(out, path)
		}
	}
	walk(prefix, root)
	return out
}

// maxPaths bounds the list of a large payload's fields.
const maxPaths = 200

func identifier(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}
