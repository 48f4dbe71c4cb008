package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/intakehq/intake"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CreateMetric stores a new metric; a key already used in the project is a
// conflict.
func (s *Store) CreateMetric(ctx context.Context, m *Metric) error {
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(m)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return intake.Errorf(intake.ErrConflict, "a metric with key %q already exists", m.Key)
	}
	return nil
}

// ListMetrics returns one page of a project's metrics.
func (s *Store) ListMetrics(ctx context.Context, projectID string, p Page) ([]Metric, string, error) {
	q := s.db.WithContext(ctx).Model(&Metric{}).Where("project_id = ?", projectID)
	return list(q, p, func(r *Metric) string { return r.ID })
}

// PointRange bounds a metric's history by point timestamp: From inclusive,
// To exclusive; zero means unbounded.
type PointRange struct {
	From, To time.Time
}

// ListPoints returns one page of a metric's points, latest timestamp first.
// The cursor carries the last point's timestamp and ID, so pages stay stable
// while late points arrive.
func (s *Store) ListPoints(ctx context.Context, projectID, metricID string, r PointRange, p Page) ([]MetricPoint, string, error) {
	q := s.db.WithContext(ctx).Where("project_id = ? AND metric_id = ?", projectID, metricID)
	if !r.From.IsZero() {
		q = q.Where("timestamp_ms >= ?", r.From.UnixMilli())
	}
	if !r.To.IsZero() {
		q = q.Where("timestamp_ms < ?", r.To.UnixMilli())
	}
	if p.Cursor != "" {
		ms, id, err := parseTimeCursor(p.Cursor, "_pt_")
		if err != nil {
			return nil, "", err
		}
		q = q.Where("(timestamp_ms < ? OR (timestamp_ms = ? AND id < ?))", ms, ms, "pt_"+id)
	}
	n := p.limit()
	var rows []MetricPoint
	if err := q.Order("timestamp_ms DESC, id DESC").Limit(n + 1).Find(&rows).Error; err != nil {
		return nil, "", err
	}
	if len(rows) <= n {
		return rows, "", nil
	}
	rows = rows[:n]
	last := rows[n-1]
	return rows, timeCursor(last.TimestampMS, last.ID), nil
}

