package api

import (
	"context"
	"encoding/json"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// inboxJSON is an inbox item; the raw payload only in the single-item view.
type inboxJSON struct {
	store.InboxItem
	Payload any `json:"payload,omitempty"`
}

func (s *Server) listInbox(c *fiber.Ctx) error {
	f := store.InboxFilter{Source: c.Query("source"), Status: c.Query("status")}
	if f.Status != "" && f.Status != store.InboxOpen && f.Status != store.InboxDismissed {
		return intake.Invalid("status", "status must be %q or %q", store.InboxOpen, store.InboxDismissed)
	}
	return paged(c, func(ctx context.Context, pg store.Page) ([]store.InboxItem, string, error) {
		return s.store.ListInbox(ctx, principal(c).ProjectID, f, pg)
	})
}

func (s *Server) getInboxItem(c *fiber.Ctx) error {
	it, err := s.store.GetInboxItem(c.UserContext(), principal(c).ProjectID, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(showInbox(it))
}

// showInbox includes the payload as JSON when it is JSON, else as the
// string it arrived as.
func showInbox(it store.InboxItem) inboxJSON {
	out := inboxJSON{InboxItem: it, Payload: it.Payload}
	if json.Valid([]byte(it.Payload)) {
		out.Payload = json.RawMessage(it.Payload)
	}
	return out
}

func (s *Server) dismissInboxItem(c *fiber.Ctx) error {
	it, err := s.store.DismissInboxItem(c.UserContext(), principal(c).ProjectID, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(showInbox(it))
}
