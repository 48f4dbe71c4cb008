package activities

import (
	"encoding/json"
	"fmt"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/connectors"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/store"
)

// RulesInForce is the compiled rule set a scope runs: its saved rules (at
// version), or, when it never saved any, the default rules of the provider
// named provider, so a Stripe connector works before anyone writes a rule.
// The live path, the reject check of webhooks, replays and dry-runs all
// ask it, so they cannot disagree.
func RulesInForce(cache *mapping.Cache, scope store.RuleScope, provider string, saved []intake.Rule, version int) (*mapping.Program, error) {
	rules, defaults := connectors.RulesInForce(provider, saved, version)
	key := scope.ProjectID + "/" + scope.ConnectorID + "/" + scope.Source
	if defaults {
		key = "provider/" + provider
	}
	prog, err := cache.Program(key, version, rules)
	if err != nil {
		// Saved rules always compiled when saved: this is a bug or a manual edit.
		return nil, fmt.Errorf("rules of %s v%d: %w", key, version, err)
	}
	return prog, nil
}

// program is the rule set in force for scope, read in the group's
// transaction.
func (a *Activities) program(tx *store.Tx, scope store.RuleScope, provider string) (*mapping.Program, error) {
	saved, version, err := tx.LatestRules(scope)
	if err != nil {
		return nil, err
	}
	return RulesInForce(a.rules(), scope, provider, saved, version)
}

// byRules is the update a metric push makes. A metric is matched by its id,
// key or name, or else by a mapping rule of the push's source: the rules
// see the push's body as payload (event.type "metric"), and the first rule
// that matches names the metric and gives the value, op and time. With no
// metric and no rule matching, the push is unchanged (and goes to the
// inbox).
func (a *Activities) byRules(tx *store.Tx, c intake.Call, in intake.MetricInput) (intake.MetricInput, error) {
	if in.Create != nil || in.Raw == "" {
		return in, nil
	}
	if known, err := tx.KnowsMetric(c.ProjectID, in.Metric); err != nil || known {
		return in, err
	}
	saved, version, err := tx.LatestRules(store.RuleScope{ProjectID: c.ProjectID, Source: in.Source})
	if err != nil || version == 0 {
		return in, err
	}
	prog, err := RulesInForce(a.rules(), store.RuleScope{ProjectID: c.ProjectID, Source: in.Source}, in.Source, saved, version)
	if err != nil {
		return in, err
	}
	var payload map[string]any
	if json.Unmarshal([]byte(in.Raw), &payload) != nil {
		return in, nil
	}
	outcomes := prog.Eval(mapping.DataEnv(payload, in.Source, intake.KindMetric, c.IngestID, in.Timestamp))
	d := decide(in.Source, in.Raw, in.Timestamp, c.ReceivedAt, payload, outcomes, version, false)
	if len(d.Updates) == 0 {
		return in, nil
	}
	u := d.Updates[0]
	u.Metadata, u.Raw = in.Metadata, in.Raw
	if u.Op == "" {
		u.Op = in.Op
	}
	return u, nil
}
