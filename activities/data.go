package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/store"
)

// ApplyDataInput is the input of ApplyData: the caller's raw body, kept
// byte for byte for the inbox.
type ApplyDataInput struct {
	Call      Call
	Source    string
	DataType  string
	Payload   string
	Timestamp time.Time
	// Headers are the request's allow-listed headers, for rules.
	Headers map[string]string `json:",omitempty"`
}

// ApplyDataResult is the result of ApplyData: what each rule did, under
// which rule-set version, and what was written.
type ApplyDataResult struct {
	Result intake.DataResult
	Rules  []mapping.Outcome
}

// dataEnvelope are the top-level keys of a data call that are not data.
var dataEnvelope = map[string]bool{"source": true, "data_type": true, "timestamp": true}

// ApplyData runs a data call through its source's rules and applies every
// match in one transaction. The whole payload goes to the inbox when no rule
// matches, when a rule fails, or when fields are left that no matching rule
// reads.
func (a *Activities) ApplyData(ctx context.Context, in ApplyDataInput) (ApplyDataResult, error) {
	c := in.Call
	var payload map[string]any
	if err := json.Unmarshal([]byte(in.Payload), &payload); err != nil {
		return ApplyDataResult{}, classify(intake.Invalid("body", "payload is not a JSON object: %v", err))
	}
	outcomes, version, err := a.evaluate(ctx, c.ProjectID, in, payload)
	if err != nil {
		return ApplyDataResult{}, err
	}
	d := decide(in, payload, outcomes, version, true)
	res, err := a.Store.ApplyData(ctx, c, d)
	return ApplyDataResult{Result: res, Rules: outcomes}, classify(err)
}

// decide turns the rules' outcomes into what a call writes. With
// reportUnmapped, fields that no matching rule read send the payload to the
// inbox too (pushed objects); provider events carry far more than any rule
// reads, so for them only no match or a failing rule does.
func decide(in ApplyDataInput, payload map[string]any, outcomes []mapping.Outcome, version int, reportUnmapped bool) store.DataUpdate {
	d := store.DataUpdate{Source: in.Source, Raw: in.Payload, RuleVersion: version}
	var reads []string
	var problems []string
	for _, o := range outcomes {
		if o.Error != "" {
			problems = append(problems, fmt.Sprintf("rule %q: %s", o.Rule, o.Error))
			continue
		}
		if !o.Matched {
			continue
		}
		ts := in.Timestamp
		if o.Timestamp != nil {
			ts = *o.Timestamp
		}
		d.Fields = append(d.Fields, o.SourceField)
		update := intake.MetricInput{
			Metric: o.Metric, Value: o.Value, Op: o.Op, Timestamp: ts, Source: in.Source, RuleVersion: version,
		}
		if o.Create {
			update.Create = &intake.MetricSpec{Key: MetricKey(o.Metric), Name: o.Metric, Unit: o.Unit}
		}
		d.Updates = append(d.Updates, update)
		reads = append(reads, o.Reads...)
	}
	for _, leaf := range mapping.Leaves(payload, dataEnvelope) {
		if reportUnmapped && !mapping.Covers(reads, leaf) {
			d.Unmapped = append(d.Unmapped, leaf)
		}
	}
	switch {
	case len(d.Updates) == 0:
		d.InboxReason = fmt.Sprintf("no rule of source %q matches this payload", in.Source)
	case len(d.Unmapped) > 0:
		d.InboxReason = "no mapping for fields: " + strings.Join(d.Unmapped, ", ")
	}
	for _, p := range problems {
		d.InboxReason = strings.TrimPrefix(d.InboxReason+"; "+p, "; ")
	}
	return d
}

func scopeKey(s store.RuleScope) string {
	return s.ProjectID + "/" + s.ConnectorID + "/" + s.Source
}

// MetricKey makes a snake_case key from a metric name: "Invoice Paid" is
// invoice_paid.
func MetricKey(name string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			sep = false
		default:
			sep = true
		}
	}
	if b.Len() == 0 || b.String()[0] >= '0' && b.String()[0] <= '9' {
		return "m_" + b.String()
	}
	return b.String()
}
