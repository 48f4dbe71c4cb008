package console

import (
	"encoding/json"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake/store"
)

// errorPages answers a console request that failed with a page rather
// than the API's JSON. The app's error handler (the API's) still decides
// the status, its Retry-After and what is logged, and writes the message a
// caller may see; the page shows that message to a person, with a way back.
func (k *console) errorPages(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil {
		return nil
	}
	if herr := c.App().Config().ErrorHandler(c, err); herr != nil {
		return herr
	}
	status := c.Response().StatusCode()
	var answer struct{ Message string }
	_ = json.Unmarshal(c.Response().Body(), &answer)
	if answer.Message == "" {
		answer.Message = http.StatusText(status)
	}
	c.Response().ResetBody()
	v := view{Title: http.StatusText(status), Error: answer.Message}
	// Past the session check, the page has its header (and sign-out form).
	_, signedIn := c.Locals(sessionKey).(store.ConsoleSession)
	if _, known := c.Locals(whoKey).(string); signedIn && known {
		v = k.formView(c, v.Title)
		v.Error = answer.Message
	}
	return render(c, status, "error.html", v)
}
