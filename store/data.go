package store

import (
	"github.com/intakehq/intake"
)

// DataUpdate is what a data call's mappings decided: the metric updates, and
// when some fields mapped to nothing, the reason to inbox the whole payload.
type DataUpdate struct {
	Source      string
	Updates     []intake.MetricInput
	Fields      []string
	Unmapped    []string
	InboxReason string
	Raw         string
	RuleVersion int
	// InboxItemID, when set, is the inbox item this call replays: it is
	// resolved when the payload now maps, else keeps the new reason.
	InboxItemID string
}

// ApplyData applies a data call: every mapped update, and an inbox item
// with the raw payload when anything was left unmapped.
func (t *Tx) ApplyData(c intake.Call, d DataUpdate) (intake.DataResult, error) {
	res := intake.DataResult{Updated: []intake.MetricResult{}, Fields: d.Fields, Unmapped: d.Unmapped, RuleVersion: d.RuleVersion}
	for i, in := range d.Updates {
		m, err := t.resolveMetric(c.ProjectID, in)
		if err != nil {
			return res, err
		}
		if m == nil {
			// The payload goes to the inbox once, below, with every reason.
			d.InboxReason = joinReasons(d.InboxReason, noMetric(in))
			continue
		}
		res.Updated = append(res.Updated, t.updateMetric(c, i, m, in))
	}
	if d.InboxItemID != "" {
		res.InboxID, res.Reason = d.InboxItemID, d.InboxReason
		return res, settleInboxItem(t.db, c, d.InboxItemID, d.InboxReason)
	}
	if d.InboxReason != "" {
		res.InboxID, res.Reason = t.addInbox(c, d.Source, d.Raw, d.InboxReason), d.InboxReason
	}
	return res, nil
}

func joinReasons(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
