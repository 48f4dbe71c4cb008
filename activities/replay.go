package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/store"
)

// ReplayItemInput is the input of ReplayItem: the replay is a call of its
// own (Call), re-running one inbox item.
type ReplayItemInput struct {
	Call   intake.Call
	ItemID string
}

// ReplayItemResult is what a replay did with its item.
type ReplayItemResult struct {
	Resolved bool
	Reason   string
	Rules    []mapping.Outcome `json:",omitempty"`
}

// ReplayInput is the input of a replay call: the inbox item it re-runs.
type ReplayInput struct {
	ItemID string `json:"item_id"`
}

// ReplayItem re-runs one open inbox item as one call. Running it again
// returns the first result and writes nothing.
func (a *Activities) ReplayItem(ctx context.Context, in ReplayItemInput) (ReplayItemResult, error) {
	return applyOne(ctx, a, Replay, in.Call, ReplayInput{ItemID: in.ItemID})
}

// applyReplay re-runs one open inbox item through the current rules (data
// and webhook items) or metric matching (metric items). The item is
// resolved in the same transaction as the writes it leads to, else keeps
// the new reason.
func applyReplay(a *Activities, tx *store.Tx, c intake.Call, in ReplayInput) (ReplayItemResult, error) {
	item, err := tx.InboxItem(c.ProjectID, in.ItemID)
	if err != nil {
		return ReplayItemResult{}, err
	}
	if item.Status != store.InboxOpen {
		return ReplayItemResult{Resolved: item.Status == store.InboxResolved, Reason: "the item is " + item.Status}, nil
	}
	if item.Failed {
		return replayFailedCall(a, tx, c, item)
	}
	switch item.Kind {
	case intake.KindWebhook:
		var e intake.Event
		if err := json.Unmarshal([]byte(item.Payload), &e); err != nil {
			return ReplayItemResult{}, intake.Invalid("payload", "inbox item %s holds no event", item.ID)
		}
		call := c
		call.ConnectorID = item.ConnectorID
		res, err := a.applyProviderEvent(tx, call, item.Source, EventInput{Event: e}, item.ID)
		return ReplayItemResult{Resolved: err == nil && res.Reason == "", Reason: res.Reason, Rules: res.Rules}, err
	case intake.KindData:
		var payload map[string]any
		if err := json.Unmarshal([]byte(item.Payload), &payload); err != nil {
			return ReplayItemResult{}, intake.Invalid("payload", "inbox item %s holds no JSON object", item.ID)
		}
		dataType, _ := payload["data_type"].(string)
		in := DataInput{Payload: item.Payload, Timestamp: item.CreatedAt}
		res, err := a.applyPayload(tx, c, item.Source, dataType, in, payload, item.ID)
		return ReplayItemResult{Resolved: err == nil && res.Reason == "", Reason: res.Reason, Rules: res.Rules}, err
	}
	m, err := metricFromItem(item)
	if err != nil {
		return ReplayItemResult{}, err
	}
	if m, err = a.byRules(tx, c, m); err != nil {
		return ReplayItemResult{}, err
	}
	res, err := tx.ReplayMetricItem(c, item.ID, m)
	return ReplayItemResult{Resolved: err == nil && res.Outcome == intake.OutcomeUpdated, Reason: res.Message}, err
}

// replayFailedCall applies the input of a call that failed for good again,
// as a call of its kind made by the replay, and resolves its item: its
// cause (a missing metric, a bug) may be fixed since. When it fails again
// the replay fails with its error and the item stays open.
func replayFailedCall(a *Activities, tx *store.Tx, c intake.Call, item store.InboxItem) (ReplayItemResult, error) {
	k, ok := kinds[item.Kind]
	if !ok || item.Kind == intake.KindReplay {
		return ReplayItemResult{}, intake.Invalid("kind", "inbox item %s holds a call of no kind that can be replayed (%q)", item.ID, item.Kind)
	}
	call := c
	call.Kind, call.ConnectorID, call.Source, call.Input = item.Kind, item.ConnectorID, item.Source, json.RawMessage(item.Payload)
	if _, err := k.apply(a, tx, call, nil); err != nil {
		return ReplayItemResult{}, err
	}
	return ReplayItemResult{Resolved: true}, tx.SettleInboxItem(c, item.ID, "")
}

// metricFromItem reads an inboxed metric update back: a single metric's or
// a batch item's body ({metric, value, …}) or a custom webhook's
// ({metricId, value, …}).
func metricFromItem(item store.InboxItem) (intake.MetricInput, error) {
	var body struct {
		Metric    string          `json:"metric"`
		MetricID  string          `json:"metricId"`
		Value     json.Number     `json:"value"`
		Source    string          `json:"source"`
		Op        string          `json:"op"`
		Timestamp json.RawMessage `json:"timestamp"`
		Metadata  json.RawMessage `json:"metadata"`
	}
	in := intake.MetricInput{Source: item.Source, Raw: item.Payload, Timestamp: item.CreatedAt}
	if err := json.Unmarshal([]byte(item.Payload), &body); err != nil {
		return in, intake.Invalid("payload", "inbox item %s is not a metric update: %v", item.ID, err)
	}
	v, err := strconv.ParseFloat(string(body.Value), 64)
	if err != nil {
		return in, intake.Invalid("value", "inbox item %s has no numeric value", item.ID)
	}
	in.Metric, in.Value, in.Op, in.Metadata = body.Metric, v, body.Op, body.Metadata
	if in.Metric == "" {
		in.Metric = body.MetricID
	}
	if body.Source != "" {
		in.Source = body.Source
	}
	if len(body.Timestamp) > 0 && string(body.Timestamp) != "null" {
		if ts, err := intake.ParseTime(body.Timestamp); err == nil {
			in.Timestamp = ts
		}
	}
	return in, nil
}

// ReplayTarget is one item a replay will re-run, with the key that makes
// replaying it idempotent: it changes only when the item or its rules do.
type ReplayTarget struct {
	ItemID string
	Key    string
}

// SelectReplayInput is the input of SelectReplay.
type SelectReplayInput struct {
	ProjectID string
	Selection store.InboxSelection
}

// SelectReplayResult is the items a replay re-runs.
type SelectReplayResult struct {
	Targets []ReplayTarget
}

// SelectReplay picks the open items a replay re-runs, each with its key.
func (a *Activities) SelectReplay(ctx context.Context, in SelectReplayInput) (SelectReplayResult, error) {
	items, err := a.Store.OpenInboxItems(ctx, in.ProjectID, in.Selection)
	if err != nil {
		return SelectReplayResult{}, err
	}
	versions := map[store.RuleScope]int{}
	var out SelectReplayResult
	for _, it := range items {
		scope := store.RuleScope{ProjectID: in.ProjectID, Source: it.Source}
		if it.Kind == intake.KindWebhook {
			scope = store.RuleScope{ProjectID: in.ProjectID, ConnectorID: it.ConnectorID}
		}
		v, ok := versions[scope]
		if !ok && !it.Failed { // every other item is matched by rules (metric pushes too, when no metric matches)
			if _, v, err = a.Store.LatestRules(ctx, scope); err != nil {
				return out, err
			}
			versions[scope] = v
		}
		out.Targets = append(out.Targets, ReplayTarget{ItemID: it.ID, Key: ReplayKey(it, v)})
	}
	return out, nil
}

// ReplayKey identifies one replay of an item: the same item in the same
// state under the same rules version replays once.
func ReplayKey(it store.InboxItem, rulesVersion int) string {
	return fmt.Sprintf("%s-%d-v%d", it.ID, it.UpdatedAt.UnixMilli(), rulesVersion)
}
