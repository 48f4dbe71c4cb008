// Package workflows holds intake's deterministic orchestration: one workflow
// per accepted call, its input and result structs, the workflow-ID helpers
// that encode each call's dedupe key, and the search attributes operators
// filter by in the Temporal UI.
package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// TaskQueue is the one task queue intake's workers poll.
const TaskQueue = "intake"

// APIConnector stands in for the connector in the workflow IDs of calls made
// with an API key rather than through a connector.
const APIConnector = "api"

// WorkflowID is the ID of the workflow of one call. It encodes the dedupe key,
// so Temporal itself refuses to run the same call twice.
func WorkflowID(projectID, connector, ingestID string) string {
	return "ingest/" + projectID + "/" + connector + "/" + ingestID
}

// IngestIDFromKey derives the ingest ID of a call from its Idempotency-Key.
// Hashing with the project keeps IDs URL-safe and keys of different projects
// apart.
func IngestIDFromKey(projectID, key string) string {
	sum := sha256.Sum256([]byte(projectID + "\x00" + key))
	return "ing_" + hex.EncodeToString(sum[:16])
}

// ValidIngestID reports whether s can be an ingest ID, before it is used in a
// workflow ID.
func ValidIngestID(s string) bool {
	rest, ok := strings.CutPrefix(s, "ing_")
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

// Search attributes set on every workflow, so operators can find a call in
// the Temporal UI by project, connector, source, kind and event type.
var (
	AttrProject   = temporal.NewSearchAttributeKeyKeyword("IntakeProject")
	AttrConnector = temporal.NewSearchAttributeKeyKeyword("IntakeConnector")
	AttrSource    = temporal.NewSearchAttributeKeyKeyword("IntakeSource")
	AttrKind      = temporal.NewSearchAttributeKeyKeyword("IntakeKind")
	AttrEventType = temporal.NewSearchAttributeKeyKeyword("IntakeEventType")
)

// SearchAttributes lists every custom search attribute with its type, for
// registration at start.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	out := map[string]enumspb.IndexedValueType{}
	for _, k := range []temporal.SearchAttributeKeyKeyword{AttrProject, AttrConnector, AttrSource, AttrKind, AttrEventType} {
		out[k.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	return out
}

// Attrs are the search attribute values of one call.
type Attrs struct {
	Project, Connector, Source, Kind, EventType string
}

// SearchAttributes returns the typed search attributes for a start request,
// leaving out empty values.
func (a Attrs) SearchAttributes() temporal.SearchAttributes {
	var updates []temporal.SearchAttributeUpdate
	for _, kv := range []struct {
		key temporal.SearchAttributeKeyKeyword
		val string
	}{{AttrProject, a.Project}, {AttrConnector, a.Connector}, {AttrSource, a.Source}, {AttrKind, a.Kind}, {AttrEventType, a.EventType}} {
		if kv.val != "" {
			updates = append(updates, kv.key.ValueSet(kv.val))
		}
	}
	return temporal.NewSearchAttributes(updates...)
}
