package store

import (
	"context"
	"encoding/json"
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

// ListPoints returns one page of a metric's points, newest first.
func (s *Store) ListPoints(ctx context.Context, projectID, metricID string, p Page) ([]MetricPoint, string, error) {
	q := s.db.WithContext(ctx).Model(&MetricPoint{}).Where("project_id = ? AND metric_id = ?", projectID, metricID)
	return list(q, p, func(r *MetricPoint) string { return r.ID })
}

// findMetric matches ref against a project's metrics by ID, then key, then
// name, the last two case-insensitively.
func findMetric(tx *gorm.DB, projectID, ref string) (*Metric, error) {
	var found []Metric
	lower := strings.ToLower(ref)
	err := tx.Where("project_id = ? AND (id = ? OR key = ? OR LOWER(name) = ?)", projectID, ref, lower, lower).
		Limit(10).Find(&found).Error
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

// CallRecord identifies the call an ApplyMetric belongs to.
type CallRecord struct {
	IngestID    string
	ProjectID   string
	ConnectorID string
	Kind        string
	WorkflowID  string
	ReceivedAt  time.Time
}

// ApplyMetric applies one metric update for a call, in one transaction: the
// call row, then either the metric's new value and a point, or an inbox item.
// Applying the same call twice changes nothing and returns the first result.
func (s *Store) ApplyMetric(ctx context.Context, c CallRecord, in intake.MetricInput) (intake.MetricResult, error) {
	var res intake.MetricResult
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		call, fresh, err := claimCall(tx, c, in.Source)
		if err != nil || !fresh {
			if err == nil {
				err = json.Unmarshal([]byte(call.Result), &res)
			}
			return err
		}
		res, err = applyMetric(tx, c, in)
		if err != nil {
			return err
		}
		return finishCall(tx, call, res)
	})
	return res, err
}

func applyMetric(tx *gorm.DB, c CallRecord, in intake.MetricInput) (intake.MetricResult, error) {
	m, err := findMetric(tx, c.ProjectID, in.Metric)
	if err != nil {
		return intake.MetricResult{}, err
	}
	if m == nil {
		item := InboxItem{
			ID: intake.NewID("inb"), ProjectID: c.ProjectID, CallID: c.IngestID, Source: in.Source,
			Kind: c.Kind, Payload: in.Raw, Status: InboxOpen,
			Reason: fmt.Sprintf("no metric matches %q", in.Metric),
		}
		if err := tx.Create(&item).Error; err != nil {
			return intake.MetricResult{}, err
		}
		return intake.MetricResult{Outcome: intake.OutcomeInboxed, InboxID: item.ID, Message: item.Reason}, nil
	}
	point := MetricPoint{
		ID: intake.NewID("pt"), ProjectID: c.ProjectID, MetricID: m.ID, CallID: c.IngestID,
		Value: in.Value, Timestamp: in.Timestamp.UTC(), Source: in.Source, Metadata: string(in.Metadata),
	}
	if err := tx.Create(&point).Error; err != nil {
		return intake.MetricResult{}, err
	}
	prev := m.Value
	res := intake.MetricResult{
		Outcome: intake.OutcomeUpdated, MetricID: m.ID, MetricKey: m.Key, Unit: m.Unit,
		PreviousValue: &prev, NewValue: m.Value,
	}
	if m.ValueAt != nil && point.Timestamp.Before(*m.ValueAt) {
		res.Message = "stored as history: the metric already has a newer value"
		return res, nil
	}
	err = tx.Model(m).Updates(map[string]any{"value": in.Value, "value_at": point.Timestamp}).Error
	res.NewValue, res.Current = in.Value, true
	return res, err
}

// claimCall inserts the call row, or finds it when an earlier run of the same
// call already committed. On PostgreSQL a concurrent run waits on the unique
// index until the first commits, so only one ever applies.
func claimCall(tx *gorm.DB, c CallRecord, source string) (Call, bool, error) {
	call := Call{
		ID: intake.NewID("call"), IngestID: c.IngestID, ProjectID: c.ProjectID, ConnectorID: c.ConnectorID,
		Source: source, Kind: c.Kind, Status: intake.StatusProcessing, WorkflowID: c.WorkflowID,
		ReceivedAt: c.ReceivedAt.UTC(),
	}
	res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "ingest_id"}}, DoNothing: true}).Create(&call)
	if res.Error != nil {
		return call, false, res.Error
	}
	if res.RowsAffected == 1 {
		return call, true, nil
	}
	var existing Call
	err := tx.Where("ingest_id = ?", c.IngestID).Take(&existing).Error
	return existing, false, err
}

func finishCall(tx *gorm.DB, call Call, res intake.MetricResult) error {
	body, err := json.Marshal(res)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	return tx.Model(&call).Updates(map[string]any{
		"status": intake.StatusDone, "result": string(body), "completed_at": now,
	}).Error
}
