package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/intakehq/intake"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

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

// Outcome is the answer a finished call gave, for a repeat of the call:
// its result, or the error it failed with.
func (c Call) Outcome() intake.Outcome {
	if c.Status == intake.StatusFailed {
		return intake.Outcome{Replayed: true, Error: &intake.Error{Code: intake.Code(c.ErrorCode), Message: c.Error}}
	}
	return intake.Outcome{Replayed: true, Result: json.RawMessage(c.Result)}
}

// callRow is the row of call c with status.
func callRow(c intake.Call, status string) Call {
	return Call{
		ID: intake.NewID("call"), IngestID: c.IngestID, ProjectID: c.ProjectID, ConnectorID: c.ConnectorID,
		Source: c.Source, Kind: c.Kind, Status: status, WorkflowID: c.WorkflowID, ReceivedAt: c.ReceivedAt.UTC(),
	}
}

// doneRow is the row of a call applied with result.
func doneRow(c intake.Call, result json.RawMessage, at time.Time) Call {
	row := callRow(c, intake.StatusDone)
	row.Result, row.CompletedAt = string(result), &at
	return row
}

// claimCall inserts the call row, or finds it when an earlier run of the
// same call already committed. On PostgreSQL a concurrent run waits on the
// unique index until the first commits, so only one ever applies.
func claimCall(tx *gorm.DB, c intake.Call) (Call, bool, error) {
	call := callRow(c, intake.StatusProcessing)
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

func finishCall(tx *gorm.DB, call Call, result json.RawMessage) error {
	return tx.Model(&call).Updates(map[string]any{
		"status": intake.StatusDone, "result": string(result), "completed_at": time.Now().UTC(),
	}).Error
}

// failCall records a call that failed for good, with its error, so that
// it is listed, answered, and never applied by a later run.
func failCall(tx *gorm.DB, c intake.Call, e *intake.Error) error {
	row := callRow(c, intake.StatusFailed)
	now := time.Now().UTC()
	row.Error, row.ErrorCode, row.CompletedAt = e.Message, string(e.Code), &now
	return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "ingest_id"}}, DoNothing: true}).Create(&row).Error
}

// finishedCalls returns the rows of the calls that an earlier run already
// applied or failed, by ingest ID.
func finishedCalls(tx *gorm.DB, calls []intake.Call) (map[string]Call, error) {
	ids := make([]string, len(calls))
	for i, c := range calls {
		ids[i] = c.IngestID
	}
	var rows []Call
	if err := tx.Where("ingest_id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]Call, len(rows))
	for _, r := range rows {
		if r.Status != intake.StatusProcessing {
			out[r.IngestID] = r
		}
	}
	return out, nil
}
