package store

import (
	"context"
	"encoding/json"
	"strings"
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

// CallFilter selects calls by status, kind, source and connector; empty
// matches all.
type CallFilter struct {
	Status, Kind, Source string
	ConnectorID          string
}

// ListCalls returns one page of a project's calls, newest first.
func (s *Store) ListCalls(ctx context.Context, projectID string, f CallFilter, p Page) ([]Call, string, error) {
	q := s.db.WithContext(ctx).Model(&Call{}).Where("project_id = ?", projectID)
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.Source != "" {
		q = q.Where("source = ?", f.Source)
	}
	if f.ConnectorID != "" {
		q = q.Where("connector_id = ?", f.ConnectorID)
	}
	return list(q, p, func(r *Call) string { return r.ID })
}

// CountConnectorCalls counts the calls of a project's connectors recorded
// since a time, by connector. Call IDs sort by their time, so the count
// reads a range of the connector's index rather than every call it had.
func (s *Store) CountConnectorCalls(ctx context.Context, projectID string, connectorIDs []string, since time.Time) (map[string]int64, error) {
	out := map[string]int64{}
	if len(connectorIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ConnectorID string
		N           int64
	}
	err := s.db.WithContext(ctx).Model(&Call{}).Select("connector_id, COUNT(*) AS n").
		Where("connector_id IN ? AND id >= ? AND project_id = ?", connectorIDs, "call_"+intake.IDAt(since), projectID).
		Group("connector_id").Scan(&rows).Error
	for _, r := range rows {
		out[r.ConnectorID] = r.N
	}
	return out, err
}

// AcceptCalls records calls whose workflow has started as processing, so
// that they are listed before they are done. A call an earlier run already
// recorded keeps its row.
//
// The rows that exist are read first: a read takes no write lock (SQLite
// has one for the whole database), and most calls are done by the time
// they are recorded.
func (s *Store) AcceptCalls(ctx context.Context, workflowID string, calls []intake.Call) error {
	ids := make([]string, len(calls))
	for i, c := range calls {
		ids[i] = c.IngestID
	}
	var existing []string
	if err := s.db.WithContext(ctx).Model(&Call{}).Where("ingest_id IN ?", ids).Pluck("ingest_id", &existing).Error; err != nil {
		return err
	}
	seen := make(map[string]bool, len(calls))
	for _, id := range existing {
		seen[id] = true
	}
	rows := make([]Call, 0, len(calls))
	for _, c := range calls {
		if seen[c.IngestID] {
			continue
		}
		seen[c.IngestID] = true
		c.WorkflowID = workflowID
		rows = append(rows, callRow(c, intake.StatusProcessing))
	}
	if len(rows) == 0 {
		return nil
	}
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "ingest_id"}}, DoNothing: true}).
		CreateInBatches(rows, s.rowsPerInsert()).Error
}

// maxErrorText bounds the error kept with a call.
const maxErrorText = 1000

// RecordAttempt records a failed attempt at applying calls, with its
// error, on those not finished yet.
func (s *Store) RecordAttempt(ctx context.Context, calls []intake.Call, attempt int, cause error) error {
	msg := cause.Error()
	if len(msg) > maxErrorText {
		msg = strings.ToValidUTF8(msg[:maxErrorText], "") + "…"
	}
	code := intake.ErrInternal
	if classify(cause) == failInfra {
		code = intake.ErrUnavailable
	}
	rows := make([]Call, 0, len(calls))
	seen := make(map[string]bool, len(calls))
	for _, c := range calls {
		if seen[c.IngestID] {
			continue
		}
		seen[c.IngestID] = true
		row := callRow(c, intake.StatusProcessing)
		row.Attempts, row.Error, row.ErrorCode = attempt, msg, string(code)
		rows = append(rows, row)
	}
	return s.db.WithContext(ctx).Clauses(unfinished("attempts", "error", "error_code")).
		CreateInBatches(rows, s.rowsPerInsert()).Error
}

