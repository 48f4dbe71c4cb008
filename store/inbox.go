package store

import (
	"context"
	"fmt"
	"time"

	"github.com/intakehq/intake"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
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

// DismissInboxItem marks an open item dismissed; dismissing twice is a
// no-op, and an item a replay resolved stays resolved (a conflict).
func (s *Store) DismissInboxItem(ctx context.Context, projectID, id string) (InboxItem, error) {
	now := time.Now().UTC()
	res := s.db.WithContext(ctx).Model(&InboxItem{}).Where("project_id = ? AND id = ? AND status = ?", projectID, id, InboxOpen).
		Updates(map[string]any{"status": InboxDismissed, "updated_at": now})
	if res.Error != nil {
		return InboxItem{}, res.Error
	}
	it, err := s.GetInboxItem(ctx, projectID, id)
	if err == nil && it.Status == InboxResolved {
		return it, intake.Errorf(intake.ErrConflict, "inbox item %s is resolved", id)
	}
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
//
// Only an open item is settled: when another replay resolved it, or an
// admin dismissed it, since this transaction read it, settling fails and
// the transaction rolls back (whatever the replay applied with it), to be
// tried again and find the item settled.
func settleInboxItem(tx *gorm.DB, c intake.Call, id, reason string) error {
	updates := map[string]any{"reason": reason, "updated_at": time.Now().UTC()}
	if reason == "" {
		updates["status"], updates["resolved_by"] = InboxResolved, c.IngestID
	}
	res := tx.Model(&InboxItem{}).Where("project_id = ? AND id = ? AND status = ?", c.ProjectID, id, InboxOpen).Updates(updates)
	if res.Error == nil && res.RowsAffected != 1 {
		return fmt.Errorf("inbox item %s: %w", id, errClaimed)
	}
	return res.Error
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
// On PostgreSQL the row is locked until the transaction ends, so that two
// replays of one item run one after the other, the second finding it
// settled.
func (t *Tx) InboxItem(projectID, id string) (InboxItem, error) {
	var it InboxItem
	q := t.db
	if t.postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	err := q.Where("project_id = ? AND id = ?", projectID, id).Take(&it).Error
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
