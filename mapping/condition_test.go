package mapping_test

import (
	"errors"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/mapping"
)

func TestConditions(t *testing.T) {
	at := time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC)
	tests := []struct {
		name        string
		give        string
		value, prev float64
		unit        string
		want        bool
	}{
		{"below a threshold", "value < 1000", 999, 5000, "USD", true},
		{"above it", "value < 1000", 1000, 5000, "USD", false},
		{"a drop of a fifth", "delta_pct <= -20", 80, 100, "", true},
		{"a smaller drop", "delta_pct <= -20", 81, 100, "", false},
		{"no percentage from zero", "delta_pct > 0", 10, 0, "", false},
		{"delta", "delta == -5", 5, 10, "", true},
		{"the unit", `unit == "USD" && value > previous`, 2, 1, "USD", true},
		{"the point's time", "at.Hour() < 9", 1, 1, "", true},
	}
	cs := mapping.NewConditions(8)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cs.Holds(tt.give, intake.NewAlertVars(tt.value, tt.prev, at, tt.unit))
			if err != nil || got != tt.want {
				t.Fatalf("Holds(%q) = %v, %v; want %v", tt.give, got, err, tt.want)
			}
		})
	}
}

// TestConditionErrorsArePositioned: a condition that does not compile is
// refused with the line and column of its error, and one that is not a
// true-or-false is refused too.
func TestConditionErrorsArePositioned(t *testing.T) {
	tests := []struct {
		name      string
		give      string
		line, col int
	}{
		{"unknown name", "value < 1000 &&\n  velue > 3", 2, 3},
		{"not a boolean", "value + 1", 1, 1},
		{"no now()", "now() > at", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mapping.CompileCondition(tt.give)
			var errs mapping.CompileErrors
			if !errors.As(err, &errs) || errs[0].Field != "condition" || errs[0].Line != tt.line || errs[0].Column != tt.col {
				t.Fatalf("CompileCondition(%q) = %#v; want line %d column %d", tt.give, err, tt.line, tt.col)
			}
		})
	}
}
