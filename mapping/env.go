package mapping

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/intakehq/intake"
)

// Env is what a rule's expressions see. Field names are the expr names.
type Env struct {
	Payload map[string]any    `expr:"payload"`
	Event   Event             `expr:"event"`
	Headers map[string]string `expr:"headers"`
	// budget counts the loop steps of the rule being evaluated.
	budget *budget
}

// Event is the normalized event a call carries; for pushes that are not
// provider webhooks, its data is the payload.
type Event struct {
	Type       string         `expr:"type"`
	ID         string         `expr:"id"`
	OccurredAt string         `expr:"occurred_at"`
	Source     string         `expr:"source"`
	Data       map[string]any `expr:"data"`
}

// envRoots are the names a metric expression starts with.
var envRoots = []string{"payload", "event", "headers"}

// Cents converts an amount in minor units to major units for currency:
// 12345 USD cents is 123.45, 500 JPY is 500, 1234 KWD fils is 1.234.
func Cents(amount float64, currency string) float64 {
	return amount / math.Pow10(intake.MinorDigits(currency))
}

// toNumber reads JSON numbers, numeric strings and booleans as float64.
func toNumber(v any) (float64, error) {
	switch n := v.(type) {
	case float64:
		return n, nil
	case int:
		return float64(n), nil
	case json.Number:
		return n.Float64()
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("%q is not a number", n)
		}
		return f, nil
	case nil:
		return 0, fmt.Errorf("the value is missing (null)")
	}
	return 0, fmt.Errorf("%v (%T) is not a number", v, v)
}

// helpers are the functions rules may call besides expr's builtins (lower,
// upper, trim, sum, date, …); now() is removed so rules are deterministic.
var helpers = []expr.Option{
	expr.Function("cents", func(args ...any) (any, error) {
		amount, err := toNumber(args[0])
		if err != nil {
			return nil, fmt.Errorf("cents: %w", err)
		}
		currency := "USD"
		if len(args) > 1 {
			currency, _ = args[1].(string)
		}
		return Cents(amount, currency), nil
	}, new(func(any) float64), new(func(any, string) float64)),
	expr.Function("num", func(args ...any) (any, error) {
		return toNumber(args[0])
	}, new(func(any) float64)),
	expr.DisableBuiltin("now"),
}

// DataEnv is the environment of a pushed object: its event is of type
// dataType from source, and its data is the payload itself.
func DataEnv(payload map[string]any, source, dataType, id string, at time.Time) Env {
	return Env{Payload: payload, Event: Event{
		Type: dataType, ID: id, OccurredAt: at.UTC().Format(time.RFC3339Nano), Source: source, Data: payload,
	}}
}

// EventEnv is the environment of a provider event: payload is the event as
// delivered, event its normalized form.
func EventEnv(e intake.Event) Env {
	return Env{Payload: e.Payload, Event: Event{
		Type: e.Type, ID: e.ID, OccurredAt: e.OccurredAt.UTC().Format(time.RFC3339Nano), Source: e.Source, Data: e.Data,
	}}
}
