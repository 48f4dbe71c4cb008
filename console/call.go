package console

import (
	"bytes"
	"encoding/json"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake/store"
)

// callView is the call page's own view.
type callView struct {
	Call             callRow
	Completed        string
	Input, Result    string
	InputUnavailable string
}

// call shows one call: what it was sent (from its workflow's history,
// through GET /api/admin/calls/{id}), what it did, and its workflow.
func (k *console) call(c *fiber.Ctx) error {
	status, answer, err := k.invoke(c, fiber.MethodGet, "/api/admin/calls/"+url.PathEscape(c.Params("id")), nil)
	if err != nil {
		return err
	}
	v := k.formView(c, "Call")
	if status != fiber.StatusOK {
		e, _ := errorOf(answer)
		v.Title, v.Error = "Not found", e.Message
		return render(c, status, "call.html", v)
	}
	var out struct {
		store.Call
		Input            json.RawMessage `json:"input"`
		Result           json.RawMessage `json:"result"`
		InputUnavailable string          `json:"input_unavailable"`
	}
	if err := json.Unmarshal(answer, &out); err != nil {
		return err
	}
	cv := callView{Call: k.callRow(out.Call), Input: indented(out.Input), Result: indented(out.Result),
		InputUnavailable: out.InputUnavailable}
	if out.CompletedAt != nil {
		cv.Completed = out.CompletedAt.UTC().Format(time.DateTime)
	}
	v.Title, v.Data = "Call "+out.IngestID, cv
	return render(c, fiber.StatusOK, "call.html", v)
}

// indented is JSON as a person reads it; "" for none.
func indented(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var b bytes.Buffer
	if json.Indent(&b, raw, "", "  ") != nil {
		return string(raw)
	}
	return b.String()
}
