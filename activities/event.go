package activities

import (
	"encoding/json"
	"reflect"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/store"
)

// EventInput is the input of a webhook call: one verified, normalized
// provider event. The provider is the call's source.
type EventInput struct {
	Event intake.Event `json:"event"`
	// Headers are the delivery's allow-listed headers, for rules.
	Headers map[string]string `json:"headers,omitempty"`
	// DataIsPayload: the event's data is its payload (as for generic,
	// HubSpot and most QuickBooks events), so the call carries it once,
	// as the payload. A plain field rather than JSON methods: a call's
	// input is encoded and decoded on every call, and a method's output is
	// scanned again by encoding/json.
	DataIsPayload bool `json:"data_is_payload,omitempty"`
}

// NewEventInput is the input of a call carrying e.
func NewEventInput(e intake.Event, headers map[string]string) EventInput {
	in := EventInput{Event: e, Headers: headers}
	if sameMap(e.Data, e.Payload) {
		in.Event.Data, in.DataIsPayload = nil, true
	}
	return in
}

func sameMap(a, b map[string]any) bool {
	return a != nil && reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

func applyEvent(a *Activities, tx *store.Tx, c intake.Call, in EventInput) (DataOutcome, error) {
	if in.DataIsPayload {
		in.Event.Data = in.Event.Payload
	}
	return a.applyProviderEvent(tx, c, c.Source, in, "")
}

// applyProviderEvent runs a provider event, a new call's or a replayed
// inbox item's (itemID), through its connector's rules (or the provider's
// defaults) and applies every match; an event no rule matches goes to the
// inbox whole.
func (a *Activities) applyProviderEvent(tx *store.Tx, c intake.Call, provider string, in EventInput, itemID string) (DataOutcome, error) {
	prog, err := a.program(tx, store.RuleScope{ProjectID: c.ProjectID, ConnectorID: c.ConnectorID}, provider)
	if err != nil {
		return DataOutcome{}, err
	}
	e := in.Event
	env := mapping.EventEnv(e)
	env.Headers = in.Headers
	outcomes := prog.Eval(env)
	// The inbox keeps the whole normalized event (the delivered payload is
	// in it), so a replay needs no provider format.
	raw, err := json.Marshal(e)
	if err != nil {
		return DataOutcome{}, intake.Invalid("payload", "event: %v", err)
	}
	// A provider's time past the bound (a skewed clock: a signed event
	// cannot come from the future) is the time the event arrived, so that
	// no point of it lies ahead of every later update.
	at := e.OccurredAt
	if at.IsZero() || at.After(c.ReceivedAt.Add(intake.MaxClockSkew)) {
		at = c.ReceivedAt
	}
	d := decide(provider, string(raw), at, c.ReceivedAt, e.Payload, outcomes, prog.Version, false)
	d.InboxItemID = itemID
	res, err := tx.ApplyData(c, d)
	return DataOutcome{DataResult: res, Rules: outcomes}, err
}
