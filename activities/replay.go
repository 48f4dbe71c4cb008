package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/connectors"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/store"
)

// ReplayItemInput is the input of ReplayItem: the replay is a call of its
// own (Call), re-running one inbox item.
type ReplayItemInput struct {
	Call   Call
	ItemID string
}

// ReplayItemResult is what a replay did with its item.
type ReplayItemResult struct {
	Resolved bool
	Reason   string
	Rules    []mapping.Outcome `json:",omitempty"`
}

// ReplayItem re-runs one open inbox item through the current rules (data
// items) or metric matching (metric items). The item is resolved in the
// same transaction as the writes it leads to, else keeps the new reason; a
// replay applied once is never applied again.
func (a *Activities) ReplayItem(ctx context.Context, in ReplayItemInput) (ReplayItemResult, error) {
	c := in.Call
	item, err := a.Store.GetInboxItem(ctx, c.ProjectID, in.ItemID)
	if err != nil {
		return ReplayItemResult{}, classify(asInvalid(err))
	}
	if item.Status != store.InboxOpen {
		return ReplayItemResult{Resolved: item.Status == store.InboxResolved, Reason: "the item is " + item.Status}, nil
	}
	if item.Kind == intake.KindWebhook {
		var e intake.Event
		if err := json.Unmarshal([]byte(item.Payload), &e); err != nil {
			return ReplayItemResult{}, classify(intake.Invalid("payload", "inbox item %s holds no event", item.ID))
		}
		call := in.Call
		call.ConnectorID = item.ConnectorID
		res, err := a.ApplyEvent(ctx, ApplyEventInput{Call: call, Provider: item.Source, Event: e, InboxItemID: item.ID})
		return ReplayItemResult{Resolved: err == nil && res.Result.Reason == "", Reason: res.Result.Reason, Rules: res.Rules}, err
	}
	if item.Kind == intake.KindData {
		var payload map[string]any
		if err := json.Unmarshal([]byte(item.Payload), &payload); err != nil {
			return ReplayItemResult{}, classify(intake.Invalid("payload", "inbox item %s holds no JSON object", item.ID))
		}
		dataType, _ := payload["data_type"].(string)
		din := ApplyDataInput{Call: in.Call, Source: item.Source, DataType: dataType, Payload: item.Payload, Timestamp: item.CreatedAt}
		outcomes, version, err := a.evaluate(ctx, c.ProjectID, din, payload)
		if err != nil {
			return ReplayItemResult{}, err
		}
		d := decide(din, payload, outcomes, version, true)
		d.InboxItemID = item.ID
		res, err := a.Store.ApplyData(ctx, c, d)
		return ReplayItemResult{Resolved: err == nil && res.Reason == "", Reason: res.Reason, Rules: outcomes}, classify(err)
	}
	m, err := metricFromItem(item)
	if err != nil {
		return ReplayItemResult{}, classify(err)
	}
	res, err := a.Store.ReplayMetricItem(ctx, c, item.ID, m)
	return ReplayItemResult{Resolved: err == nil && res.Outcome == intake.OutcomeUpdated, Reason: res.Message}, classify(err)
}

// evaluate runs the rules in force for a data payload's source.
func (a *Activities) evaluate(ctx context.Context, projectID string, in ApplyDataInput, payload map[string]any) ([]mapping.Outcome, int, error) {
	prog, err := a.program(ctx, store.RuleScope{ProjectID: projectID, Source: in.Source}, in.Source)
	if err != nil {
		return nil, 0, err
	}
	env := mapping.DataEnv(payload, in.Source, in.DataType, in.Call.IngestID, in.Timestamp)
	env.Headers = in.Headers
	return prog.Eval(env), prog.Version, nil
}

// program is the compiled rule set in force for scope. A scope that never
// saved rules gets the default rules of provider, when there is one: a
// Stripe connector works before anyone writes a rule.
func (a *Activities) program(ctx context.Context, scope store.RuleScope, provider string) (*mapping.Program, error) {
	saved, version, err := a.Store.LatestRules(ctx, scope)
	if err != nil {
		return nil, err
	}
	rules, defaults := connectors.RulesInForce(provider, saved, version)
	key := scopeKey(scope)
	if defaults {
		key = "provider/" + provider
	}
	prog, err := a.rules().Program(key, version, rules)
	if err != nil {
		// Saved rules always compiled when saved: this is a bug or a manual edit.
		return nil, fmt.Errorf("rules of %s v%d: %w", key, version, err)
	}
	return prog, nil
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

// asInvalid makes a missing item a non-retryable failure: retrying will not
// bring it back.
func asInvalid(err error) error {
	if intake.ErrorCode(err) == intake.ErrNotFound {
		return intake.Invalid("item", "%v", err)
	}
	return err
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
	versions := map[string]int{}
	var out SelectReplayResult
	for _, it := range items {
		scope := store.RuleScope{ProjectID: in.ProjectID, Source: it.Source}
		if it.Kind == intake.KindWebhook {
			scope = store.RuleScope{ProjectID: in.ProjectID, ConnectorID: it.ConnectorID}
		}
		v, ok := versions[scopeKey(scope)]
		if !ok && (it.Kind == intake.KindData || it.Kind == intake.KindWebhook) {
			if _, v, err = a.Store.LatestRules(ctx, scope); err != nil {
				return out, err
			}
			versions[scopeKey(scope)] = v
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
