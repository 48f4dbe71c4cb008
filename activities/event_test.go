package activities

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
)

// TestEventWhoseDataIsItsPayloadTravelsOnce: a generic event's data is its
// payload; its call carries the payload once, and the call applies the
// event whole (its inbox item has the data too), as do calls recorded
// before the field replaced JSON methods, which wrote the same input.
func TestEventWhoseDataIsItsPayloadTravelsOnce(t *testing.T) {
	st := storetest.Open(t)
	p, _ := storetest.Project(t, st)
	a := &Activities{Store: st}
	payload := map[string]any{"marker": strings.Repeat("m", 64), "n": 1.0}
	e := intake.Event{ID: "evt_1", Type: "thing.happened", Source: "generic", Data: payload, Payload: payload}
	call, err := Webhook.Call(intake.Call{IngestID: intake.EventIngestID("c_test", e.ID), ProjectID: p.ID, ConnectorID: "c_test",
		Source: "generic", EventType: e.Type, ReceivedAt: time.Now()}, NewEventInput(e, map[string]string{"x-test": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(call.Input), payload["marker"].(string)); n != 1 || !strings.Contains(string(call.Input), `"data_is_payload":true`) {
		t.Fatalf("the input carries the payload %d times: %s", n, call.Input)
	}
	// What the release before this field wrote for such an event.
	old := call
	old.IngestID = intake.EventIngestID("c_test", "evt_2")
	old.Input = json.RawMessage(`{"event":{"id":"evt_2","type":"thing.happened","occurred_at":"0001-01-01T00:00:00Z","source":"generic",` +
		`"data":null,"payload":{"marker":"` + payload["marker"].(string) + `","n":1}},"headers":{"x-test":"1"},"data_is_payload":true}`)
	outs, err := a.apply(context.Background(), []intake.Call{call, old}, 1)
	if err != nil {
		t.Fatal(err)
	}
	items, _, err := st.ListInbox(context.Background(), p.ID, store.InboxFilter{}, store.Page{})
	if err != nil || len(items) != 2 {
		t.Fatalf("inbox %+v, %v (outcomes %+v)", items, err, outs)
	}
	for _, it := range items {
		var got intake.Event
		if err := json.Unmarshal([]byte(it.Payload), &got); err != nil {
			t.Fatal(err)
		}
		if got.Data["marker"] != payload["marker"] || got.Payload["marker"] != payload["marker"] {
			t.Errorf("inbox item %s: data %v, payload %v: want both whole", it.ID, got.Data, got.Payload)
		}
	}
}
