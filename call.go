package intake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// Call kinds, recorded on every call and as the IntakeKind search attribute.
const (
	KindMetric   = "metric"
	KindBatch    = "batch"
	KindCustom   = "custom"
	KindData     = "data"
	KindTasks    = "tasks"
	KindReplay   = "replay"
	KindWebhook  = "webhook"
	KindActivity = "activity"
	KindSale     = "sale"
)

// Call is one accepted call as it travels through Temporal: who made it,
// its ingest id (the key its one effect is claimed under in the database),
// and its kind's input. It is the payload of every ingest workflow's
// history, so its JSON names are part of the contract with running
// workflows: add fields, never rename them.
type Call struct {
	IngestID    string `json:"ingest_id"`
	ProjectID   string `json:"project_id"`
	ConnectorID string `json:"connector_id,omitempty"`
	Kind        string `json:"kind"`
	// Source and EventType are what operators filter by; calls share a
	// workflow only with calls that agree on them.
	Source    string `json:"source,omitempty"`
	EventType string `json:"event_type,omitempty"`
	// WorkflowID is the workflow that carries the call; the workflow's
	// own calls leave it out, and its activity fills it in.
	WorkflowID string    `json:"workflow_id,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
	// Input is the kind's input as JSON. A large one is stored in the
	// database before the workflow starts and travels as BodyRef instead.
	Input   json.RawMessage `json:"input,omitempty"`
	BodyRef string          `json:"body_ref,omitempty"`
	// Fingerprint binds a call made with an Idempotency-Key to its route
	// and body (see Fingerprint): a reuse of the key with another one is
	// refused rather than answered with the first call's result.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// UnmarshalJSON also reads the first release's call record, whose fields
// were the Go names (IngestID, ProjectID, …), so workflows started by it
// still replay and finish.
func (c *Call) UnmarshalJSON(b []byte) error {
	type call Call
	var v call
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.IngestID == "" && v.ProjectID == "" {
		var old struct {
			IngestID, ProjectID, ConnectorID, Kind, WorkflowID string
			ReceivedAt                                         time.Time
		}
		if err := json.Unmarshal(b, &old); err != nil {
			return err
		}
		v.IngestID, v.ProjectID, v.ConnectorID, v.Kind, v.WorkflowID, v.ReceivedAt =
			old.IngestID, old.ProjectID, old.ConnectorID, old.Kind, old.WorkflowID, old.ReceivedAt
	}
	*c = Call(v)
	return nil
}

// Outcome is what applying one call gave: its result as JSON, or the
// error that ended it. Replayed marks the answer of an earlier run of the
// same call (the same ingest id), returned without a second effect.
type Outcome struct {
	Result   json.RawMessage `json:"result,omitempty"`
	Error    *Error          `json:"error,omitempty"`
	Replayed bool            `json:"replayed,omitempty"`
	// Fingerprint is that of the call that was applied: a repeat whose
	// own differs reused an Idempotency-Key for another call.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Stored replaces a Result too large to travel back through Temporal:
	// it is read from the call's row.
	Stored bool `json:"stored,omitempty"`
}

// Fingerprint is what an Idempotency-Key is bound to: the route (method
// and path, which names the connector) and the body of its first call.
func Fingerprint(route string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(route))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Reused reports whether the outcome of an earlier call with the same
// ingest id answers a different call: the key was reused. Calls recorded
// before keys were bound carry no fingerprint and are taken as the same.
func (o Outcome) Reused(c Call) bool {
	return c.Fingerprint != "" && o.Fingerprint != "" && o.Fingerprint != c.Fingerprint
}

// APIConnector stands in for the connector in the workflow IDs of calls
// made with an API key rather than through a connector.
const APIConnector = "api"

// WorkflowID is the ID of the workflow that carries one call alone:
// ingest/<project>/<connector>/<ingest id>.
func WorkflowID(projectID, connector, ingestID string) string {
	return "ingest/" + projectID + "/" + connector + "/" + ingestID
}

// GroupWorkflowID is the ID of a workflow that carries several calls of
// one project and connector; group is fresh for each such workflow.
func GroupWorkflowID(projectID, connector, group string) string {
	return "ingest/" + projectID + "/" + connector + "/" + group
}

// ProjectOfWorkflow is the project named in an intake workflow ID
// ("ingest/p_…/…", "replay/p_…/…"), or "" for any other ID.
func ProjectOfWorkflow(id string) string {
	_, rest, ok := strings.Cut(id, "/")
	if !ok {
		return ""
	}
	p, _, _ := strings.Cut(rest, "/")
	if !strings.HasPrefix(p, "p_") {
		return ""
	}
	return p
}

// ReplayInboxWorkflowID is the ID of an inbox replay asked for by call
// ingestID.
func ReplayInboxWorkflowID(projectID, ingestID string) string {
	return "replay/" + projectID + "/" + ingestID
}

// ReplayItemWorkflowID is the ID of the replay of one inbox item under a
// key that changes only when the item or its rules do, so the same replay
// runs once.
func ReplayItemWorkflowID(projectID, key string) string {
	return "replay/" + projectID + "/" + key
}

// IngestIDFromKey derives the ingest ID of a call from its Idempotency-Key.
// Hashing with the project keeps IDs URL-safe and keys of different projects
// apart.
func IngestIDFromKey(projectID, key string) string {
	sum := sha256.Sum256([]byte(projectID + "\x00" + key))
	return "ing_" + hex.EncodeToString(sum[:16])
}

// EventIngestID is the ingest ID of a provider event: bounded in length
// whatever the provider's ids, and distinct per connector, so a redelivery
// of the event is the same call.
func EventIngestID(connectorID, eventID string) string {
	sum := sha256.Sum256([]byte(connectorID + "\x00" + eventID))
	return "whk_" + hex.EncodeToString(sum[:16])
}

// ValidIngestID reports whether s can be an ingest ID (of an ingest call,
// ing_…, or of a provider event, whk_…), before it is used in a workflow
// ID or a query.
func ValidIngestID(s string) bool {
	rest, ok := strings.CutPrefix(s, "ing_")
	if !ok {
		rest, ok = strings.CutPrefix(s, "whk_")
	}
	if !ok || rest == "" || len(rest) > 64 {
		return false
	}
	for _, r := range rest {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}
