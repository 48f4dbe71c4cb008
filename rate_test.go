package intake

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]Rate{
		`100`:         PerMinute(100),
		`"100/m"`:     PerMinute(100),
		`"1000/h"`:    {N: 1000, Per: time.Hour},
		`"1000000/h"`: {N: MaxRate, Per: time.Hour},
	} {
		got, err := ParseRate(json.RawMessage(in))
		if err != nil || got != want {
			t.Errorf("ParseRate(%s) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{`0`, `-1`, `1.5`, `1000001`, `1e7`, `"100"`, `"100/d"`, `"0/h"`, `"/h"`, `"x/h"`, `"100/H"`, `" 100/h"`, `true`, `[]`, `{}`} {
		if got, err := ParseRate(json.RawMessage(in)); err == nil {
			t.Errorf("ParseRate(%s) = %v, want an error", in, got)
		}
	}
}

func TestRateJSONAndOrder(t *testing.T) {
	for r, want := range map[Rate]string{PerMinute(100): `100`, {N: 100, Per: time.Hour}: `"100/h"`, {}: `null`} {
		if got, _ := json.Marshal(r); string(got) != want {
			t.Errorf("%v shows as %s, want %s", r, got, want)
		}
	}
	hourly := Rate{N: 1000, Per: time.Hour}
	if !PerMinute(100).Exceeds(hourly) || hourly.Exceeds(PerMinute(100)) || hourly.Exceeds(Rate{N: 1000, Per: time.Hour}) {
		t.Fatal("100/m lets more through than 1000/h, and a rate does not exceed itself")
	}
	if PerMinute(10).Exceeds(Rate{N: 600, Per: time.Hour}) {
		t.Fatal("10/m is 600/h")
	}
}
