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
	// RateLimit is the key's limit: its own, else its project's, else
	// zero for the default.
	RateLimit Rate
	// ProjectRateLimit is the project's limit, counted over all its keys
	// and connectors: a ceiling no key's own limit lifts. Zero when the
	// instance admin set none.
	ProjectRateLimit Rate
	// ConnectorID is set when the key is a connector's own.
	ConnectorID string
}

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
	// Op is OpSet (the default) or OpAdd, for counters.
	Op string `json:"op,omitempty"`
	// Create, when set, creates the metric if nothing matches Metric.
	Create *MetricSpec `json:"create,omitempty"`
	// RuleVersion is the version of the rule set that produced this update.
	RuleVersion int `json:"rule_version,omitempty"`
}

// Metric operations.
const (
	OpSet = "set"
	OpAdd = "add"
)

// MetricSpec describes a metric to create on first use.
type MetricSpec struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Unit string `json:"unit,omitempty"`
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
	// Ref is the metric as the update named it (an id, key or name).
	Ref string `json:"ref,omitempty"`
}

// Rule is one mapping rule of a rule set: when When holds (always, if
// empty), Value is written to Metric with Op. A field mapping — the simplest
// rule — has SourceField set and Value equal to that path, e.g. "totals.net".
type Rule struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	When        string `json:"when,omitempty"`
	Metric      string `json:"metric"`
	Value       string `json:"value"`
	Timestamp   string `json:"timestamp,omitempty"`
	Op          string `json:"op,omitempty"`
	Enabled     bool   `json:"enabled"`
	SourceField string `json:"source_field,omitempty"`
	// Create makes the metric on first use, named Metric, with Unit (a unit
	// or an expression giving one, such as upper(event.data.currency)).
	Create bool   `json:"create,omitempty"`
	Unit   string `json:"unit,omitempty"`
}

// TaskInput is one task pushed to /api/ingest/tasks. ID is the sender's own
// id; tasks that carry one are upserted by (project, source, id).
type TaskInput struct {
	ID       string     `json:"id,omitempty"`
	Text     string     `json:"text"`
	DueDate  *time.Time `json:"due_date,omitempty"`
	Priority string     `json:"priority,omitempty"`
	Notes    string     `json:"notes,omitempty"`
}

// TasksResult is what a tasks call did.
type TasksResult struct {
	Created int   `json:"created"`
	Updated int   `json:"updated"`
	Total   int64 `json:"total"`
}

// DataResult is what a data call did: the updates its field mappings made,
// and the inbox item holding what nothing mapped.
type DataResult struct {
	Updated     []MetricResult `json:"updated"`
	Fields      []string       `json:"fields"`
	Unmapped    []string       `json:"unmapped,omitempty"`
	InboxID     string         `json:"inbox_id,omitempty"`
	Reason      string         `json:"reason,omitempty"`
	RuleVersion int            `json:"rule_version,omitempty"`
}

// Event is one normalized provider event: what a webhook delivery carries,
// whatever the provider's format. ID is the provider's own id (or a key
// built from its identifying fields), the dedupe key of its workflow.
type Event struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	OccurredAt time.Time      `json:"occurred_at"`
	Source     string         `json:"source"`
	Data       map[string]any `json:"data"`
	// Payload is the event as delivered (one element of a batch body).
	Payload map[string]any `json:"payload"`
}
