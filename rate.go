package intake

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Rate is a request limit: N requests a Per, which is a minute or an hour
// (hourly plans such as 100, 1,000 or 10,000 requests an hour are common).
// The zero Rate is no limit of its own.
type Rate struct {
	N   int
	Per time.Duration
}

// MaxRate bounds N to something a counter can count.
const MaxRate = 1_000_000

// PerMinute is n requests a minute.
func PerMinute(n int) Rate { return Rate{N: n, Per: time.Minute} }

// IsZero reports whether r sets no limit.
func (r Rate) IsZero() bool { return r.N <= 0 }

// unit is the one-letter name of Per, as "N/m" and "N/h" spell it.
func (r Rate) unit() string {
	if r.Per == time.Hour {
		return "h"
	}
	return "m"
}

// Unit names Per for people: "minute" or "hour".
func (r Rate) Unit() string {
	if r.Per == time.Hour {
		return "hour"
	}
	return "minute"
}

func (r Rate) String() string { return fmt.Sprintf("%d/%s", r.N, r.unit()) }

// MarshalJSON writes a rate a minute as a plain number, as it has always
// been shown, and a rate an hour as "N/h"; no limit is null.
func (r Rate) MarshalJSON() ([]byte, error) {
	switch {
	case r.IsZero():
		return []byte("null"), nil
	case r.Per == time.Hour:
		return json.Marshal(r.String())
	}
	return []byte(strconv.Itoa(r.N)), nil
}

// Exceeds reports whether r lets more requests through over time than o
// does: 100/m exceeds 1000/h; 1000/h does not exceed 100/m.
func (r Rate) Exceeds(o Rate) bool {
	return int64(r.N)*int64(o.Per) > int64(o.N)*int64(r.Per)
}

// ErrRateSyntax explains what a rate_limit may be.
var ErrRateSyntax = fmt.Errorf(`must be a whole number of requests per minute from 1 to %d, or a string "N/m" or "N/h" (per minute, per hour)`, MaxRate)

// ParseRate reads a rate_limit given as a JSON number (requests a minute)
// or a string "N/m" or "N/h".
func ParseRate(raw json.RawMessage) (Rate, error) {
	var v any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return Rate{}, ErrRateSyntax
	}
	var count string
	r := Rate{Per: time.Minute}
	switch v := v.(type) {
	case json.Number:
		// A whole number however written (100, 100.0, 1e3).
		f, err := v.Float64()
		if err != nil || f != math.Trunc(f) || f < 1 || f > MaxRate {
			return Rate{}, ErrRateSyntax
		}
		count = strconv.Itoa(int(f))
	case string:
		n, unit, ok := strings.Cut(v, "/")
		if !ok {
			return Rate{}, ErrRateSyntax
		}
		switch unit {
		case "m":
		case "h":
			r.Per = time.Hour
		default:
			return Rate{}, ErrRateSyntax
		}
		count = n
	default:
		return Rate{}, ErrRateSyntax
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 || n > MaxRate {
		return Rate{}, ErrRateSyntax
	}
	r.N = n
	return r, nil
}
