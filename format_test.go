package intake_test

import (
	"testing"

	"github.com/intakehq/intake"
)

func TestFormatValue(t *testing.T) {
	tests := []struct {
		give float64
		unit string
		want string
	}{
		{123456.78, "USD", "$123,456.78"},
		{0, "USD", "$0.00"},
		{-1234.5, "USD", "-$1,234.50"},
		{1000000, "EUR", "€1,000,000.00"},
		{99.5, "gbp", "£99.50"},
		{1500, "JPY", "¥1,500"},
		{5000, "krw", "₩5,000"},
		{1234, "VND", "1,234 VND"},
		{1.234, "KWD", "1.234 KWD"},
		{12.5, "%", "12.5%"},
		{1234, "count", "1,234"},
		{1234.25, "count", "1,234.25"},
		{1234, "ms", "1,234 ms"},
		{999, "", "999"},
		{1234567.891, "kWh", "1,234,567.89 kWh"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := intake.FormatValue(tt.give, tt.unit); got != tt.want {
				t.Fatalf("FormatValue(%v, %q) = %q, want %q", tt.give, tt.unit, got, tt.want)
			}
		})
	}
}
