package mapping_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

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

func TestIsPath(t *testing.T) {
	for give, want := range map[string]bool{"a": true, "totals.net": true, "items.0.amount": true, "": false, "a..b": false, ".a": false, "a + 1": false, "payload.a": true} {
		if mapping.IsPath(give) != want {
			t.Errorf("IsPath(%q) != %v", give, want)
		}
	}
}
