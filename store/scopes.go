package store

import (
	"context"

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