// unfinished is the upsert of a call row that overwrites columns of a row
// only while its call is processing: a call done or failed stays so.
func unfinished(columns ...string) clause.OnConflict {
	return clause.OnConflict{
		Columns:   []clause.Column{{Name: "ingest_id"}},
		DoUpdates: clause.AssignmentColumns(columns),
		Where:     clause.Where{Exprs: []clause.Expression{clause.Eq{Column: clause.Column{Table: "calls", Name: "status"}, Value: intake.StatusProcessing}}},
	}
}

// finishedColumns are what a run that finishes a call writes over the row
// the API or an earlier attempt recorded.
var finishedColumns = []string{"status", "result", "error", "error_code", "attempts", "workflow_id", "completed_at"}

// Outcome is the answer a finished call gave, for a repeat of the call:
// its result, or the error it failed with.
func (c Call) Outcome() intake.Outcome {
	if c.Status == intake.StatusFailed {
		return intake.Outcome{Replayed: true, Fingerprint: c.Fingerprint, Error: &intake.Error{Code: intake.Code(c.ErrorCode), Message: c.Error}}
	}
	return intake.Outcome{Replayed: true, Fingerprint: c.Fingerprint, Result: json.RawMessage(c.Result)}
}

// callRow is the row of call c with status.
func callRow(c intake.Call, status string) Call {
	return Call{
		ID: intake.NewID("call"), IngestID: c.IngestID, ProjectID: c.ProjectID, ConnectorID: c.ConnectorID,
		Source: c.Source, Kind: c.Kind, Status: status, WorkflowID: c.WorkflowID, ReceivedAt: c.ReceivedAt.UTC(),
		Fingerprint: c.Fingerprint,
	}
}

// doneRow is the row of a call applied with result at its attempt.
func doneRow(c intake.Call, result json.RawMessage, attempt int, at time.Time) Call {
	row := callRow(c, intake.StatusDone)
	row.Result, row.Attempts, row.CompletedAt = string(result), attempt, &at
	return row
}

// claimCall claims a call for this run: it inserts the call's row, or
// takes the processing row the API or an earlier attempt recorded, or
// finds the row of a run that finished the call. On PostgreSQL a
// concurrent run waits on the row until the first commits, so only one
// ever applies.
func claimCall(tx *gorm.DB, c intake.Call) (bool, Call, error) {
	call := callRow(c, intake.StatusProcessing)
	res := tx.Clauses(unfinished("workflow_id")).Create(&call)
	if res.Error != nil {
		return false, call, res.Error
	}
	if res.RowsAffected == 1 {
		return true, call, nil
	}
	var existing Call
	err := tx.Where("ingest_id = ?", c.IngestID).Take(&existing).Error
	return false, existing, err
}

func finishCall(tx *gorm.DB, c intake.Call, result json.RawMessage, attempt int) error {
	return tx.Model(&Call{}).Where("ingest_id = ?", c.IngestID).Updates(map[string]any{
		"status": intake.StatusDone, "result": string(result), "error": "", "error_code": "", "attempts": attempt,
		"completed_at": time.Now().UTC(),
	}).Error
}

// failCall records a call that failed for good, with its error, so that
// it is listed, answered, and never applied by a later run.
// It reports false when a concurrent run finished the call first (on
// PostgreSQL the savepoint's rollback let it claim the call): that run's
// row stands.
func failCall(tx *gorm.DB, c intake.Call, e *intake.Error, attempt int) (bool, error) {
	row := callRow(c, intake.StatusFailed)
	now := time.Now().UTC()
	row.Error, row.ErrorCode, row.Attempts, row.CompletedAt = e.Message, string(e.Code), attempt, &now
	res := tx.Clauses(unfinished(finishedColumns...)).Create(&row)
	return res.RowsAffected == 1, res.Error
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
