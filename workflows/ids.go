// Package workflows holds intake's deterministic orchestration: the Ingest
// workflow that carries one call or several, the inbox replays, the
// workflows of the first release kept for the histories it started, and
// the search attributes operators filter by in the Temporal UI.
package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// TaskQueue is the one task queue intake's workers poll.
const TaskQueue = "intake"

// Search attributes set on every workflow, so operators can find a call in
// the Temporal UI by project, connector, source, kind and event type, and
// the workflow that carried a call by its ingest id
// (IntakeIngestIDs = "ing_…").
var (
	AttrProject   = temporal.NewSearchAttributeKeyKeyword("IntakeProject")
	AttrConnector = temporal.NewSearchAttributeKeyKeyword("IntakeConnector")
	AttrSource    = temporal.NewSearchAttributeKeyKeyword("IntakeSource")
	AttrKind      = temporal.NewSearchAttributeKeyKeyword("IntakeKind")
	AttrEventType = temporal.NewSearchAttributeKeyKeyword("IntakeEventType")
	AttrIngestIDs = temporal.NewSearchAttributeKeyKeywordList("IntakeIngestIDs")
)

// SearchAttributes lists every custom search attribute with its type, for
// registration at start.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	out := map[string]enumspb.IndexedValueType{AttrIngestIDs.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST}
	for _, k := range []temporal.SearchAttributeKeyKeyword{AttrProject, AttrConnector, AttrSource, AttrKind, AttrEventType} {
		out[k.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	return out
}

// Attrs are the search attribute values of one workflow.
type Attrs struct {
	Project, Connector, Source, Kind, EventType string
	// IngestIDs are the calls the workflow carries.
	IngestIDs []string
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
	if len(a.IngestIDs) > 0 {
		updates = append(updates, AttrIngestIDs.ValueSet(a.IngestIDs))
	}
	return temporal.NewSearchAttributes(updates...)
}
