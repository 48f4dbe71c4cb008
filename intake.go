// Package intake holds the domain types shared by every layer: what a caller is
// (Principal), what a call asks for (MetricInput) and what it did (MetricResult).
// It imports only the standard library so that every other package may depend on it.
package intake

import (
	"encoding/json"
	"time"
)

// Scope is what an API key may do; admin includes ingest.
type Scope string

// The scopes an API key can carry.
const (
	ScopeIngest Scope = "ingest"
	ScopeAdmin  Scope = "admin"
)

// Valid reports whether s is a known scope, so input can be rejected at the edge.
func (s Scope) Valid() bool { return s == ScopeIngest || s == ScopeAdmin }

// Allows reports whether a key of scope s may act with scope want.
func (s Scope) Allows(want Scope) bool { return s == ScopeAdmin || s == want }

// Principal is the authenticated caller of one request. Instance is true for the
// instance admin token, which manages projects and nothing inside them.
type Principal struct {
	Instance  bool
	ProjectID string
	KeyID     string
	Scope     Scope
}

// Call kinds, recorded on every call and as the IntakeKind search attribute.
const (
	KindMetric = "metric"
)

// Call statuses, as GET /api/ingest/{id} and /api/admin/calls report them.
const (
	StatusProcessing = "processing"
	StatusDone       = "done"
	StatusFailed     = "failed"
)

// Per-item outcomes of an ingest call.
const (
	OutcomeUpdated = "updated"
	OutcomeInboxed = "inboxed"
	OutcomeInvalid = "invalid"
)

// MetricInput is one validated metric update as a caller sent it. It travels
// in workflow input, so it stays small: Raw is the caller's own body, bounded
// at the edge, kept byte for byte (a string, not JSON that a codec would
// re-encode) so an inboxed update can be replayed whole.
type MetricInput struct {
	Metric    string          `json:"metric"`
	Value     float64         `json:"value"`
	Timestamp time.Time       `json:"timestamp"`
	Source    string          `json:"source,omitempty"`
	Metadata  json.RawMessage `json:"metadata,omitempty"`
	Raw       string          `json:"raw,omitempty"`
}

// MetricResult is what one metric update did. Values are raw numbers; the API
// formats them by Unit when it answers.
type MetricResult struct {
	Outcome       string   `json:"outcome"`
	MetricID      string   `json:"metric_id,omitempty"`
	MetricKey     string   `json:"metric_key,omitempty"`
	Unit          string   `json:"unit,omitempty"`
	PreviousValue *float64 `json:"previous_value,omitempty"`
	NewValue      float64  `json:"new_value"`
	Current       bool     `json:"current"`
	InboxID       string   `json:"inbox_id,omitempty"`
	Message       string   `json:"message,omitempty"`
}
