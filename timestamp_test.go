package intake_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/intakehq/intake"
)

func TestParseTimestamp(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		give    string
		want    time.Time
		wantErr bool
	}{
		{"rfc3339", `"2026-01-01T10:00:00Z"`, time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), false},
		{"rfc3339 offset", `"2026-01-01T11:00:00+01:00"`, time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), false},
		{"rfc3339 nanos", `"2026-01-01T10:00:00.5Z"`, time.Date(2026, 1, 1, 10, 0, 0, 5e8, time.UTC), false},
		{"date time", `"2026-01-01 10:00:00"`, time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), false},
		{"date", `"2026-01-01"`, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"unix seconds", `1767261600`, time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), false},
		{"unix millis", `1767261600000`, time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), false},
		{"unix seconds string", `"1767261600"`, time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), false},
		{"within skew", `"2026-11-22T12:04:00Z"`, time.Date(2026, 11, 22, 12, 4, 0, 0, time.UTC), false},
		{"far future", `"2026-11-23T12:00:00Z"`, time.Time{}, true},
		{"future millis", `1800000000000`, time.Time{}, true},
		{"garbage", `"yesterday"`, time.Time{}, true},
		{"negative", `-5`, time.Time{}, true},
		{"bool", `true`, time.Time{}, true},
		{"empty string", `""`, time.Time{}, true},
		{"huge", `1e300`, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := intake.ParseTimestamp(json.RawMessage(tt.give), now)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseTimestamp(%s) error = %v, wantErr %v", tt.give, err, tt.wantErr)
			}
			if !tt.wantErr && !got.Equal(tt.want) {
				t.Fatalf("ParseTimestamp(%s) = %v, want %v", tt.give, got, tt.want)
			}
		})
	}
}

func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{`"2026-01-01T10:00:00Z"`, `1767261600`, `"2026-01-01"`, `"1767261600000"`, `1e11`, `"\u0000"`} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := intake.ParseTimestamp(json.RawMessage(s), now)
		if err == nil && got.After(now.Add(intake.MaxClockSkew)) {
			t.Fatalf("accepted a future time %v from %q", got, s)
		}
		if err == nil && got.Location() != time.UTC {
			t.Fatalf("time %v from %q is not UTC", got, s)
		}
	})
}
