package store

import (
	"time"

	"github.com/intakehq/intake"
)

// models lists every table, in the order AutoMigrate creates them.
var models = []any{&Project{}, &APIKey{}, &Metric{}, &MetricPoint{}, &InboxItem{}, &Call{}, &RuleSet{}, &Task{}, &Connector{}, &Identity{}, &Entity{}, &User{}, &Activity{}, &Sale{}, &Body{}, &ConsoleSession{}, &Alert{}, &AlertEvent{}, &AlertDelivery{}, &SignatureFailure{}}

// Project is a tenant; every other row belongs to exactly one.
type Project struct {
	ID   string `gorm:"primaryKey;size:40" json:"id"`
	Name string `gorm:"size:200;not null" json:"name"`
	// RateLimit is requests a RatePer, over all the project's keys and
	// connectors; nil for none. Read both through Rate.
	RateLimit *int      `json:"-"`
	RatePer   string    `gorm:"size:1;not null;default:''" json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// Rate is the project's ceiling.
func (p Project) Rate() intake.Rate { return rateOf(p.RateLimit, p.RatePer) }

// SetRate sets the project's ceiling; the zero Rate removes it.
func (p *Project) SetRate(r intake.Rate) { p.RateLimit, p.RatePer = rateColumns(r) }

// APIKey is a project's credential. Only the SHA-256 of the secret is kept;
// Prefix lets a human tell keys apart in a list.
type APIKey struct {
	ID         string     `gorm:"primaryKey;size:40" json:"id"`
	ProjectID  string     `gorm:"size:40;not null;index" json:"project_id"`
	Name       string     `gorm:"size:200;not null" json:"name"`
	Scope      string     `gorm:"size:16;not null" json:"scope"`
	Hash       string     `gorm:"size:64;not null;uniqueIndex" json:"-"`
	Prefix     string     `gorm:"size:16;not null" json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	// RateLimit is the key's own requests a RatePer, nil when it has the
	// project's. Read both through Rate.
	RateLimit *int   `json:"-"`
	RatePer   string `gorm:"size:1;not null;default:''" json:"-"`
	// ConnectorID is set on a connector's own key (generic, salesdash).
	ConnectorID string `gorm:"size:40" json:"connector_id,omitempty"`
}

// Rate is the key's own limit.
func (k APIKey) Rate() intake.Rate { return rateOf(k.RateLimit, k.RatePer) }

// SetRate sets the key's own limit; the zero Rate gives it the project's.
func (k *APIKey) SetRate(r intake.Rate) { k.RateLimit, k.RatePer = rateColumns(r) }

// rateOf reads a limit's columns. Rows written before limits had a unit
// have RatePer "": a minute.
func rateOf(n *int, per string) intake.Rate {
	if n == nil || *n <= 0 {
		return intake.Rate{}
	}
	if per == "h" {
		return intake.Rate{N: *n, Per: time.Hour}
	}
	return intake.PerMinute(*n)
}

func rateColumns(r intake.Rate) (*int, string) {
	if r.IsZero() {
		return nil, ""
	}
	n := r.N
	if r.Per == time.Hour {
		return &n, "h"
	}
	return &n, ""
}

