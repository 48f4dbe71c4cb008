package api

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/workflows"
)

// inboxJSON is an inbox item; the raw payload only in the single-item view.
type inboxJSON struct {
	store.InboxItem
	Payload any `json:"payload,omitempty"`
}

func (s *Server) listInbox(c *fiber.Ctx) error {
	f := store.InboxFilter{Source: c.Query("source"), Status: c.Query("status")}
	switch f.Status {
	case "", store.InboxOpen, store.InboxResolved, store.InboxDismissed:
	default:
		return intake.Invalid("status", "status must be open, resolved or dismissed")
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

// assignInboxItem turns an item into a rule of its source — a field mapping
// ({sourceField, metricId}) or a rule ({name, metric, value, when?}) — saves
// it as the next version, and replays the item through it.
func (s *Server) assignInboxItem(c *fiber.Ctx) error {
	p := principal(c)
	it, err := s.store.GetInboxItem(c.UserContext(), p.ProjectID, c.Params("id"))
	if err != nil {
		return err
	}
	if it.Status != store.InboxOpen {
		return intake.Errorf(intake.ErrConflict, "inbox item %s is %s", it.ID, it.Status)
	}
	if it.Failed {
		return intake.Errorf(intake.ErrConflict, "inbox item %s is a call that failed: fix its cause, then replay it", it.ID)
	}
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	r, err := compiledRule(o, "")
	if err != nil {
		return err
	}
	scope := store.RuleScope{ProjectID: p.ProjectID, Source: it.Source}
	if it.Kind == intake.KindWebhook {
		scope = store.RuleScope{ProjectID: p.ProjectID, ConnectorID: it.ConnectorID}
	}
	rules, version, err := s.editRules(c.UserContext(), scope, func(current []intake.Rule) ([]intake.Rule, error) {
		same := func(x intake.Rule) bool { // the same rule but for its fresh id
			x.ID = r.ID
			a, _ := json.Marshal(x)
			b, _ := json.Marshal(r)
			return string(a) == string(b)
		}
		if slices.ContainsFunc(current, same) {
			return current, nil // a retried assign adds its rule once
		}
		return append(append([]intake.Rule(nil), current...), r), nil
	})
	if err != nil {
		return err
	}
	key := activities.ReplayKey(it, version)
	parent := intake.Call{ProjectID: p.ProjectID, ReceivedAt: s.now().UTC()}
	call := workflows.ReplayCall(p.ProjectID, key, parent)
	var out activities.ReplayItemResult
	input := activities.ReplayItemInput{Call: call, ItemID: it.ID}
	attrs := workflows.Attrs{Project: p.ProjectID, Kind: intake.KindReplay, Source: it.Source}
	return s.runWorkflow(c, call.WorkflowID, attrs, workflows.ReplayItem, input, &out, func() any {
		return fiber.Map{"ok": true, "rule": r, "rules": showRules(scope, version, rules), "resolved": out.Resolved,
			"reason": out.Reason, "outcomes": out.Rules, "workflow_id": call.WorkflowID}
	})
}

// replayInbox re-runs the open items picked by source and date through the
// current rules, as a parent workflow with one child per item.
func (s *Server) replayInbox(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	var sel store.InboxSelection
	if sel.Source, err = o.str("source", 200); err != nil {
		return err
	}
	for name, dst := range map[string]*time.Time{"since": &sel.Since, "until": &sel.Until} {
		if raw, ok := o[name]; ok && !isNull(raw) {
			if *dst, err = intake.ParseTime(raw); err != nil {
				return intake.Invalid(name, "%s %v", name, err)
			}
		}
	}
	sel.Limit = maxReplay
	if n, ok, err := o.number("limit"); err != nil {
		return err
	} else if ok {
		if n < 1 || n > maxReplay || n != float64(int(n)) {
			return intake.Invalid("limit", "limit must be a whole number from 1 to %d", maxReplay)
		}
		sel.Limit = int(n)
	}
	call, err := s.newCall(c, sel.Source, "")
	if err != nil {
		return err
	}
	call.Kind, call.WorkflowID = intake.KindReplay, intake.ReplayInboxWorkflowID(call.ProjectID, call.IngestID)
	var out workflows.ReplayInboxResult
	input := workflows.ReplayInboxInput{Call: call, Selection: sel}
	attrs := workflows.Attrs{Project: call.ProjectID, Kind: intake.KindReplay, Source: sel.Source}
	return s.runWorkflow(c, call.WorkflowID, attrs, workflows.ReplayInbox, input, &out, func() any {
		return fiber.Map{"ok": true, "workflow_id": call.WorkflowID, "total": out.Total, "resolved": out.Resolved,
			"still_open": out.StillOpen, "already_replayed": out.AlreadyReplayed, "failed": out.Failed}
	})
}

// maxReplay bounds one replay's items; replay again for more.
const maxReplay = 200
