package store

import (
	"context"
	"time"

	"github.com/intakehq/intake"
	"gorm.io/gorm"
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

// settleInboxItem records a replay's outcome on its item: resolved, with the
// replaying call, when nothing is left unmatched; else open with the reason.
func settleInboxItem(tx *gorm.DB, c intake.Call, id, reason string) error {
	updates := map[string]any{"reason": reason, "updated_at": time.Now().UTC()}
	if reason == "" {
		updates["status"], updates["resolved_by"] = InboxResolved, c.IngestID
	}
	return tx.Model(&InboxItem{}).Where("project_id = ? AND id = ?", c.ProjectID, id).Updates(updates).Error
}

// SettleInboxItem records a replay's outcome on an item (see
// settleInboxItem) in this transaction.
func (t *Tx) SettleInboxItem(c intake.Call, id, reason string) error {
	return settleInboxItem(t.db, c, id, reason)
}

// ReplayMetricItem re-runs an inboxed metric update as call c: when a
// metric now matches, the update is applied and the item resolved, once.
func (t *Tx) ReplayMetricItem(c intake.Call, itemID string, in intake.MetricInput) (intake.MetricResult, error) {
	m, err := t.resolveMetric(c.ProjectID, in)
	if err != nil {
		return intake.MetricResult{}, err
	}
	if m == nil {
		reason := noMetric(in)
		return intake.MetricResult{Outcome: intake.OutcomeInboxed, InboxID: itemID, Message: reason, Ref: in.Metric},
			settleInboxItem(t.db, c, itemID, reason)
	}
	return t.updateMetric(c, 0, m, in), settleInboxItem(t.db, c, itemID, "")
}

// InboxItem returns a project's inbox item as this transaction sees it.
func (t *Tx) InboxItem(projectID, id string) (InboxItem, error) {
	var it InboxItem
	err := t.db.Where("project_id = ? AND id = ?", projectID, id).Take(&it).Error
	return it, notFound(err, "inbox item")
}

// InboxSelection picks the open items a replay re-runs.
type InboxSelection struct {
	Source       string
	Since, Until time.Time
	Limit        int
}

// OpenInboxItems returns open items matching sel, oldest first.
func (s *Store) OpenInboxItems(ctx context.Context, projectID string, sel InboxSelection) ([]InboxItem, error) {
	q := s.db.WithContext(ctx).Where("project_id = ? AND status = ?", projectID, InboxOpen)
	if sel.Source != "" {
		q = q.Where("source = ?", sel.Source)
	}
	if !sel.Since.IsZero() {
		q = q.Where("id >= ?", "inb_"+intake.IDAt(sel.Since))
	}
	if !sel.Until.IsZero() {
		q = q.Where("id < ?", "inb_"+intake.IDAt(sel.Until))
	}
	var items []InboxItem
	err := q.Order("id ASC").Limit(sel.Limit).Find(&items).Error
	return items, err
}
