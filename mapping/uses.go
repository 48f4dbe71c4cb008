package mapping

import (
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// payloadPaths lists the payload fields that programs read, as dotted paths
// ("totals.net", or "lines" for a whole array summed over), so that what no
// matching rule reads can be reported as unmapped.
func payloadPaths(programs ...*vm.Program) []string {
	var paths []string
	seen := map[string]bool{}
	for _, p := range programs {
		if p == nil {
			continue
		}
		v := &memberVisitor{inner: map[ast.Node]bool{}}
		node := p.Node()
		ast.Walk(&node, v)
		for _, m := range v.members {
			if v.inner[m] {
				continue
			}
			if path, ok := memberPath(m); ok && !seen[path] {
				seen[path] = true
				paths = append(paths, path)
			}
		}
	}
	return paths
}

type memberVisitor struct {
	members []*ast.MemberNode
	inner   map[ast.Node]bool
}

func (v *memberVisitor) Visit(node *ast.Node) {
	if m, ok := (*node).(*ast.MemberNode); ok {
		v.members = append(v.members, m)
		v.inner[m.Node] = true
	}
}

// memberPath reads a member chain rooted at payload or event.data.
func memberPath(m *ast.MemberNode) (string, bool) {
	var parts []string
	var cur ast.Node = m
	for {
		mem, ok := cur.(*ast.MemberNode)
		if !ok {
			break
		}
		switch p := mem.Property.(type) {
		case *ast.StringNode:
			parts = append(parts, p.Value)
		case *ast.IntegerNode:
			parts = append(parts, strconv.Itoa(p.Value))
		default:
			return "", false
		}
		cur = mem.Node
	}
	id, ok := cur.(*ast.IdentifierNode)
	if !ok {
		return "", false
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	switch {
	case id.Value == "payload" && len(parts) > 0:
		return strings.Join(parts, "."), true
	case id.Value == "event" && len(parts) > 1 && parts[0] == "data":
		return strings.Join(parts[1:], "."), true
	}
	return "", false
}

// Covers reports whether a leaf field is read by a rule that read paths.
func Covers(paths []string, leaf string) bool {
	for _, p := range paths {
		if leaf == p || strings.HasPrefix(leaf, p+".") {
			return true
		}
	}
	return false
}
