package mapping

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/intakehq/intake"
)

// Outcome is what one rule did with one payload: matched or not, and the
// update it asks for, or the error that stopped it.
type Outcome struct {
	Rule        string     `json:"rule"`
	RuleID      string     `json:"rule_id,omitempty"`
	Matched     bool       `json:"matched"`
	Metric      string     `json:"metric,omitempty"`
	Value       float64    `json:"value"`
	Op          string     `json:"op,omitempty"`
	Timestamp   *time.Time `json:"timestamp,omitempty"`
	SourceField string     `json:"source_field,omitempty"`
	Reads       []string   `json:"reads,omitempty"`
	// Create and Unit: make the metric on first use, in this unit.
	Create bool   `json:"create,omitempty"`
	Unit   string `json:"unit,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Eval runs every enabled rule against env, in order. A rule that fails at
// run time reports its error and leaves the others unharmed.
func (p *Program) Eval(env Env) []Outcome {
	out := make([]Outcome, 0, len(p.rules))
	for _, c := range p.rules {
		if !c.rule.Enabled {
			continue
		}
		o := Outcome{Rule: c.rule.Name, RuleID: c.rule.ID, Op: c.rule.Op, SourceField: c.rule.SourceField,
			Metric: c.rule.Metric, Reads: c.reads, Create: c.rule.Create, Unit: c.rule.Unit}
		env.budget = &budget{} // each rule has its own MaxSteps
		if err := c.eval(env, &o); err != nil {
			o.Matched, o.Error = false, err.Error()
		}
		out = append(out, o)
	}
	return out
}

func (c compiled) eval(env Env, o *Outcome) error {
	if c.when != nil {
		ok, err := run(c.when, env)
		if err != nil {
			return fmt.Errorf("when: %w", err)
		}
		if ok != true {
			return nil
		}
	}
	if c.rule.SourceField != "" {
		if _, found := Lookup(env.Payload, c.rule.SourceField); !found {
			return nil // a field mapping whose field is absent does not apply
		}
	}
	v, err := run(c.value, env)
	if err != nil {
		return fmt.Errorf("value: %w", err)
	}
	f, ok := v.(float64)
	if !ok {
		return fmt.Errorf("value: %v is not a number", v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("value: %v is not a finite number", f)
	}
	o.Value = f
	if c.metric != nil {
		m, err := run(c.metric, env)
		if err != nil {
			return fmt.Errorf("metric: %w", err)
		}
		if o.Metric, _ = m.(string); o.Metric == "" {
			return fmt.Errorf("metric: the expression gave no metric")
		}
	}
	if c.unit != nil {
		u, err := run(c.unit, env)
		if err != nil {
			return fmt.Errorf("unit: %w", err)
		}
		o.Unit, _ = u.(string)
	}
	if c.timestamp != nil {
		t, err := run(c.timestamp, env)
		if err != nil {
			return fmt.Errorf("timestamp: %w", err)
		}
		ts, err := asTime(t)
		if err != nil {
			return fmt.Errorf("timestamp: %w", err)
		}
		o.Timestamp = &ts
	}
	o.Matched = true
	return nil
}

func run(p *vm.Program, env Env) (any, error) {
	machine := vm.VM{MemoryBudget: MemoryBudget}
	return machine.Run(p, env)
}

func asTime(v any) (time.Time, error) {
	if t, ok := v.(time.Time); ok {
		return t.UTC(), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return time.Time{}, err
	}
	return intake.ParseTime(raw)
}
