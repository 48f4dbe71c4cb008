package activities

import (
	"bytes"
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
	Payload   string
	Timestamp time.Time
}

// ApplyDataResult is the result of ApplyData: which fields mapped to which
// metrics, with what values, under which rule version.
type ApplyDataResult struct {
	Result intake.DataResult
}

// dataEnvelope are the top-level keys of a data call that are not data.
var dataEnvelope = map[string]bool{"source": true, "data_type": true, "timestamp": true}

// ApplyData maps a data call's fields through its source's rules and applies
// the result in one transaction; what nothing maps goes to the inbox whole.
func (a *Activities) ApplyData(ctx context.Context, in ApplyDataInput) (ApplyDataResult, error) {
	c := in.Call.record()
	rules, version, err := a.Store.LatestRules(ctx, store.RuleScope{ProjectID: c.ProjectID, Source: in.Source})
	if err != nil {
		return ApplyDataResult{}, err
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(in.Payload)))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return ApplyDataResult{}, classify(intake.Invalid("body", "payload is not JSON: %v", err))
	}
	matches, unmapped, problems := mapping.MapFields(doc, rules, dataEnvelope)
	d := store.DataUpdate{Source: in.Source, Raw: in.Payload, Unmapped: unmapped, RuleVersion: version}
	for _, m := range matches {
		d.Fields = append(d.Fields, m.Rule.SourceField)
		d.Updates = append(d.Updates, intake.MetricInput{
			Metric: m.Rule.Metric, Value: m.Value, Op: m.Rule.Op, Timestamp: in.Timestamp,
			Source: in.Source, RuleVersion: version,
		})
	}
	switch {
	case len(matches) == 0:
		d.InboxReason = fmt.Sprintf("no field mapping of source %q matches this payload", in.Source)
	case len(unmapped) > 0:
		d.InboxReason = "no mapping for fields: " + strings.Join(unmapped, ", ")
	}
	for _, p := range problems {
		d.InboxReason = strings.TrimPrefix(d.InboxReason+"; "+p, "; ")
	}
	res, err := a.Store.ApplyData(ctx, c, d)
	return ApplyDataResult{Result: res}, classify(err)
}
