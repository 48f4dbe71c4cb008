package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/intakehq/intake"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CallRecord identifies the call a write belongs to.
type CallRecord struct {
	IngestID    string
	ProjectID   string
	ConnectorID string
	Kind        string
	WorkflowID  string
	ReceivedAt  time.Time
}

// applyCall runs apply in one transaction together with the call's row. The
// row is claimed first: when an earlier run of the same call has committed,
// apply is skipped and that run's stored result is returned, so a call has
// one effect however often its workflow or activity runs.
func applyCall[R any](ctx context.Context, s *Store, c CallRecord, source string, apply func(tx *gorm.DB) (R, error)) (R, error) {
	var res R
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		call, fresh, err := claimCall(tx, c, source)
		if err != nil {
			return err
		}
		if !fresh {
			return json.Unmarshal([]byte(call.Result), &res)
		}
		if res, err = apply(tx); err != nil {
			return err
		}
		return finishCall(tx, call, res)
	})
	return res, err
}

// GetCall returns a project's call by its ingest ID.
func (s *Store) GetCall(ctx context.Context, projectID, ingestID string) (Call, error) {
	var c Call
	err := s.db.WithContext(ctx).Where("project_id = ? AND ingest_id = ?", projectID, ingestID).Take(&c).Error
	return c, notFound(err, "call")
}

// ListCalls returns one page of a project's calls, newest first.
func (s *Store) ListCalls(ctx context.Context, projectID string, p Page) ([]Call, string, error) {
	q := s.db.WithContext(ctx).Model(&Call{}).Where("project_id = ?", projectID)
	return list(q, p, func(r *Call) string { return r.ID })
}

// MetricResult decodes the result a finished metric call stored.
func (c Call) MetricResult() (intake.MetricResult, error) {
	var r intake.MetricResult
	err := json.Unmarshal([]byte(c.Result), &r)
	return r, err
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

func finishCall(tx *gorm.DB, call Call, res any) error {
	body, err := json.Marshal(res)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	return tx.Model(&call).Updates(map[string]any{
		"status": intake.StatusDone, "result": string(body), "completed_at": now,
	}).Error
}