// findMetric matches ref against a project's metrics by ID, then key, then
// name, the last two case-insensitively.
func findMetric(tx *gorm.DB, projectID, ref string) (*Metric, error) {
	var found []Metric
	lower := strings.ToLower(ref)
	q := tx.Where("project_id = ? AND (id = ? OR key = ? OR LOWER(name) = ?)", projectID, ref, lower, lower)
	if tx.Dialector.Name() == "postgres" {
		// The update reads the value it changes (op add, newer-than): the
		// row stays locked until commit, or concurrent calls lose updates.
		// SQLite's single writer serializes them already.
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	err := q.Limit(10).Find(&found).Error
	if err != nil {
		return nil, err
	}
	rank := func(m *Metric) int {
		switch {
		case m.ID == ref:
			return 0
		case m.Key == lower:
			return 1
		}
		return 2
	}
	var best *Metric
	for i := range found {
		if best == nil || rank(&found[i]) < rank(best) {
			best = &found[i]
		}
	}
	return best, nil
}

// ApplyMetric applies the seq-th metric update of call c: the metric's
// new value and a point, or an inbox item holding the update when no
// metric matches.
func (t *Tx) ApplyMetric(c intake.Call, seq int, in intake.MetricInput) (intake.MetricResult, error) {
	m, err := t.resolveMetric(c.ProjectID, in)
	if err != nil {
		return intake.MetricResult{}, err
	}
	if m == nil {
		reason := noMetric(in)
		id := t.addInbox(c, in.Source, in.Raw, reason)
		return intake.MetricResult{Outcome: intake.OutcomeInboxed, InboxID: id, Message: reason, Ref: in.Metric}, nil
	}
	return t.updateMetric(c, seq, m, in), nil
}

func noMetric(in intake.MetricInput) string {
	return fmt.Sprintf("no metric matches %q", in.Metric)
}

// KnowsMetric reports whether a project has a metric with id, key or name
// ref, as this transaction sees it.
func (t *Tx) KnowsMetric(projectID, ref string) (bool, error) {
	m, err := t.metric(projectID, ref)
	return m != nil, err
}

// resolveMetric finds the metric an update names, creating it when the
// update asks for that; nil when there is none.
func (t *Tx) resolveMetric(projectID string, in intake.MetricInput) (*Metric, error) {
	m, err := t.metric(projectID, in.Metric)
	if err != nil || m != nil || in.Create == nil {
		return m, err
	}
	m = &Metric{ID: intake.NewID("m"), ProjectID: projectID, Key: in.Create.Key, Name: in.Create.Name, Unit: in.Create.Unit}
	if err := t.db.Create(m).Error; err != nil {
		return nil, err
	}
	t.created(m, in.Metric)
	return m, nil
}

// updateMetric changes m in memory and queues its point; flush writes both.
func (t *Tx) updateMetric(c intake.Call, seq int, m *Metric, in intake.MetricInput) intake.MetricResult {
	prev := m.Value
	res := intake.MetricResult{
		Outcome: intake.OutcomeUpdated, MetricID: m.ID, MetricKey: m.Key, Unit: m.Unit,
		PreviousValue: &prev, NewValue: m.Value, Ref: in.Metric,
	}
	point := MetricPoint{
		ID: intake.NewID("pt"), ProjectID: c.ProjectID, MetricID: m.ID, CallID: c.IngestID, Seq: seq,
		Value: in.Value, Timestamp: in.Timestamp.UTC(), TimestampMS: in.Timestamp.UnixMilli(),
		Source: in.Source, Metadata: string(in.Metadata), RuleVersion: in.RuleVersion,
	}
	current := m.ValueAt == nil || !point.Timestamp.Before(*m.ValueAt)
	switch {
	case in.Op == intake.OpAdd:
		// A counter adds whatever the order of arrival; the point records
		// the total it led to, and the increment.
		delta := in.Value
		point.Delta, point.Value = &delta, m.Value+in.Value
		m.Value = point.Value
		if current {
			m.ValueAt = &point.Timestamp
		}
		res.NewValue, res.Current = point.Value, true
		t.dirty[m.ID] = true
	case current:
		m.Value, m.ValueAt = in.Value, &point.Timestamp
		res.NewValue, res.Current = in.Value, true
		t.dirty[m.ID] = true
	default:
		res.Message = "stored as history: the metric already has a newer value"
	}
	t.points = append(t.points, point)
	t.observe(c, m, prev, point.Timestamp, res.Current)
	return res
}

// UpdateMetric changes a project's metric with edit, inside a transaction
// that holds the metric's row, so a point applied meanwhile is not lost.
func (s *Store) UpdateMetric(ctx context.Context, projectID, id string, edit func(*Metric) error) (Metric, error) {
	var m Metric
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockMetrics(tx, id); err != nil {
			return err
		}
		if err := tx.Where("project_id = ? AND id = ?", projectID, id).Take(&m).Error; err != nil {
			return notFound(err, "metric")
		}
		if err := edit(&m); err != nil {
			return err
		}
		return tx.Model(&m).Select("name", "unit", "updated_at").Updates(&m).Error
	})
	return m, err
}

// DeleteMetric removes a project's metric with its points. A metric that
// alerts watch is a conflict: deleting it would leave them watching
// nothing. A call for the metric that runs after the delete finds no
// metric, as for any unknown one: its update goes to the inbox, unless its
// rule creates the metric on first use.
func (s *Store) DeleteMetric(ctx context.Context, projectID, id string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockMetrics(tx, id); err != nil {
			return err
		}
		var m Metric
		if err := tx.Select("id").Where("project_id = ? AND id = ?", projectID, id).Take(&m).Error; err != nil {
			return notFound(err, "metric")
		}
		var alerts int64
		if err := tx.Model(&Alert{}).Where("project_id = ? AND metric_id = ?", projectID, id).Count(&alerts).Error; err != nil {
			return err
		}
		if alerts > 0 {
			return intake.Errorf(intake.ErrConflict, "%d alert(s) watch this metric: delete them first", alerts)
		}
		if err := tx.Where("project_id = ? AND metric_id = ?", projectID, id).Delete(&MetricPoint{}).Error; err != nil {
			return err
		}
		return tx.Where("project_id = ? AND id = ?", projectID, id).Delete(&Metric{}).Error
	})
}