// Metric is a dashboard number. ValueAt is the timestamp of the point that
// set Value, so a late, older point is kept as history without overwriting it.
type Metric struct {
	ID        string     `gorm:"primaryKey;size:40" json:"id"`
	ProjectID string     `gorm:"size:40;not null;uniqueIndex:idx_metric_project_key" json:"-"`
	Key       string     `gorm:"size:100;not null;uniqueIndex:idx_metric_project_key" json:"key"`
	Name      string     `gorm:"size:200;not null" json:"name"`
	Unit      string     `gorm:"size:20" json:"unit"`
	Value     float64    `gorm:"not null;default:0" json:"value"`
	ValueAt   *time.Time `json:"value_at"`
	// Alerts counts the enabled alerts watching the metric, kept with
	// them, so a point of an unwatched metric (most) costs no look for
	// alerts: the row it already reads says so.
	Alerts    int       `gorm:"not null;default:0" json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MetricPoint is one update of a metric, kept as its history. CallID and Seq
// (the update's place in its call) are unique: a call writes each point once.
// TimestampMS orders and filters history as an integer on every database.
type MetricPoint struct {
	ID          string    `gorm:"primaryKey;size:40" json:"id"`
	ProjectID   string    `gorm:"size:40;not null;index" json:"-"`
	MetricID    string    `gorm:"size:40;not null;index:idx_point_metric_ts,priority:1" json:"metric_id"`
	CallID      string    `gorm:"size:64;not null;uniqueIndex:idx_point_call_seq,priority:1" json:"call_id"`
	Seq         int       `gorm:"not null;default:0;uniqueIndex:idx_point_call_seq,priority:2" json:"-"`
	Value       float64   `gorm:"not null" json:"value"`
	Delta       *float64  `json:"delta,omitempty"`
	Timestamp   time.Time `gorm:"not null" json:"timestamp"`
	TimestampMS int64     `gorm:"not null;index:idx_point_metric_ts,priority:2" json:"-"`
	Source      string    `gorm:"size:200" json:"source,omitempty"`
	Metadata    string    `gorm:"type:text" json:"-"`
	RuleVersion int       `json:"rule_version,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Inbox statuses.
const (
	InboxOpen      = "open"
	InboxResolved  = "resolved"
	InboxDismissed = "dismissed"
)

// InboxItem is something that matched nothing, kept whole (Payload is the
// caller's raw body) until an admin assigns, replays or dismisses it.
type InboxItem struct {
	ID        string `gorm:"primaryKey;size:40" json:"id"`
	ProjectID string `gorm:"size:40;not null;index" json:"-"`
	CallID    string `gorm:"size:64;not null;index" json:"call_id"`
	// ConnectorID is the connector whose event this is, for webhook items.
	ConnectorID string `gorm:"size:40" json:"connector_id,omitempty"`
	Source      string `gorm:"size:200" json:"source"`
	Kind        string `gorm:"size:40;not null" json:"kind"`
	// Failed marks the item of a call that failed for good: its payload is
	// the call's input, and replaying it applies the call again as its kind.
	Failed  bool   `gorm:"not null;default:false" json:"failed,omitempty"`
	Reason  string `gorm:"type:text;not null" json:"reason"`
	Payload string `gorm:"type:text;not null" json:"-"`
	Status  string `gorm:"size:16;not null;index" json:"status"`
	// ResolvedBy is the ingest ID of the replay that applied the item.
	ResolvedBy string    `gorm:"size:64" json:"resolved_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Call is one accepted ingest or webhook call. The API records it
// `processing` once its workflow has started; the workflow records each
// failed attempt (Attempts, Error) and, in the same transaction as its
// effects, the call `done` or `failed`. IngestID is unique: it is what
// makes a repeated run of the call, in any workflow, a no-op that returns
// the first run's Result (or, for a call that failed for good, its error).
type Call struct {
	ID          string     `gorm:"primaryKey;size:40;index:idx_calls_connector,priority:2" json:"id"`
	IngestID    string     `gorm:"size:64;not null;uniqueIndex" json:"ingest_id"`
	ProjectID   string     `gorm:"size:40;not null;index" json:"-"`
	ConnectorID string     `gorm:"size:40;index:idx_calls_connector,priority:1" json:"connector_id,omitempty"`
	Source      string     `gorm:"size:200" json:"source"`
	Kind        string     `gorm:"size:40;not null" json:"kind"`
	Status      string     `gorm:"size:16;not null" json:"status"`
	Error       string     `gorm:"type:text" json:"error,omitempty"`
	ErrorCode   string     `gorm:"size:40" json:"error_code,omitempty"`
	Attempts    int        `gorm:"not null;default:0" json:"attempts"`
	Fingerprint string     `gorm:"size:32" json:"-"`
	WorkflowID  string     `gorm:"size:300;not null" json:"workflow_id"`
	Result      string     `gorm:"type:text" json:"-"`
	ReceivedAt  time.Time  `gorm:"not null" json:"received_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
}

// Body is a call's input too large to travel in Temporal: the API stores
// it before the call's workflow starts, the workflow carries its ID, and
// the transaction that applies the call deletes it.
type Body struct {
	ID        string    `gorm:"primaryKey;size:40"`
	ProjectID string    `gorm:"size:40;not null"`
	Data      []byte    `gorm:"not null"`
	CreatedAt time.Time `gorm:"index"`
}
