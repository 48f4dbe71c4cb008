package store

import (
	"context"
	"sort"

	"github.com/intakehq/intake"
	"gorm.io/gorm"
)

// Aggregate groupings.
const (
	GroupNone        = ""
	GroupAgent       = "agent"
	GroupTeam        = "team"
	GroupDay         = "day"
	GroupProposition = "proposition"
)

// AggregateQuery selects the activities or sales an aggregate counts.
// FromMS and ToMS bound the time (ToMS exclusive) when non-zero.
type AggregateQuery struct {
	ProjectID, ConnectorID, Type, GroupBy string
	FromMS, ToMS                          int64
	IncludeCancelled                      bool
}

// AggregateRow is one group's count and sum of value. Group is the linked
// agent, team or proposition when the identity is linked, else the
// identity; a day for day groups; empty for records without a team.
type AggregateRow struct {
	Group string  `json:"group"`
	Name  string  `json:"name"`
	Count int64   `json:"count"`
	Sum   float64 `json:"sum"`
}

// groupColumns are the columns each grouping reads, per table.
var groupColumns = map[string]string{
	GroupAgent: "agent_identity_id", GroupTeam: "team_identity_id", GroupDay: "day",
	GroupProposition: "proposition_identity_id",
}

// AggregateActivities counts activities of a type (every type when
// empty) and sums their values, grouped.
func (s *Store) AggregateActivities(ctx context.Context, q AggregateQuery) ([]AggregateRow, error) {
	db := s.db.WithContext(ctx).Model(&Activity{}).Where("project_id = ?", q.ProjectID)
	if q.Type != "" {
		db = db.Where("type = ?", q.Type)
	}
	return s.aggregate(ctx, q, db, "moment_ms", "value")
}

// AggregateSales counts sales and sums their contract values, grouped;
// cancelled sales only when asked.
func (s *Store) AggregateSales(ctx context.Context, q AggregateQuery) ([]AggregateRow, error) {
	db := s.db.WithContext(ctx).Model(&Sale{}).Where("project_id = ?", q.ProjectID)
	if !q.IncludeCancelled {
		db = db.Where("cancelled_at IS NULL")
	}
	return s.aggregate(ctx, q, db, "sold_at_ms", "contract_value")
}

// aggregate groups in SQL by the stored column, then merges identities
// linked to one entity, which SQL cannot see without a join per kind.
func (s *Store) aggregate(ctx context.Context, q AggregateQuery, db *gorm.DB, timeColumn, valueColumn string) ([]AggregateRow, error) {
	if q.ConnectorID != "" {
		db = db.Where("connector_id = ?", q.ConnectorID)
	}
	if q.FromMS != 0 {
		db = db.Where(timeColumn+" >= ?", q.FromMS)
	}
	if q.ToMS != 0 {
		db = db.Where(timeColumn+" < ?", q.ToMS)
	}
	group := "''"
	if col, ok := groupColumns[q.GroupBy]; ok {
		group = "COALESCE(" + col + ", '')"
		db = db.Group(group)
	}
	var raw []AggregateRow
	err := db.Select(group + ` AS "group", COUNT(*) AS count, COALESCE(SUM(` + valueColumn + "), 0) AS sum").Scan(&raw).Error
	if err != nil {
		return nil, err
	}
	if q.GroupBy == GroupNone || q.GroupBy == GroupDay {
		for i := range raw {
			raw[i].Name = raw[i].Group
		}
		sort.Slice(raw, func(i, j int) bool { return raw[i].Group < raw[j].Group })
		return raw, nil
	}
	return s.mergeLinked(ctx, q.ProjectID, raw)
}

// mergeLinked replaces identity groups by their linked entities, adding up
// identities linked to the same one, and sorts by sum, then count.
func (s *Store) mergeLinked(ctx context.Context, projectID string, raw []AggregateRow) ([]AggregateRow, error) {
	ids := make([]string, 0, len(raw))
	for _, r := range raw {
		ids = append(ids, r.Group)
	}
	var idns []Identity
	if err := s.db.WithContext(ctx).Where("project_id = ? AND id IN ?", projectID, ids).Find(&idns).Error; err != nil {
		return nil, err
	}
	var linked []string
	byID := map[string]Identity{}
	for _, i := range idns {
		byID[i.ID] = i
		if i.LinkedID != "" {
			linked = append(linked, i.LinkedID)
		}
	}
	names := map[string]string{}
	if len(linked) > 0 {
		var ents []Entity
		if err := s.db.WithContext(ctx).Where("project_id = ? AND id IN ?", projectID, linked).Find(&ents).Error; err != nil {
			return nil, err
		}
		for _, e := range ents {
			names[e.ID] = e.Name
		}
	}
	merged := map[string]*AggregateRow{}
	var out []*AggregateRow
	for _, r := range raw {
		key, name := r.Group, ""
		if i, ok := byID[r.Group]; ok {
			name = i.Name
			if i.LinkedID != "" {
				key, name = i.LinkedID, names[i.LinkedID]
			}
		}
		m, ok := merged[key]
		if !ok {
			m = &AggregateRow{Group: key, Name: name}
			merged[key] = m
			out = append(out, m)
		}
		m.Count += r.Count
		m.Sum += r.Sum
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Sum != out[j].Sum {
			return out[i].Sum > out[j].Sum
		}
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Group < out[j].Group
	})
	rows := make([]AggregateRow, len(out))
	for i, r := range out {
		rows[i] = *r
	}
	return rows, nil
}

// validGroups is what GroupBy takes, per table, for the API to check.
var validGroups = map[string][]string{
	intake.KindActivity: {GroupAgent, GroupTeam, GroupDay},
	intake.KindSale:     {GroupAgent, GroupTeam, GroupDay, GroupProposition},
}

// Groupings lists the groupings a kind of record takes.
func Groupings(kind string) []string { return validGroups[kind] }
