package store

import (
	"context"
	"encoding/json"

	"github.com/intakehq/intake"
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

// MetricResult decodes the result a finished metric call stored.
func (c Call) MetricResult() (intake.MetricResult, error) {
	var r intake.MetricResult
	err := json.Unmarshal([]byte(c.Result), &r)
	return r, err
}

// GetInboxItem returns a project's inbox item.
func (s *Store) GetInboxItem(ctx context.Context, projectID, id string) (InboxItem, error) {
	var it InboxItem
	err := s.db.WithContext(ctx).Where("project_id = ? AND id = ?", projectID, id).Take(&it).Error
	return it, notFound(err, "inbox item")
}
