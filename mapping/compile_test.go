package mapping_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/mapping"
)

func rule(name, when, metric, value string) intake.Rule {
	return intake.Rule{ID: "r_" + name, Name: name, When: when, Metric: metric, Value: value, Enabled: true}
}

func env(t testing.TB, payload string) mapping.Env {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		t.Fatal(err)
	}
	return mapping.Env{Payload: p, Event: mapping.Event{Type: "invoice.paid", Source: "stripe", Data: p}}
}

func TestCompileErrorsArePositioned(t *testing.T) {
	tests := []struct {
		name      string
		give      intake.Rule
		wantField string
		wantLine  int
		wantCol   int
		wantMsg   string
	}{
		{"unknown root", rule("r", "", "revenue", "paylod.amount"), "value", 1, 1, "unknown name paylod"},
		{"syntax", rule("r", "payload.a ==", "revenue", "1"), "when", 1, 12, "unexpected token"},
		{"when not bool", rule("r", `"yes"`, "revenue", "1"), "when", 1, 1, "expected bool"},
		{"value not number", rule("r", "", "revenue", `"12"`), "value", 1, 1, "expected float64"},
		{"now is gone", rule("r", "", "revenue", "now().Unix()"), "value", 1, 1, "unknown name now"},
		{"second line", rule("r", "true &&\n  event.typ == 'x'", "revenue", "1"), "when", 2, 9, "type"},
		{"bad op", intake.Rule{Name: "r", Metric: "m", Value: "1", Op: "mul", Enabled: true}, "op", 0, 0, "op must be"},
		{"metric expression", rule("r", "", `1 + 2`, "1"), "metric", 1, 1, "expected string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mapping.Compile([]intake.Rule{tt.give}, 1)
			var errs mapping.CompileErrors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("err = %v, want one CompileError", err)
			}
			e := errs[0]
			if e.Field != tt.wantField || e.Line != tt.wantLine || (tt.wantCol != 0 && e.Column != tt.wantCol) || !strings.Contains(e.Message, tt.wantMsg) {
				t.Fatalf("got %+v, want field %s at %d:%d with %q", e, tt.wantField, tt.wantLine, tt.wantCol, tt.wantMsg)
			}
			if tt.wantLine > 0 && e.Snippet == "" {
				t.Fatalf("no snippet in %+v", e)
			}
		})
	}
}

func TestCompileReportsEveryRule(t *testing.T) {
	_, err := mapping.Compile([]intake.Rule{rule("a", "", "m", "x"), rule("b", "", "m", "1"), rule("c", "y", "m", "1")}, 1)
	var errs mapping.CompileErrors
	if !errors.As(err, &errs) || len(errs) != 2 || errs[0].Rule != "a" || errs[1].Rule != "c" {
		t.Fatalf("errs = %v", err)
	}
}

func TestHelpers(t *testing.T) {
	e := env(t, `{"amount_paid": 12345, "currency": "usd", "jpy": 500, "kwd": 1234, "name": "  Acme Ltd ",
		"lines": [{"amount": 100, "quantity": 2}, {"amount": 50, "quantity": 3}], "s": "42.5", "when": "2026-01-01"}`)
	tests := []struct {
		expr string
		want float64
	}{
		{"cents(payload.amount_paid)", 123.45},
		{"cents(payload.amount_paid, payload.currency)", 123.45},
		{`cents(payload.jpy, "JPY")`, 500},
		{`cents(payload.kwd, "KWD")`, 1.234},
		{`cents(payload.jpy, "vnd")`, 500}, // the table FormatValue shows it with
		{"sum(payload.lines, #.amount * #.quantity)", 350},
		{`len(lower(trim(payload.name)))`, 8},
		{`upper(payload.currency) == "USD" ? 1 : 0`, 1},
		{"num(payload.s)", 42.5},
		{`float(payload.s)`, 42.5},
		{`date(payload.when).Year()`, 2026},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			p, err := mapping.Compile([]intake.Rule{rule("r", "", "m", tt.expr)}, 1)
			if err != nil {
				t.Fatal(err)
			}
			out := p.Eval(e)
			if len(out) != 1 || out[0].Error != "" || !out[0].Matched || out[0].Value != tt.want {
				t.Fatalf("got %+v, want %v", out, tt.want)
			}
		})
	}
	if mapping.Cents(5, "vnd") != 5 || mapping.Cents(5, "eur") != 0.05 {
		t.Fatal("Cents is not currency-aware")
	}
}

