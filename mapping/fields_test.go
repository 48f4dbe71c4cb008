package mapping_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/mapping"
)

func decode(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewBufferString(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestLookup(t *testing.T) {
	doc := decode(t, `{"a": {"b": [10, {"c": "x"}]}, "n": 1}`)
	tests := []struct {
		give   string
		want   string
		wantOK bool
	}{
		{"n", "1", true},
		{"a.b.0", "10", true},
		{"a.b.1.c", "x", true},
		{"a.b.2", "", false},
		{"a.x", "", false},
		{"n.x", "", false},
		{"a.b.-1", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, ok := mapping.Lookup(doc, tt.give)
			if ok != tt.wantOK || (ok && fmt.Sprint(got) != tt.want) {
				t.Fatalf("Lookup(%q) = %v, %v", tt.give, got, ok)
			}
		})
	}
}

func TestMapFields(t *testing.T) {
	doc := decode(t, `{"source": "qb", "TotalIncome": 85000, "totals": {"net": "12.5", "gross": 20}, "note": "hi"}`)
	rules := []intake.Rule{
		{ID: "r1", Metric: "revenue", SourceField: "TotalIncome", Value: "TotalIncome", Enabled: true},
		{ID: "r2", Metric: "net", SourceField: "totals.net", Value: "totals.net", Enabled: true},
		{ID: "r3", Metric: "x", SourceField: "note", Value: "note", Enabled: true},
		{ID: "r4", Metric: "y", SourceField: "totals.gross", Value: "totals.gross", Enabled: false},
		{ID: "r5", Metric: "z", SourceField: "missing", Value: "missing", Enabled: true},
	}
	matches, unmapped, problems := mapping.MapFields(doc, rules, map[string]bool{"source": true})
	if len(matches) != 2 || matches[0].Value != 85000 || matches[1].Value != 12.5 {
		t.Fatalf("matches %+v", matches)
	}
	if fmt.Sprint(unmapped) != "[note totals.gross]" {
		t.Fatalf("unmapped %v", unmapped)
	}
	if len(problems) != 1 {
		t.Fatalf("problems %v", problems)
	}
}

func TestIsPath(t *testing.T) {
	for give, want := range map[string]bool{"a": true, "totals.net": true, "items.0.amount": true, "": false, "a..b": false, ".a": false, "a + 1": false, "payload.a": true} {
		if mapping.IsPath(give) != want {
			t.Errorf("IsPath(%q) != %v", give, want)
		}
	}
}

func FuzzMapFields(f *testing.F) {
	f.Add(`{"a": 1, "b": {"c": "2"}}`, "b.c")
	f.Add(`[1, [2, {"x": null}]]`, "1.1.x")
	f.Fuzz(func(t *testing.T, body, path string) {
		dec := json.NewDecoder(bytes.NewBufferString(body))
		dec.UseNumber()
		var doc any
		if dec.Decode(&doc) != nil {
			return
		}
		rules := []intake.Rule{{Metric: "m", SourceField: path, Value: path, Enabled: true}}
		matches, unmapped, _ := mapping.MapFields(doc, rules, nil)
		for _, u := range unmapped {
			if len(matches) == 1 && u == path {
				t.Fatalf("%q both mapped and unmapped", path)
			}
		}
	})
}
