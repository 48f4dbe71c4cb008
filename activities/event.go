package activities

import (
	"context"
	"encoding/json"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/store"
)

// ApplyEventInput is the input of ApplyEvent: one verified, normalized
// provider event.
type ApplyEventInput struct {
	Call     Call
	Provider string
	Event    intake.Event
	// Headers are the delivery's allow-listed headers, for rules.
	Headers map[string]string `json:",omitempty"`
	// InboxItemID is set when this replays an inboxed event.
	InboxItemID string `json:",omitempty"`
}

// ApplyEventResult is what each rule did with the event, and what was
// written.
type ApplyEventResult struct {
	Result intake.DataResult
	Rules  []mapping.Outcome
}

// ApplyEvent runs a provider event through its connector's rules (or the
// provider's defaults) and applies every match in one transaction; an event
// no rule matches goes to the inbox whole.
func (a *Activities) ApplyEvent(ctx context.Context, in ApplyEventInput) (ApplyEventResult, error) {
	c := in.Call
	prog, err := a.program(ctx, store.RuleScope{ProjectID: c.ProjectID, ConnectorID: c.ConnectorID}, in.Provider)
	if err != nil {
		return ApplyEventResult{}, err
	}
	e := in.Event
	env := mapping.EventEnv(e)
	env.Headers = in.Headers
	outcomes := prog.Eval(env)
	// The inbox keeps the whole normalized event (the delivered payload is
	// in it), so a replay needs no provider format.
	raw, err := json.Marshal(e)
	if err != nil {
		return ApplyEventResult{}, classify(intake.Invalid("payload", "event: %v", err))
	}
	at := e.OccurredAt
	if at.IsZero() {
		at = c.ReceivedAt
	}
	d := decide(ApplyDataInput{Call: in.Call, Source: in.Provider, Payload: string(raw), Timestamp: at}, e.Payload, outcomes, prog.Version, false)
	d.InboxItemID = in.InboxItemID
	res, err := a.Store.ApplyData(ctx, c, d)
	return ApplyEventResult{Result: res, Rules: outcomes}, classify(err)
}
