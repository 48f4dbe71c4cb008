package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SignatureFailure is one hour of a connector's deliveries refused for
// their signature or key. The API counts refusals in memory and adds them
// here every few seconds, so that a sender without the secret cannot make
// a write per request. LastReason is intake's own message for the last
// refusal, never text from the request.
type SignatureFailure struct {
	ConnectorID string    `gorm:"primaryKey;size:40"`
	Hour        time.Time `gorm:"primaryKey"`
	ProjectID   string    `gorm:"size:40;not null"`
	Count       int64     `gorm:"not null;default:0"`
	LastAt      time.Time `gorm:"not null"`
	LastReason  string    `gorm:"size:300;not null"`
}

// SignatureHour is the bucket that at falls in.
func SignatureHour(at time.Time) time.Time { return at.UTC().Truncate(time.Hour) }

// AddSignatureFailures adds counted refusals to their hours' buckets. The
// latest refusal's time and reason win, whichever process saw it.
func (s *Store) AddSignatureFailures(ctx context.Context, rows []SignatureFailure) error {
	if len(rows) == 0 {
		return nil
	}
	rows = mergeBuckets(rows)
	later := "excluded.last_at > signature_failures.last_at"
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "connector_id"}, {Name: "hour"}},
		DoUpdates: clause.Assignments(map[string]any{
			"count":       gorm.Expr("signature_failures.count + excluded.count"),
			"last_at":     gorm.Expr("CASE WHEN " + later + " THEN excluded.last_at ELSE signature_failures.last_at END"),
			"last_reason": gorm.Expr("CASE WHEN " + later + " THEN excluded.last_reason ELSE signature_failures.last_reason END"),
		}),
	}).CreateInBatches(rows, s.rowsPerInsert()).Error
}

// maxReason bounds a kept reason (the column's size).
const maxReason = 300

// mergeBuckets sums rows of the same bucket: one statement may not
// update a row twice.
func mergeBuckets(rows []SignatureFailure) []SignatureFailure {
	type key struct {
		connector string
		hour      time.Time
	}
	at := map[key]int{}
	out := make([]SignatureFailure, 0, len(rows))
	for _, r := range rows {
		r.Hour, r.LastAt = SignatureHour(r.Hour), r.LastAt.UTC()
		if len(r.LastReason) > maxReason {
			r.LastReason = strings.ToValidUTF8(r.LastReason[:maxReason], "")
		}
		k := key{r.ConnectorID, r.Hour}
		i, seen := at[k]
		if !seen {
			at[k] = len(out)
			out = append(out, r)
			continue
		}
		out[i].Count += r.Count
		if r.LastAt.After(out[i].LastAt) {
			out[i].LastAt, out[i].LastReason = r.LastAt, r.LastReason
		}
	}
	return out
}

// SignatureSummary is a connector's refusals since a time.
type SignatureSummary struct {
	Count      int64
	LastAt     *time.Time
	LastReason string
}

// SignatureFailures sums the buckets of a project's connectors from the
// hour since falls in, by connector; a connector without refusals is
// absent. A bucket holds at most an hour, so this reads a few rows per
// connector however many refusals there were.
func (s *Store) SignatureFailures(ctx context.Context, projectID string, connectorIDs []string, since time.Time) (map[string]SignatureSummary, error) {
	out := map[string]SignatureSummary{}
	if len(connectorIDs) == 0 {
		return out, nil
	}
	var rows []SignatureFailure
	err := s.db.WithContext(ctx).Where("project_id = ? AND connector_id IN ? AND hour >= ?", projectID, connectorIDs, SignatureHour(since)).
		Order("hour").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		sum := out[r.ConnectorID]
		sum.Count += r.Count
		if sum.LastAt == nil || r.LastAt.After(*sum.LastAt) {
			at := r.LastAt.UTC()
			sum.LastAt, sum.LastReason = &at, r.LastReason
		}
		out[r.ConnectorID] = sum
	}
	return out, nil
}

// PruneSignatureFailures drops the buckets of hours before before.
func (s *Store) PruneSignatureFailures(ctx context.Context, before time.Time) error {
	return s.db.WithContext(ctx).Where("hour < ?", SignatureHour(before)).Delete(&SignatureFailure{}).Error
}
