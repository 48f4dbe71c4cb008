package mapping

import (
	"errors"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// MaxSteps bounds the loop steps (one run of a closure's body, as in
// all(xs, {…})) one rule may take on one payload: about 100 ms of CPU at
// the VM's pace, whatever the rule nests and whatever the payload holds.
// The VM counts memory, not work, so each closure body is made to count
// itself (meter).
const MaxSteps = 1_000_000

// ErrOverBudget is the error of a rule that took more than MaxSteps.
var ErrOverBudget = errors.New("the rule takes more than 1,000,000 loop steps on this payload; loop over fewer values or nest fewer loops")

// budget counts one rule evaluation's steps; each evaluation has its own.
type budget struct{ steps int }

// stepFunc is the function each closure body calls first, given the
// environment; its budget travels in it.
const stepFunc = "__intake_step"

var stepHelper = expr.Function(stepFunc, func(args ...any) (any, error) {
	env, ok := args[0].(Env)
	if !ok {
		return nil, errors.New("no such function")
	}
	if env.budget != nil {
		env.budget.steps++
		if env.budget.steps > MaxSteps {
			return nil, ErrOverBudget
		}
	}
	return true, nil
}, new(func(Env) bool))

// meter makes every closure body count a step before it runs: {body}
// becomes {__intake_step($env); body}, whose type is body's, so type
// checking and its errors are unchanged.
type meter struct{}

func (meter) Visit(node *ast.Node) {
	p, ok := (*node).(*ast.PredicateNode)
	if !ok || metered(p) {
		return
	}
	// The step is located at the closure's body: a rule over budget is
	// reported at the loop that ran out.
	callee, env := &ast.IdentifierNode{Value: stepFunc}, &ast.IdentifierNode{Value: "$env"}
	step := &ast.CallNode{Callee: callee, Arguments: []ast.Node{env}}
	for _, n := range []ast.Node{callee, env, step} {
		n.SetLocation(p.Node.Location())
	}
	ast.Patch(&p.Node, &ast.SequenceNode{Nodes: []ast.Node{step, p.Node}})
}

func metered(p *ast.PredicateNode) bool {
	seq, ok := p.Node.(*ast.SequenceNode)
	if !ok || len(seq.Nodes) != 2 {
		return false
	}
	call, ok := seq.Nodes[0].(*ast.CallNode)
	if !ok {
		return false
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok || id.Value != stepFunc || len(call.Arguments) != 1 {
		return false
	}
	arg, ok := call.Arguments[0].(*ast.IdentifierNode)
	return ok && arg.Value == "$env"
}
