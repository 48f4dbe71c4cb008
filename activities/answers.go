package activities

import (
	"github.com/intakehq/intake"
)

// metricAnswer is the contract's answer for one metric update.
func metricAnswer(ingestID string, r intake.MetricResult) map[string]any {
	out := MetricOutcome(r)
	out["ok"], out["ingest_id"] = true, ingestID
	return out
}

// MetricOutcome is one update's outcome, for single and batch answers.
func MetricOutcome(r intake.MetricResult) map[string]any {
	if r.Outcome == intake.OutcomeInboxed {
		return map[string]any{"inboxed": true, "message": r.Message, "inbox_id": r.InboxID}
	}
	out := map[string]any{"metric_id": r.MetricID, "new_value": intake.FormatValue(r.NewValue, r.Unit), "current": r.Current}
	if r.PreviousValue != nil {
		out["previous_value"] = intake.FormatValue(*r.PreviousValue, r.Unit)
	}
	if r.Message != "" {
		out["message"] = r.Message
	}
	return out
}

// batchItem is one batch item's answer: what the update named, its
// status, and its outcome.
func batchItem(r intake.MetricResult) map[string]any {
	a := MetricOutcome(r)
	delete(a, "inboxed")
	a["status"] = r.Outcome
	if r.Ref != "" {
		a["metric"] = r.Ref
	}
	return a
}

func batchAnswer(ingestID string, rs []intake.MetricResult) map[string]any {
	out := make([]map[string]any, len(rs))
	for i, r := range rs {
		out[i] = batchItem(r)
	}
	return map[string]any{"ok": true, "ingest_id": ingestID, "results": out}
}

func customAnswer(ingestID string, rs []intake.MetricResult) map[string]any {
	out := make([]map[string]any, len(rs))
	for i, r := range rs {
		id := r.Ref
		if id == "" {
			id = r.MetricKey
		}
		out[i] = map[string]any{"metricId": id, "status": r.Outcome, "id": r.MetricID,
			"value": r.NewValue, "display": intake.FormatValue(r.NewValue, r.Unit)}
	}
	return map[string]any{"ok": true, "ingest_id": ingestID, "results": out}
}

// dataAnswer is the answer to a data call or a provider event: each update
// with the field it came from, and the inbox item holding what nothing
// mapped.
func dataAnswer(ingestID string, d DataOutcome) map[string]any {
	r := d.DataResult
	updated := make([]map[string]any, len(r.Updated))
	for i, u := range r.Updated {
		updated[i] = MetricOutcome(u)
		if i < len(r.Fields) {
			updated[i]["field"] = r.Fields[i]
		}
	}
	out := map[string]any{"ok": true, "ingest_id": ingestID, "updated": updated, "inboxed": r.InboxID != ""}
	if r.InboxID != "" {
		out["inbox_id"], out["message"] = r.InboxID, r.Reason
	}
	if r.RuleVersion > 0 {
		out["rule_version"] = r.RuleVersion
	}
	return out
}

func tasksAnswer(ingestID string, r intake.TasksResult) map[string]any {
	return map[string]any{"ok": true, "ingest_id": ingestID, "created": r.Created, "updated": r.Updated, "total": r.Total}
}

func upsertAnswer(ingestID string, r intake.UpsertResult) map[string]any {
	return map[string]any{"ok": true, "ingest_id": ingestID, "id": r.ID, "external_id": r.ExternalID, "created": r.Created}
}

func replayAnswer(ingestID string, r ReplayItemResult) map[string]any {
	return map[string]any{"ok": true, "ingest_id": ingestID, "resolved": r.Resolved, "reason": r.Reason, "outcomes": r.Rules}
}
