package mapping

import (
	"errors"
	"fmt"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/intakehq/intake"
)

// AlertEnv is what an alert's condition sees (see intake.AlertVars).
type AlertEnv struct {
	Value    float64   `expr:"value"`
	Previous float64   `expr:"previous"`
	Delta    float64   `expr:"delta"`
	DeltaPct float64   `expr:"delta_pct"`
	At       time.Time `expr:"at"`
	Unit     string    `expr:"unit"`
}

// Condition is a compiled alert condition, safe for concurrent use.
type Condition struct {
	prog *vm.Program
}

// CompileCondition type-checks an alert condition: a boolean expression
// over value, previous, delta, delta_pct, at and unit, with the rules'
// helpers. Its errors are located like a rule's, in field "condition".
func CompileCondition(src string) (*Condition, error) {
	if src == "" {
		return nil, CompileErrors{{Field: "condition", Line: 1, Column: 1, Message: "condition is required"}}
	}
	opts := append([]expr.Option{expr.Env(AlertEnv{}), expr.MaxNodes(MaxNodes), expr.AsBool()}, helpers...)
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, CompileErrors{locate("", "condition", src, err)}
	}
	return &Condition{prog: prog}, nil
}

// Holds reports whether the condition holds for v.
func (c *Condition) Holds(v intake.AlertVars) (bool, error) {
	machine := vm.VM{MemoryBudget: MemoryBudget}
	out, err := machine.Run(c.prog, AlertEnv{Value: v.Value, Previous: v.Previous, Delta: v.Delta,
		DeltaPct: v.DeltaPct, At: v.At, Unit: v.Unit})
	if err != nil {
		return false, err
	}
	ok, isBool := out.(bool)
	if !isBool {
		return false, errors.New("the condition gave no true or false")
	}
	return ok, nil
}

// Conditions compiles alert conditions once each and evaluates them: what
// the store calls where a point is applied.
type Conditions struct {
	compiled *lru.Cache[string, *Condition]
}

// NewConditions keeps up to size compiled conditions.
func NewConditions(size int) *Conditions {
	c, _ := lru.New[string, *Condition](size)
	return &Conditions{compiled: c}
}

// Holds compiles src (once) and evaluates it for v.
func (cs *Conditions) Holds(src string, v intake.AlertVars) (bool, error) {
	c, ok := cs.compiled.Get(src)
	if !ok {
		var err error
		if c, err = CompileCondition(src); err != nil {
			return false, fmt.Errorf("the condition no longer compiles: %w", err)
		}
		cs.compiled.Add(src, c)
	}
	return c.Holds(v)
}
