package store

import (
	"context"
	"time"
)

// InboxFilter narrows an inbox list.
type InboxFilter struct {
	Source, Status string
}

// ListInbox returns one page of a project's inbox, newest first.
func (s *Store) ListInbox(ctx context.Context, projectID string, f InboxFilter, p Page) ([]InboxItem, string, error) {
	q := s.db.WithContext(ctx).Model(&InboxItem{}).Where("project_id = ?", projectID)
	if f.Source != "" {
		q = q.Where("source = ?", f.Source)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	return list(q, p, func(r *InboxItem) string { return r.ID })
}

// GetInboxItem returns a project's inbox item.
func (s *Store) GetInboxItem(ctx context.Context, projectID, id string) (InboxItem, error) {
	var it InboxItem
	err := s.db.WithContext(ctx).Where("project_id = ? AND id = ?", projectID, id).Take(&it).Error
	return it, notFound(err, "inbox item")
}

// DismissInboxItem marks an open item dismissed; dismissing twice is a no-op.
func (s *Store) DismissInboxItem(ctx context.Context, projectID, id string) (InboxItem, error) {
	it, err := s.GetInboxItem(ctx, projectID, id)
	if err != nil || it.Status == InboxDismissed {
		return it, err
	}
	it.Status, it.UpdatedAt = InboxDismissed, time.Now().UTC()
	err = s.db.WithContext(ctx).Model(&it).Updates(map[string]any{"status": it.Status, "updated_at": it.UpdatedAt}).Error
	return it, err
}

// GetMetric returns a project's metric by ID.
func (s *Store) GetMetric(ctx context.Context, projectID, id string) (Metric, error) {
	var m Metric
	err := s.db.WithContext(ctx).Where("project_id = ? AND id = ?", projectID, id).Take(&m).Error
	return m, notFound(err, "metric")
}