func TestLimits(t *testing.T) {
	huge := strings.Repeat("1 + ", 10000) + "1"
	if _, err := mapping.Compile([]intake.Rule{rule("big", "", "m", huge)}, 1); err == nil {
		t.Fatal("a rule with 10 000 nodes compiled")
	}
	p, err := mapping.Compile([]intake.Rule{rule("oob", "", "m", "payload.lines[5].amount"), rule("ok", "", "m", "1")}, 1)
	if err != nil {
		t.Fatal(err)
	}
	out := p.Eval(env(t, `{"lines": [{"amount": 1}]}`))
	if out[0].Matched || !strings.Contains(out[0].Error, "out of range") || !out[1].Matched {
		t.Fatalf("out = %+v", out)
	}
	mem, err := mapping.Compile([]intake.Rule{rule("mem", "", "m", "len(map(1..1000000, {# * 2}))")}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if out := mem.Eval(env(t, `{}`)); out[0].Matched || !strings.Contains(out[0].Error, "memory budget") {
		t.Fatalf("memory-hungry rule: %+v", out)
	}
}

func TestEvalWhenMetricTimestampAndDeterminism(t *testing.T) {
	rules := []intake.Rule{
		rule("paid", `event.type == "invoice.paid"`, "Invoice Paid", "cents(payload.amount_paid, payload.currency)"),
		rule("failed", `event.type == "invoice.payment_failed"`, "Payment Failed", "1"),
		{ID: "r3", Name: "by kind", Metric: `"rev_" + lower(payload.currency)`, Value: "1", Timestamp: "payload.created", Enabled: true},
		{ID: "r4", Name: "off", Metric: "x", Value: "1"},
	}
	p, err := mapping.Compile(rules, 3)
	if err != nil {
		t.Fatal(err)
	}
	e := env(t, `{"amount_paid": 2000, "currency": "EUR", "created": 1767261600}`)
	first := p.Eval(e)
	if len(first) != 3 || !first[0].Matched || first[0].Value != 20 || first[0].Metric != "Invoice Paid" || first[1].Matched {
		t.Fatalf("out = %+v", first)
	}
	if first[2].Metric != "rev_eur" || first[2].Timestamp == nil || !first[2].Timestamp.Equal(time.Unix(1767261600, 0)) {
		t.Fatalf("expression metric and timestamp: %+v", first[2])
	}
	for i := 0; i < 20; i++ {
		again, _ := json.Marshal(p.Eval(e))
		want, _ := json.Marshal(first)
		if string(again) != string(want) {
			t.Fatalf("evaluation %d differs:\n%s\n%s", i, again, want)
		}
	}
}

func TestFieldMappingIsARule(t *testing.T) {
	r := intake.Rule{ID: "r1", Name: "totals.net", Metric: "net", SourceField: "totals.net", Value: mapping.FieldPath("totals.net"), Enabled: true}
	p, err := mapping.Compile([]intake.Rule{r}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if out := p.Eval(env(t, `{"totals": {"net": "12.5"}}`)); !out[0].Matched || out[0].Value != 12.5 {
		t.Fatalf("out = %+v", out)
	}
	if out := p.Eval(env(t, `{"other": 1}`)); out[0].Matched || out[0].Error != "" {
		t.Fatalf("absent field: %+v", out)
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{"payload.a + 1", "cents(payload.x, 'USD')", "sum(payload.l, #.a)", "event.type == 'x'", "1 +", "[1,2][5]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := mapping.Compile([]intake.Rule{rule("r", "", "m", src)}, 1)
		if err != nil {
			return
		}
		for _, o := range p.Eval(env(t, `{"a": 1, "x": 2, "l": [{"a": 1}]}`)) {
			if o.Matched && o.Error != "" {
				t.Fatalf("matched with an error: %+v", o)
			}
		}
	})
}

func TestRulesReportWhatTheyRead(t *testing.T) {
	rules := []intake.Rule{
		rule("sum", "", "m", "sum(payload.lines, #.amount)"),
		rule("net", `payload["totals"].net > 0`, "m", "num(event.data.totals.net)"),
		{ID: "f", Name: "f", Metric: "m", SourceField: "a.b", Value: mapping.FieldPath("a.b"), Enabled: true},
	}
	p, err := mapping.Compile(rules, 1)
	if err != nil {
		t.Fatal(err)
	}
	out := p.Eval(env(t, `{"lines": [{"amount": 1}], "totals": {"net": 2, "gross": 3}, "a": {"b": 1, "c": 2}}`))
	var reads []string
	for _, o := range out {
		reads = append(reads, o.Reads...)
	}
	for leaf, want := range map[string]bool{"lines.0.amount": true, "totals.net": true, "totals.gross": false, "a.b": true, "a.c": false} {
		if mapping.Covers(reads, leaf) != want {
			t.Errorf("Covers(%v, %q) != %v", reads, leaf, want)
		}
	}
}

// TestRulesHaveALoopBudget: no rule takes more than MaxSteps loop steps on
// a payload. A rule whose loops do not depend on the payload and run over
// budget is refused when saved, at its loop; one whose loops run over the
// payload's values fails on a payload that makes it run over, into its
// outcome; closures keep their types.
func TestRulesHaveALoopBudget(t *testing.T) {
	_, err := mapping.Compile([]intake.Rule{rule("bomb", "", "revenue", `let r = 1..400; all(r, {all(r, {all(r, {true})})}) ? 1 : 0`)}, 1)
	var ce mapping.CompileErrors
	if !errors.As(err, &ce) || len(ce) != 1 || !strings.Contains(ce[0].Message, "loop steps") || ce[0].Field != "value" || ce[0].Line != 1 || ce[0].Column < 2 {
		t.Fatalf("a payload-independent bomb: %v", err)
	}
	// The meter's own function is no rule's: calling it is refused.
	if _, err := mapping.Compile([]intake.Rule{rule("sneaky", "", "revenue", `all(1..1000, {__intake_step(payload.x); all(1..1000, {__intake_step(payload.x); true})}) ? 1 : 0`)}, 1); err == nil {
		t.Fatal("a rule calling the meter's function compiled")
	}
	prog, err := mapping.Compile([]intake.Rule{rule("pairs", "", "revenue", `count(payload.xs, {all(payload.xs, {# > 0})}) * 1.0`)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	xs := func(n int) string {
		return `{"xs": [` + strings.TrimSuffix(strings.Repeat("1,", n), ",") + `]}`
	}
	if out := prog.Eval(env(t, xs(100))); out[0].Error != "" || out[0].Value != 100 {
		t.Fatalf("within budget: %+v", out[0])
	}
	if out := prog.Eval(env(t, xs(2000))); !strings.Contains(out[0].Error, "loop steps") || out[0].Matched {
		t.Fatalf("4,000,000 steps: %+v", out[0])
	}
	// Each rule has its budget; and it is counted again for each payload.
	if out := prog.Eval(env(t, xs(900))); out[0].Error != "" || out[0].Value != 900 {
		t.Fatalf("810,000 steps after a payload over budget: %+v", out[0])
	}
	// Typed as before: a non-bool filter is still a compile error.
	if _, err := mapping.Compile([]intake.Rule{rule("r", "", "revenue", `len(filter(payload.xs, {1 + 1})) * 1.0`)}, 1); err == nil {
		t.Fatal("a filter whose closure is a number compiled")
	}
	sum, err := mapping.Compile([]intake.Rule{rule("r", "", "revenue", `sum(map(payload.lines, {num(.amount) * 2}))`)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if out := sum.Eval(env(t, `{"lines": [{"amount": 1}, {"amount": "2.5"}]}`)); out[0].Error != "" || out[0].Value != 7 {
		t.Fatalf("sum of a map: %+v", out[0])
	}
}

// BenchmarkRuleAtItsBudget is the CPU a rule can take at most on one
// payload: MaxSteps loop steps, then its error.
func BenchmarkRuleAtItsBudget(b *testing.B) {
	prog, err := mapping.Compile([]intake.Rule{rule("pairs", "", "revenue", `count(payload.xs, {all(payload.xs, {# > 0})}) * 1.0`)}, 1)
	if err != nil {
		b.Fatal(err)
	}
	e := env(b, `{"xs": [`+strings.TrimSuffix(strings.Repeat("1,", 5000), ",")+`]}`)
	for b.Loop() {
		if out := prog.Eval(e); out[0].Error == "" {
			b.Fatal("the rule finished within its budget")
		}
	}
}
