package intake_test

import (
	"testing"
	"time"

	"github.com/intakehq/intake"
)

func TestParseLocalTime(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, give, want string
	}{
		{"winter local time is CET", "2026-01-15 14:30:00", "2026-01-15T13:30:00Z"},
		{"summer local time is CEST", "2026-07-15T14:30:00", "2026-07-15T12:30:00Z"},
		{"date only is 06:00 local in winter", "2026-01-15", "2026-01-15T05:00:00Z"},
		{"date only is 06:00 local in summer", "2026-07-15", "2026-07-15T04:00:00Z"},
		{"time in the spring-forward gap moves past it", "2026-03-29 02:30:00", "2026-03-29T01:30:00Z"},
		{"just before the gap", "2026-03-29 01:59:59", "2026-03-29T00:59:59Z"},
		{"just after the gap", "2026-03-29 03:00", "2026-03-29T01:00:00Z"},
		{"a time that occurs twice is its first occurrence", "2026-10-25 02:30:00", "2026-10-25T00:30:00Z"},
		{"after clocks went back", "2026-10-25 03:30:00", "2026-10-25T02:30:00Z"},
		{"explicit offset is kept", "2026-07-15T14:30:00-05:00", "2026-07-15T19:30:00Z"},
		{"explicit Z is kept", "2026-01-15T14:30:00Z", "2026-01-15T14:30:00Z"},
		{"space and compact offset", "2026-01-15 14:30:00+0100", "2026-01-15T13:30:00Z"},
		{"fractional seconds with offset", "2026-01-15T14:30:00.250+01:00", "2026-01-15T13:30:00.25Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := intake.ParseLocalTime(tt.give, ams)
			if err != nil {
				t.Fatal(err)
			}
			if got.Format(time.RFC3339Nano) != tt.want {
				t.Fatalf("ParseLocalTime(%q) = %s, want %s", tt.give, got.Format(time.RFC3339Nano), tt.want)
			}
		})
	}
	for _, bad := range []string{"", "yesterday", "2026-13-01", "2026-02-30", "15/01/2026", "2026-01-15T25:00"} {
		if _, err := intake.ParseLocalTime(bad, ams); err == nil {
			t.Errorf("ParseLocalTime(%q) accepted", bad)
		}
	}
}

func TestWallClockInZoneWithoutDST(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	got := intake.WallClock(time.Date(2026, 3, 29, 2, 30, 0, 0, time.UTC), tokyo)
	if want := time.Date(2026, 3, 28, 17, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("got %s, want %s", got, want)
	}
	if day := intake.LocalDay(time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC), time.FixedZone("CET", 3600)); day != "2026-03-29" {
		t.Fatalf("LocalDay = %s", day)
	}
}

// FuzzParseLocalTime: whatever is accepted is UTC and reads back as the
// same instant from its RFC 3339 form.
func FuzzParseLocalTime(f *testing.F) {
	for _, s := range []string{"2026-03-29 02:30:00", "2026-10-25T02:30", "2026-07-15", "2026-01-15T14:30:00.250+01:00", "0000-01-01"} {
		f.Add(s)
	}
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := intake.ParseLocalTime(s, ams)
		if err != nil {
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("%q parsed in %s", s, got.Location())
		}
		back, err := intake.ParseLocalTime(got.Format(time.RFC3339Nano), ams)
		if err != nil || !back.Equal(got) {
			t.Fatalf("%q → %s → %s, %v", s, got, back, err)
		}
	})
}
