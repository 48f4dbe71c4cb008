package activities

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/intakehq/intake"
)

// TestLargeResultsAreLeftInTheirRows: when a step's results would exceed
// MaxResultBytes, the largest are left out (marked Stored) until the rest
// fit, so the workflow's marker stays small whatever the calls returned.
func TestLargeResultsAreLeftInTheirRows(t *testing.T) {
	big := json.RawMessage(`"` + strings.Repeat("x", MaxResultBytes/2) + `"`)
	small := json.RawMessage(`{"ok":true}`)
	outs := withinResultBytes([]intake.Outcome{{Result: big}, {Result: small}, {Result: big}, {Result: big}})
	total, stored := 0, 0
	for _, o := range outs {
		total += len(o.Result)
		if o.Stored {
			stored++
			if o.Result != nil {
				t.Fatalf("a stored outcome kept its result")
			}
		}
	}
	if total > MaxResultBytes || stored != 2 || string(outs[1].Result) != string(small) {
		t.Fatalf("%d bytes left, %d stored: %+v", total, stored, outs[1])
	}
	few := withinResultBytes([]intake.Outcome{{Result: small}})
	if few[0].Stored || string(few[0].Result) != string(small) {
		t.Fatalf("a small result was left out: %+v", few[0])
	}
}
