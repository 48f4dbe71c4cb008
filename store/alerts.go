package store

import (
	"context"
	"time"

	"github.com/intakehq/intake"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Alert is a project's watch on one metric: a condition over each new
// value (held for For before it fires), or staleness (no point for
// StaleAfter). Channels is the JSON list of where notifications go; it
// holds secrets (a Slack URL is one), so it is sealed at rest like
// connector secrets.
type Alert struct {
	ID         string `gorm:"primaryKey;size:40" json:"id"`
	ProjectID  string `gorm:"size:40;not null;index" json:"-"`
	Name       string `gorm:"size:200;not null" json:"name"`
	MetricID   string `gorm:"size:40;not null;index" json:"metric_id"`
	Condition  string `gorm:"type:text" json:"condition,omitempty"`
	For        int64  `gorm:"not null;default:0" json:"-"` // seconds
	StaleAfter int64  `gorm:"not null;default:0" json:"-"` // seconds
	Channels   string `gorm:"type:text;not null" json:"-"`
	Enabled    bool   `gorm:"not null;default:true" json:"enabled"`
	State      string `gorm:"size:16;not null;index" json:"state"`
	// PendingSince is when the condition started to hold, while it has
	// held for less than For.
	PendingSince *time.Time `json:"pending_since,omitempty"`
	// SeenAt is when a point of the metric last arrived (staleness).
	SeenAt    *time.Time `json:"seen_at,omitempty"`
	LastValue *float64   `json:"last_value,omitempty"`
	// LastError is why the condition last failed to evaluate (it then
	// counts as not holding).
	LastError string     `gorm:"type:text" json:"last_error,omitempty"`
	ChangedAt *time.Time `json:"changed_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// ForDuration is how long the condition must hold before the alert fires.
func (a Alert) ForDuration() time.Duration { return time.Duration(a.For) * time.Second }

// StaleDuration is how long without a point makes the metric stale; 0
// for a condition alert.
func (a Alert) StaleDuration() time.Duration { return time.Duration(a.StaleAfter) * time.Second }

// AlertEvent is one transition of an alert, with the value that caused
// it. Its notifications are sent once each (AlertDelivery); DeliveredAt
// is set when every channel has one, Failed when they stopped trying.
type AlertEvent struct {
	ID          string     `gorm:"primaryKey;size:40" json:"id"`
	ProjectID   string     `gorm:"size:40;not null;index" json:"-"`
	AlertID     string     `gorm:"size:40;not null;index" json:"alert_id"`
	State       string     `gorm:"size:16;not null" json:"state"`
	Value       *float64   `json:"value"`
	Previous    *float64   `json:"previous,omitempty"`
	CallID      string     `gorm:"size:64" json:"call_id,omitempty"`
	Reason      string     `gorm:"type:text" json:"reason"`
	At          time.Time  `gorm:"not null" json:"at"`
	DeliveredAt *time.Time `gorm:"index" json:"delivered_at,omitempty"`
	Failed      bool       `gorm:"not null;default:false" json:"delivery_failed,omitempty"`
	Error       string     `gorm:"type:text" json:"delivery_error,omitempty"`
	CreatedAt   time.Time  `gorm:"index" json:"created_at"`
}

// AlertDelivery records that the channel with key ChannelKey (a hash of
// its type and URL) got an event's notification, so a retry sends only to
// those that did not, even if the alert's channels were edited meanwhile.
type AlertDelivery struct {
	EventID     string    `gorm:"primaryKey;size:40"`
	ChannelKey  string    `gorm:"primaryKey;size:32"`
	DeliveredAt time.Time `gorm:"not null"`
}

func alertAAD(a *Alert) string { return "intake/alert-channels/v1|" + a.ID }

func (s *Store) sealChannels(a *Alert) (err error) {
	a.Channels, err = s.keys.SealString(a.Channels, alertAAD(a))
	return err
}

func (s *Store) openChannels(a *Alert) (err error) {
	a.Channels, err = s.keys.OpenString(a.Channels, alertAAD(a))
	return err
}

// CreateAlert stores a new alert, ok, its metric seen now (a stale alert
// starts counting from its creation).
func (s *Store) CreateAlert(ctx context.Context, a *Alert) error {
	now := time.Now().UTC()
	a.State, a.SeenAt = intake.AlertOK, &now
	if err := s.sealChannels(a); err != nil {
		return err
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.watchable(tx, a.ProjectID, a.MetricID); err != nil {
			return err
		}
		if err := tx.Create(a).Error; err != nil {
			return err
		}
		return recountAlerts(tx, a.MetricID)
	})
	if err != nil {
		return err
	}
	return s.openChannels(a)
}

// GetAlert returns a project's alert.
func (s *Store) GetAlert(ctx context.Context, projectID, id string) (Alert, error) {
	var a Alert
	if err := s.db.WithContext(ctx).Where("project_id = ? AND id = ?", projectID, id).Take(&a).Error; err != nil {
		return a, notFound(err, "alert")
	}
	return a, s.openChannels(&a)
}

// ListAlerts returns one page of a project's alerts.
func (s *Store) ListAlerts(ctx context.Context, projectID string, p Page) ([]Alert, string, error) {
	q := s.db.WithContext(ctx).Model(&Alert{}).Where("project_id = ?", projectID)
	rows, next, err := list(q, p, func(r *Alert) string { return r.ID })
	for i := range rows {
		if err == nil {
			err = s.openChannels(&rows[i])
		}
	}
	return rows, next, err
}

// UpdateAlert changes a project's alert with edit, in one transaction.
// An alert disabled, enabled again, or whose condition, for, staleness or
// metric changes, starts again from ok: what it said no longer applies.
// A firing one records that as its resolution, notified as any other.
//
// Its metric's row is locked before the alert's, the order in which
// points take them, so a point being applied cannot write back an alert
// read before the change.
func (s *Store) UpdateAlert(ctx context.Context, projectID, id string, edit func(*Alert) error) (Alert, error) {
	var a Alert
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockAlertMetric(tx, projectID, id); err != nil {
			return err
		}
		if err := tx.Where("project_id = ? AND id = ?", projectID, id).Take(&a).Error; err != nil {
			return notFound(err, "alert")
		}
		if err := s.openChannels(&a); err != nil {
			return err
		}
		before := a
		if err := edit(&a); err != nil {
			return err
		}
		if a.MetricID != before.MetricID {
			if err := s.watchable(tx, projectID, a.MetricID); err != nil {
				return err
			}
		}
		if a.Enabled != before.Enabled || a.Condition != before.Condition || a.MetricID != before.MetricID ||
			a.StaleAfter != before.StaleAfter || a.For != before.For {
			if err := resetAlert(tx, &a, before); err != nil {
				return err
			}
		}
		if err := s.sealChannels(&a); err != nil {
			return err
		}
		if err := tx.Save(&a).Error; err != nil {
			return err
		}
		return recountAlerts(tx, before.MetricID, a.MetricID)
	})
	if err != nil {
		return a, err
	}
	return a, s.openChannels(&a)
}

// resetAlert starts a changed alert again from ok, its staleness counted
// from now; a firing one resolves, with an event saying why.
func resetAlert(tx *gorm.DB, a *Alert, before Alert) error {
	now := time.Now().UTC()
	if before.Enabled && before.State == intake.AlertFiring {
		reason := "the alert was changed"
		if !a.Enabled {
			reason = "the alert was disabled"
		}
		ev := AlertEvent{ID: intake.NewID("alev"), ProjectID: a.ProjectID, AlertID: a.ID, State: intake.AlertOK,
			Value: before.LastValue, Reason: reason, At: now}
		if err := tx.Create(&ev).Error; err != nil {
			return err
		}
		a.ChangedAt = &now
	}
	a.State, a.PendingSince, a.LastError, a.SeenAt = intake.AlertOK, nil, "", &now
	return nil
}

// lockAlertMetric locks the row of an alert's metric (PostgreSQL).
func (s *Store) lockAlertMetric(tx *gorm.DB, projectID, id string) error {
	var cur Alert
	if err := tx.Select("metric_id").Where("project_id = ? AND id = ?", projectID, id).Take(&cur).Error; err != nil {
		return notFound(err, "alert")
	}
	return s.lockMetrics(tx, cur.MetricID)
}

// watchable locks the metric an alert is to watch and checks that it is
// still there: one deleted meanwhile (DeleteMetric, which locks it too)
// would leave the alert watching nothing.
func (s *Store) watchable(tx *gorm.DB, projectID, metricID string) error {
	if err := s.lockMetrics(tx, metricID); err != nil {
		return err
	}
	var n int64
	if err := tx.Model(&Metric{}).Where("project_id = ? AND id = ?", projectID, metricID).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return intake.Errorf(intake.ErrNotFound, "metric not found")
	}
	return nil
}

// lockMetrics locks metric rows, as a point's update does; SQLite's one
// writer serialises them already.
func (s *Store) lockMetrics(tx *gorm.DB, ids ...string) error {
	if !s.postgres {
		return nil
	}
	var locked []string
	return tx.Model(&Metric{}).Clauses(clause.Locking{Strength: "UPDATE"}).Where("id IN ?", ids).Order("id").Pluck("id", &locked).Error
}

// DeleteAlert removes a project's alert and its events.
func (s *Store) DeleteAlert(ctx context.Context, projectID, id string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockAlertMetric(tx, projectID, id); err != nil {
			return err
		}
		var a Alert
		if err := tx.Select("id", "metric_id").Where("project_id = ? AND id = ?", projectID, id).Take(&a).Error; err != nil {
			return notFound(err, "alert")
		}
		if err := tx.Delete(&Alert{}, "id = ?", id).Error; err != nil {
			return err
		}
		if err := recountAlerts(tx, a.MetricID); err != nil {
			return err
		}
		events := tx.Model(&AlertEvent{}).Select("id").Where("alert_id = ?", id)
		if err := tx.Where("event_id IN (?)", events).Delete(&AlertDelivery{}).Error; err != nil {
			return err
		}
		return tx.Where("alert_id = ?", id).Delete(&AlertEvent{}).Error
	})
}

// ListAlertEvents returns one page of an alert's transitions, latest
// first. Two transitions in one millisecond (a dip and its recovery in
// one shared workflow) keep their order: pages are by time, then id.
func (s *Store) ListAlertEvents(ctx context.Context, projectID, alertID string, p Page) ([]AlertEvent, string, error) {
	if _, err := s.GetAlert(ctx, projectID, alertID); err != nil {
		return nil, "", err
	}
	q := s.db.WithContext(ctx).Where("project_id = ? AND alert_id = ?", projectID, alertID)
	if p.Cursor != "" {
		ns, id, err := parseTimeCursor(p.Cursor, "_")
		if err != nil {
			return nil, "", err
		}
		at := time.Unix(0, ns).UTC()
		q = q.Where("(at < ? OR (at = ? AND id < ?))", at, at, id)
	}
	n := p.limit()
	var rows []AlertEvent
	if err := q.Order("at DESC, id DESC").Limit(n + 1).Find(&rows).Error; err != nil {
		return nil, "", err
	}
	if len(rows) <= n {
		return rows, "", nil
	}
	rows = rows[:n]
	last := rows[n-1]
	return rows, timeCursor(last.At.UnixNano(), last.ID), nil
}

// FiringAlerts counts the firing alerts of every project with an alert,
// for the intake_alerts_firing gauge.
func (s *Store) FiringAlerts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		ProjectID string
		N         int
	}
	// Every project with an enabled alert has a series, 0 when none
	// fires, so a resolution shows as 0 rather than as a series gone.
	err := s.db.WithContext(ctx).Model(&Alert{}).Select("project_id, SUM(CASE WHEN state = ? THEN 1 ELSE 0 END) AS n", intake.AlertFiring).
		Where("enabled = ?", true).Group("project_id").Scan(&rows).Error
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.ProjectID] = r.N
	}
	return out, err
}

// FiringMetrics returns the ids of a project's metrics with a firing
// alert, for the console's overview.
func (s *Store) FiringMetrics(ctx context.Context, projectID string) (map[string]bool, error) {
	var ids []string
	err := s.db.WithContext(ctx).Model(&Alert{}).Distinct("metric_id").
		Where("project_id = ? AND state = ? AND enabled = ?", projectID, intake.AlertFiring, true).Pluck("metric_id", &ids).Error
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, err
}

// MetricByRef returns the project's metric with id, key or name ref, as
// ingest calls match them.
func (s *Store) MetricByRef(ctx context.Context, projectID, ref string) (Metric, error) {
	m, err := findMetric(s.db.WithContext(ctx), projectID, ref)
	if err != nil {
		return Metric{}, err
	}
	if m == nil {
		return Metric{}, intake.Errorf(intake.ErrNotFound, "metric not found")
	}
	return *m, nil
}
