package activities

import (
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
