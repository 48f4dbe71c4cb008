package mapping

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/intakehq/intake"
)

// Limits on a rule's expressions: a rule that needs more is refused when
// saved, or fails at run time into the inbox.
const (
	MaxNodes     = 2000
	MemoryBudget = 1 << 20
)

// CompileError locates one error in a rule set, like a compiler would.
type CompileError struct {
	Rule    string `json:"rule"`
	Field   string `json:"field"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
	Snippet string `json:"snippet,omitempty"`
}

func (e CompileError) Error() string {
	return fmt.Sprintf("rule %q, %s, line %d, column %d: %s", e.Rule, e.Field, e.Line, e.Column, e.Message)
}

// CompileErrors are all errors of a rule set.
type CompileErrors []CompileError

func (es CompileErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Program is a compiled rule set, safe for concurrent use.
type Program struct {
	Version int
	rules   []compiled
}

type compiled struct {
	rule                   intake.Rule
	when, value, timestamp *vm.Program
	metric                 *vm.Program // nil when the metric is a literal
	unit                   *vm.Program // nil when the unit is a literal
	reads                  []string    // payload paths the rule reads
}

// literalMetric is a metric id, key or name written as is.
var literalMetric = regexp.MustCompile(`^[\p{L}\p{N}_\- .]+$`)

// IsMetricExpression reports whether a rule's metric is an expression
// (payload.kind, "rev_" + lower(…)) rather than a metric id, key or name.
func IsMetricExpression(s string) bool {
	for _, root := range envRoots {
		if strings.HasPrefix(s, root+".") || strings.HasPrefix(s, root+"[") {
			return true
		}
	}
	return !literalMetric.MatchString(s)
}

// FieldPath is the expression of a field mapping's value: the number at a
// dotted path of the payload, numeric strings included.
func FieldPath(path string) string {
	var b strings.Builder
	b.WriteString("num(payload")
	for _, part := range strings.Split(path, ".") {
		if _, err := strconv.Atoi(part); err == nil {
			b.WriteString("[" + part + "]")
		} else {
			b.WriteString("[" + strconv.Quote(part) + "]")
		}
	}
	b.WriteString(")")
	return b.String()
}

// Compile type-checks every rule of a set and returns every error found.
func Compile(rules []intake.Rule, version int) (*Program, error) {
	p := &Program{Version: version}
	var errs CompileErrors
	for _, r := range rules {
		c := compiled{rule: r}
		field := func(name, src string, out **vm.Program, as ...expr.Option) {
			if src == "" {
				return
			}
			prog, err := compileOne(src, as...)
			if err != nil {
				errs = append(errs, locate(r.Name, name, src, err))
			}
			*out = prog
		}
		if r.Op != "" && r.Op != intake.OpSet && r.Op != intake.OpAdd {
			errs = append(errs, CompileError{Rule: r.Name, Field: "op", Message: `op must be "set" or "add"`})
		}
		if strings.TrimSpace(r.Metric) == "" {
			errs = append(errs, CompileError{Rule: r.Name, Field: "metric", Message: "metric is required"})
		}
		if strings.TrimSpace(r.Value) == "" {
			errs = append(errs, CompileError{Rule: r.Name, Field: "value", Message: "value is required"})
		}
		field("when", r.When, &c.when, expr.AsBool())
		field("value", r.Value, &c.value, expr.AsFloat64())
		field("timestamp", r.Timestamp, &c.timestamp)
		if IsMetricExpression(r.Metric) {
			field("metric", r.Metric, &c.metric, expr.AsKind(reflect.String))
		}
		if r.Unit != "" && IsMetricExpression(r.Unit) {
			field("unit", r.Unit, &c.unit, expr.AsKind(reflect.String))
		}
		c.reads = payloadPaths(c.when, c.value, c.timestamp, c.metric, c.unit)
		p.rules = append(p.rules, c)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return p, nil
}

func compileOne(src string, as ...expr.Option) (*vm.Program, error) {
	if strings.Contains(src, stepFunc) {
		// The meter's own function is not for rules: a rule calling it
		// could pass for a metered closure.
		return nil, fmt.Errorf("unknown name %s", stepFunc)
	}
	opts := append([]expr.Option{expr.Env(Env{}), expr.MaxNodes(MaxNodes), expr.Patch(meter{}), stepHelper}, helpers...)
	prog, err := expr.Compile(src, append(opts, as...)...)
	if err != nil {
		return nil, err
	}
	// A rule whose loops do not depend on the payload (over ranges, say)
	// takes as many steps on every payload: over budget, it is refused now
	// rather than failing every call.
	if _, err := run(prog, Env{budget: &budget{}}); errors.Is(err, ErrOverBudget) {
		return nil, err
	}
	return prog, nil
}

// locate turns expr's error into a CompileError with its position. An
// error about the whole expression's type has none: it points at the start.
func locate(rule, field, src string, err error) CompileError {
	var fe *file.Error
	if errors.As(err, &fe) {
		return CompileError{Rule: rule, Field: field, Line: fe.Line, Column: fe.Column + 1,
			Message: fe.Message, Snippet: strings.TrimLeft(fe.Snippet, "\n")}
	}
	first, _, _ := strings.Cut(src, "\n")
	return CompileError{Rule: rule, Field: field, Line: 1, Column: 1, Message: err.Error(), Snippet: "\n | " + first + "\n | ^"}
}

// FieldMapping is the rule a {sourceField, metricId} mapping stands for:
// the number at that payload path, written to that metric.
func FieldMapping(id, field, metric string) intake.Rule {
	return intake.Rule{ID: id, Name: field, Metric: metric, SourceField: field, Value: FieldPath(field), Enabled: true}
}
