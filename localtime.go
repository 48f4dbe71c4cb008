package intake

import (
	"fmt"
	"strings"
	"time"
)

// DefaultTimezone is where a SalesDash connector reads times without a zone.
const DefaultTimezone = "Europe/Amsterdam"

// dateOnlyHour is the local hour a bare date stands for: senders that only
// know the day mean the working day, and 06:00 keeps it on that day in
// every European zone whatever the DST offset.
const dateOnlyHour = 6

// Layouts with a zone or offset, which is kept; and without, read in the
// connector's zone.
var (
	zonedLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02T15:04:05Z0700",
		"2006-01-02 15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02 15:04Z07:00"}
	localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"}
)

// ParseLocalTime reads a time a sender wrote in its own wall clock. With a
// zone or offset it is kept; without, it is read in loc, a date alone
// meaning 06:00 there. The result is UTC.
func ParseLocalTime(s string, loc *time.Location) (time.Time, error) {
	t, err := parseLocalTime(strings.TrimSpace(s), loc)
	if err == nil && (t.Year() < 1 || t.Year() > 9999) {
		// An offset can push year 0000 or 9999 out of what RFC 3339,
		// and so every reader of the stored time, can express.
		return time.Time{}, fmt.Errorf("%q is out of range", s)
	}
	return t, err
}

func parseLocalTime(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range zonedLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return WallClock(t.Add(dateOnlyHour*time.Hour), loc), nil
	}
	for _, layout := range localLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return WallClock(t, loc), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD), a local time (YYYY-MM-DD HH:MM[:SS]) or RFC 3339", s)
}

// WallClock is the instant at which clocks in loc show naive's wall time
// (its zone ignored), in UTC. time.Date leaves the DST edges unspecified,
// so they are decided here as RFC 5545 does: a time that occurs twice
// (clocks going back) is its first occurrence, and a time that never
// occurs (clocks going forward) is read with the offset before the gap,
// which lands it as far past the gap as it was into it.
func WallClock(naive time.Time, loc *time.Location) time.Time {
	wall := time.Date(naive.Year(), naive.Month(), naive.Day(), naive.Hour(), naive.Minute(), naive.Second(),
		naive.Nanosecond(), time.UTC)
	// Zone changes are at least days apart, so the offsets a day either
	// side are the only two candidates.
	_, before := wall.Add(-24 * time.Hour).In(loc).Zone()
	_, after := wall.Add(24 * time.Hour).In(loc).Zone()
	var best time.Time
	for _, off := range []int{before, after} {
		t := wall.Add(-time.Duration(off) * time.Second)
		if sameWall(t.In(loc), wall) && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	if best.IsZero() {
		best = wall.Add(-time.Duration(before) * time.Second)
	}
	return best.UTC()
}

func sameWall(a, b time.Time) bool {
	return a.Year() == b.Year() && a.YearDay() == b.YearDay() && a.Hour() == b.Hour() && a.Minute() == b.Minute() &&
		a.Second() == b.Second()
}

// LocalDay is the calendar day of t in loc, as YYYY-MM-DD: the day a
// dashboard groups a record under.
func LocalDay(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02") }
