package api

import (
	"math"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/valyala/fasthttp"
)

// The request decoders see outside input first: none may panic, and what
// they accept must hold the invariants the workflows rely on.

var seeds = []string{
	`{"metric":"revenue","value":12345,"source":"api"}`,
	`{"metric":"r","value":-1.5e3,"timestamp":"2026-01-01","metadata":{"a":[1,2]}}`,
	`{"metrics":[{"metric":"a","value":1},{"value":"2"}]}`,
	`{"metricId":"new_signups","value":1,"timestamp":1767261600000,"projectId":"p_1"}`,
	`{"source":"crm","tasks":[{"id":7,"text":"x","dueDate":"2030-01-01","priority":"high"}]}`,
	`{"metric":"\u0000","value":1e308}`, `[]`, `{`, `"x"`, `{"a":{"a":{"a":{}}}}`,
}

func fuzzServer() *Server {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	return &Server{clock: func() time.Time { return now }}
}

// fuzzObjects fuzzes check with every body that decodes to an object.
func fuzzObjects(f *testing.F, check func(t *testing.T, o object, body []byte)) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if o, err := decodeObject(body); err == nil {
			check(t, o, body)
		}
	})
}

func FuzzDecodeMetric(f *testing.F) {
	s := fuzzServer()
	fuzzObjects(f, func(t *testing.T, o object, body []byte) {
		in, err := s.parseMetric(o, body, "")
		if err != nil {
			return
		}
		if in.Metric == "" || math.IsNaN(in.Value) || math.IsInf(in.Value, 0) || in.Timestamp.After(s.now().Add(5*time.Minute)) {
			t.Fatalf("accepted an invalid update %+v from %q", in, body)
		}
	})
}

func FuzzDecodeBatchItems(f *testing.F) {
	fuzzObjects(f, func(t *testing.T, o object, _ []byte) {
		items, err := o.items("metrics")
		if err == nil && (len(items) == 0 || len(items) > maxItems) {
			t.Fatalf("accepted %d items", len(items))
		}
	})
}

func FuzzDecodeCustom(f *testing.F) {
	s := fuzzServer()
	fuzzObjects(f, func(t *testing.T, o object, body []byte) {
		in, err := s.parseCustom("p_1", o, body)
		if err == nil && (!snakeCase.MatchString(in.Metric) || in.Create == nil || math.IsInf(in.Value, 0)) {
			t.Fatalf("accepted %+v from %q", in, body)
		}
	})
}

func FuzzDecodeTask(f *testing.F) {
	fuzzObjects(f, func(t *testing.T, o object, body []byte) {
		task, err := parseTask(o)
		if err == nil && task.Text == "" {
			t.Fatalf("accepted a task without text from %q", body)
		}
	})
}

// FuzzDecodeSalesRecord decodes SalesDash bodies both as JSON and as form
// fields: whatever is accepted has its required fields, a finite value and
// a local day that matches its time.
func FuzzDecodeSalesRecord(f *testing.F) {
	for _, s := range []string{
		`{"id":"a1","type":"Sale","agent_id":17,"moment":"2026-03-29 02:30","value":"12.5","value_is_money":"yes"}`,
		`{"id":"s1","agent_id":"a","proposition_id":"p","sold_at":"2026-07-10","cancelled_at":null,"energy_meta":{"gas_usage":1}}`,
		`id=a1&type=Call&agent_id=7&moment=2026-10-25+02%3A30&value=1e3`,
		`id=s1&agent_id=7&proposition_id=p&sold_at=1767261600&energy_meta%5Bconnection_count%5D=2`,
	} {
		f.Add([]byte(s))
	}
	loc, err := location("")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var records []record
		if o, err := decodeObject(body); err == nil {
			records = append(records, record{json: o})
		}
		// A form as the server reads it: fasthttp's parser, then the
		// same field checks (repeats, UTF-8, count).
		var args fasthttp.Args
		args.ParseBytes(body)
		if r, err := formRecord(&args); err == nil {
			records = append(records, r)
		}
		for _, r := range records {
			if a, err := parseActivity(r, loc); err == nil {
				if a.ID == "" || a.Type == "" || a.Agent.ID == "" || a.Day != intake.LocalDay(a.Moment, loc) ||
					(a.Value != nil && (math.IsNaN(*a.Value) || math.IsInf(*a.Value, 0))) {
					t.Fatalf("accepted activity %+v from %q", a, body)
				}
			}
			if s, err := parseSale(r, loc); err == nil {
				if s.ID == "" || s.PropositionID == "" || s.Agent.ID == "" || s.SoldAt.Year() > 9999 ||
					(s.CancelledAt != nil && !s.CancelledAtSet) {
					t.Fatalf("accepted sale %+v from %q", s, body)
				}
			}
		}
	})
}
