package activities

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/store"
)

// DataInput is the input of a data call: the caller's raw body, kept byte
// for byte for the inbox. Its source and data type are the call's.
type DataInput struct {
	Payload   string    `json:"payload"`
	Timestamp time.Time `json:"timestamp"`
	// Headers are the request's allow-listed headers, for rules.
	Headers map[string]string `json:"headers,omitempty"`
}

// DataOutcome is what a data call or a provider event did, and what each
// rule did with it under the rule-set version in force.
type DataOutcome struct {
	intake.DataResult
	Rules []mapping.Outcome `json:"rules,omitempty"`
}

// dataEnvelope are the top-level keys of a data call that are not data.
var dataEnvelope = map[string]bool{"source": true, "data_type": true, "timestamp": true}

// maxUnmappedListed bounds the unmapped fields a result and an inbox
// reason name; the rest are counted. A payload may have any number.
const maxUnmappedListed = 20

// applyData runs a data call through its source's rules and applies every
// match. The whole payload goes to the inbox when no rule matches, when a
// rule fails, or when fields are left that no matching rule reads.
func applyData(a *Activities, tx *store.Tx, c intake.Call, in DataInput) (DataOutcome, error) {
	var payload map[string]any
	if err := json.Unmarshal([]byte(in.Payload), &payload); err != nil {
		return DataOutcome{}, intake.Invalid("body", "payload is not a JSON object: %v", err)
	}
	return a.applyPayload(tx, c, c.Source, c.EventType, in, payload, "")
}

// applyPayload maps one pushed object, a new call's or a replayed inbox
// item's (itemID), and applies it.
func (a *Activities) applyPayload(tx *store.Tx, c intake.Call, source, dataType string, in DataInput, payload map[string]any, itemID string) (DataOutcome, error) {
	prog, err := a.program(tx, store.RuleScope{ProjectID: c.ProjectID, Source: source}, source)
	if err != nil {
		return DataOutcome{}, err
	}
	env := mapping.DataEnv(payload, source, dataType, c.IngestID, in.Timestamp)
	env.Headers = in.Headers
	outcomes := prog.Eval(env)
	d := decide(source, in.Payload, in.Timestamp, c.ReceivedAt, payload, outcomes, prog.Version, true)
	d.InboxItemID = itemID
	res, err := tx.ApplyData(c, d)
	return DataOutcome{DataResult: res, Rules: outcomes}, err
}

// decide turns the rules' outcomes into what a call writes. With
// reportUnmapped, fields that no matching rule read send the payload to the
// inbox too (pushed objects); provider events carry far more than any rule
// reads, so for them only no match or a failing rule does.
//
// An update's time (the rule's timestamp, else at) may be at most
// intake.MaxClockSkew after received, when the call arrived, as a caller's
// timestamp may: a rule or a provider cannot plant a point in the future
// that every later update would fall behind. Such an update is the rule's
// problem, and the payload goes to the inbox.
func decide(source, raw string, at, received time.Time, payload map[string]any, outcomes []mapping.Outcome, version int, reportUnmapped bool) store.DataUpdate {
	if received.IsZero() {
		received = time.Now()
	}
	latest := received.Add(intake.MaxClockSkew)
	d := store.DataUpdate{Source: source, Raw: raw, RuleVersion: version}
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
		ts := at
		if o.Timestamp != nil {
			ts = *o.Timestamp
		}
		if err := checkOutcome(o); err != nil {
			problems = append(problems, fmt.Sprintf("rule %q: %v", o.Rule, err))
			continue
		}
		if ts.After(latest) {
			problems = append(problems, fmt.Sprintf("rule %q: its time %s is more than %v after the call arrived",
				o.Rule, ts.UTC().Format(time.RFC3339), intake.MaxClockSkew))
			continue
		}
		d.Fields = append(d.Fields, o.SourceField)
		update := intake.MetricInput{
			Metric: o.Metric, Value: o.Value, Op: o.Op, Timestamp: ts, Source: source, RuleVersion: version,
		}
		if o.Create {
			update.Create = &intake.MetricSpec{Key: MetricKey(o.Metric), Name: o.Metric, Unit: o.Unit}
		}
		d.Updates = append(d.Updates, update)
		reads = append(reads, o.Reads...)
	}
	unmapped := 0
	if reportUnmapped {
		for _, leaf := range mapping.Leaves(payload, dataEnvelope) {
			if !mapping.Covers(reads, leaf) {
				if unmapped < maxUnmappedListed {
					d.Unmapped = append(d.Unmapped, leaf)
				}
				unmapped++
			}
		}
	}
	switch {
	case len(d.Updates) == 0:
		d.InboxReason = fmt.Sprintf("no rule of source %q matches this payload", source)
	case unmapped > 0:
		d.InboxReason = "no mapping for fields: " + strings.Join(d.Unmapped, ", ")
		if unmapped > len(d.Unmapped) {
			d.InboxReason += fmt.Sprintf(" and %d more", unmapped-len(d.Unmapped))
		}
	}
	for _, p := range problems {
		d.InboxReason = strings.TrimPrefix(d.InboxReason+"; "+p, "; ")
	}
	return d
}

// Bounds of what a rule may produce, those of the columns it lands in.
const (
	maxRuleMetric = 200 // a metric's name; a key is at most 100
	maxMetricKey  = 100
	maxRuleUnit   = 20
)

// checkOutcome refuses what a rule produced that the database would refuse
// or keep wrong (NUL, invalid UTF-8, control characters, too long): the
// rule's problem, not a transient error that would retry for ever. A value
// that is not a finite number is already the rule's error (mapping.Eval).
func checkOutcome(o mapping.Outcome) error {
	if err := checkText("metric", o.Metric, maxRuleMetric); err != nil {
		return err
	}
	if o.Metric == "" {
		return errors.New("it names no metric")
	}
	if o.Create && len(MetricKey(o.Metric)) > maxMetricKey {
		return fmt.Errorf("the key of the metric it would create is longer than %d bytes", maxMetricKey)
	}
	return checkText("unit", o.Unit, maxRuleUnit)
}

func checkText(what, s string, max int) error {
	switch {
	case len(s) > max:
		return fmt.Errorf("its %s is longer than %d bytes", what, max)
	case !utf8.ValidString(s):
		return fmt.Errorf("its %s is not valid UTF-8", what)
	case strings.ContainsFunc(s, unicode.IsControl):
		return fmt.Errorf("its %s %q holds control characters", what, s)
	}
	return nil
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
