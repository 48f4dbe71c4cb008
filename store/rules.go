package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/intakehq/intake"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// RuleSet is one saved version of the rules of a project's connector or
// source. Every save inserts a new version; the highest is in force, and the
// version that produced a point is recorded on it.
type RuleSet struct {
	ID          string    `gorm:"primaryKey;size:40" json:"id"`
	ProjectID   string    `gorm:"size:40;not null;uniqueIndex:idx_ruleset_version,priority:1" json:"-"`
	ConnectorID string    `gorm:"size:40;not null;default:'';uniqueIndex:idx_ruleset_version,priority:2" json:"connector_id,omitempty"`
	Source      string    `gorm:"size:200;not null;default:'';uniqueIndex:idx_ruleset_version,priority:3" json:"source,omitempty"`
	Version     int       `gorm:"not null;uniqueIndex:idx_ruleset_version,priority:4" json:"version"`
	Rules       string    `gorm:"type:text;not null" json:"-"`
	CreatedAt   time.Time `json:"created_at"`
}

// RuleScope names whose rules a rule set holds.
type RuleScope struct {
	ProjectID, ConnectorID, Source string
}

// LatestRules returns the rules in force for scope and their version; no
// rules and version 0 when none were ever saved.
func (s *Store) LatestRules(ctx context.Context, scope RuleScope) ([]intake.Rule, int, error) {
	return latestRules(s.db.WithContext(ctx), scope)
}

func latestRules(tx *gorm.DB, scope RuleScope) ([]intake.Rule, int, error) {
	var rs RuleSet
	err := tx.Where("project_id = ? AND connector_id = ? AND source = ?", scope.ProjectID, scope.ConnectorID, scope.Source).
		Order("version DESC").Limit(1).Take(&rs).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var rules []intake.Rule
	err = json.Unmarshal([]byte(rs.Rules), &rules)
	return rules, rs.Version, err
}

// EditRules applies edit to the rules in force and saves the result as the
// next version, in one transaction. Two concurrent edits cannot both win:
// the loser gets a conflict and may retry.
func (s *Store) EditRules(ctx context.Context, scope RuleScope, edit func([]intake.Rule) ([]intake.Rule, error)) ([]intake.Rule, int, error) {
	return s.EditRulesFrom(ctx, scope, nil, edit)
}

// EditRulesFrom is EditRules from defaults when the scope never saved a
// rule set: a connector running on its provider's default rules keeps
// them when a rule is added, changed or deleted.
func (s *Store) EditRulesFrom(ctx context.Context, scope RuleScope, defaults []intake.Rule, edit func([]intake.Rule) ([]intake.Rule, error)) ([]intake.Rule, int, error) {
	var rules []intake.Rule
	var version int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		current, v, err := latestRules(tx, scope)
		if err != nil {
			return err
		}
		if v == 0 {
			current = defaults
		}
		if rules, err = edit(current); err != nil {
			return err
		}
		raw, err := json.Marshal(rules)
		if err != nil {
			return err
		}
		if was, _ := json.Marshal(current); v > 0 && string(was) == string(raw) {
			version = v // nothing changed: no new version
			return nil
		}
		version = v + 1
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&RuleSet{
			ID: intake.NewID("rs"), ProjectID: scope.ProjectID, ConnectorID: scope.ConnectorID,
			Source: scope.Source, Version: version, Rules: string(raw),
		})
		if res.Error == nil && res.RowsAffected == 0 {
			return intake.Errorf(intake.ErrConflict, "the rules changed while saving; retry")
		}
		return res.Error
	})
	return rules, version, err
}
