package store

import (
	"context"
	"encoding/json"

	"github.com/intakehq/intake"
)

// MaxRuleSources bounds RuleSources: past it a project's sources are a
// list to search, not to read.
const MaxRuleSources = 500

// RuleSources are the sources of a project that have, or could use, rules
// of their own, sorted: those that saved a rule set, and those that pushed
// a call the rules read (a metric, batch or data push) or left an inbox
// item, without a connector. At most MaxRuleSources.
func (s *Store) RuleSources(ctx context.Context, projectID string) ([]string, error) {
	ruled := []string{intake.KindMetric, intake.KindBatch, intake.KindData}
	var out []string
	err := s.db.WithContext(ctx).Raw(`SELECT source FROM rule_sets WHERE project_id = ? AND connector_id = '' AND source <> ''
UNION SELECT source FROM calls WHERE project_id = ? AND (connector_id = '' OR connector_id IS NULL) AND source <> '' AND kind IN ?
UNION SELECT source FROM inbox_items WHERE project_id = ? AND (connector_id = '' OR connector_id IS NULL) AND source <> '' AND kind IN ?
ORDER BY source LIMIT ?`,
		projectID, projectID, ruled, projectID, ruled, MaxRuleSources).
		Scan(&out).Error
	return out, err
}

// LatestRuleSets are the rules in force of every scope of a project that
// saved some, with their versions, in one read: the console's index of
// rules, which would otherwise read each scope's on its own.
func (s *Store) LatestRuleSets(ctx context.Context, projectID string) (map[RuleScope]SavedRules, error) {
	var rows []RuleSet
	err := s.db.WithContext(ctx).Raw(`SELECT r.* FROM rule_sets r JOIN (
  SELECT connector_id, source, MAX(version) AS version FROM rule_sets WHERE project_id = ? GROUP BY connector_id, source
) m ON r.connector_id = m.connector_id AND r.source = m.source AND r.version = m.version
WHERE r.project_id = ?`, projectID, projectID).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[RuleScope]SavedRules, len(rows))
	for _, rs := range rows {
		var rules []intake.Rule
		if err := json.Unmarshal([]byte(rs.Rules), &rules); err != nil {
			return nil, err
		}
		out[RuleScope{ProjectID: projectID, ConnectorID: rs.ConnectorID, Source: rs.Source}] = SavedRules{Version: rs.Version, Rules: rules}
	}
	return out, nil
}

// SavedRules is a scope's latest saved version.
type SavedRules struct {
	Version int
	Rules   []intake.Rule
}
