package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxClockSkew is how far in the future a caller's timestamp may be: enough
// for clock drift, not enough to plant a point in next week.
const MaxClockSkew = 5 * time.Minute

// unixMillisThreshold tells Unix seconds from milliseconds by magnitude: 1e11
// seconds is the year 5138, 1e11 milliseconds is 1973.
const unixMillisThreshold = 1e11

var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseTimestamp reads a caller's timestamp: a JSON string in RFC 3339,
// `YYYY-MM-DD[ HH:MM[:SS]]` (UTC when no zone is given) or digits, or a JSON
// number of Unix seconds or milliseconds. A time more than MaxClockSkew after
// now is rejected so a typo cannot become the metric's future.
func ParseTimestamp(raw json.RawMessage, now time.Time) (time.Time, error) {
	t, err := ParseTime(raw)
	if err != nil {
		return time.Time{}, err
	}
	if t.After(now.Add(MaxClockSkew)) {
		return time.Time{}, fmt.Errorf("%s is in the future", t.UTC().Format(time.RFC3339))
	}
	return t, nil
}

// ParseTime reads a time in any of ParseTimestamp's forms, with no bound:
// for times that belong in the future, such as a task's due date.
func ParseTime(raw json.RawMessage) (time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return time.Time{}, errors.New("is empty")
	}
	var t time.Time
	var err error
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, errors.New("is not a valid JSON string")
		}
		t, err = parseTimestampString(strings.TrimSpace(s))
	} else {
		t, err = parseUnix(string(raw))
	}
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

func parseTimestampString(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("is empty")
	}
	if s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, "-:T ") {
		return parseUnix(s)
	}
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339, YYYY-MM-DD[ HH:MM:SS] or Unix seconds/milliseconds", s)
}

func parseUnix(s string) (time.Time, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return time.Time{}, fmt.Errorf("%q is not a Unix time", s)
	}
	if f >= unixMillisThreshold {
		f /= 1000
	}
	if f >= unixMillisThreshold {
		return time.Time{}, fmt.Errorf("%q is out of range", s)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}
