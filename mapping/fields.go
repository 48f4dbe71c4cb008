package mapping

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/intakehq/intake"
)

// Lookup returns the value at a dotted path in a decoded JSON document:
// "totals.net", or "items.0.amount" for an array element.
func Lookup(doc any, path string) (any, bool) {
	cur := doc
	for _, part := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[part]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			cur = v[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// Number reads v as a number: a JSON number, or a string holding one, as
// report-style pushes often send.
func Number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		return f, err == nil
	}
	return 0, false
}

// Leaves lists the dotted paths of every scalar in doc, sorted, leaving out
// top-level keys in skip.
func Leaves(doc any, skip map[string]bool) []string {
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, child := range t {
				if prefix == "" && skip[k] {
					continue
				}
				walk(join(prefix, k), child)
			}
		case []any:
			for i, child := range t {
				walk(join(prefix, strconv.Itoa(i)), child)
			}
		default:
			if prefix != "" {
				out = append(out, prefix)
			}
		}
	}
	walk("", doc)
	sort.Strings(out)
	return out
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// FieldMatch is one field mapping that found a number in a payload.
type FieldMatch struct {
	Rule  intake.Rule
	Value float64
}

// MapFields applies the field mappings among rules to a decoded payload. It
// returns what matched, the leaf fields that no mapping covers (leaving out
// top-level keys in skip), and a problem for each mapped field that holds no
// number. Rules with expressions are left to the rule engine.
func MapFields(doc any, rules []intake.Rule, skip map[string]bool) (matches []FieldMatch, unmapped, problems []string) {
	covered := map[string]bool{}
	for _, r := range rules {
		if !r.Enabled || r.SourceField == "" {
			continue
		}
		v, ok := Lookup(doc, r.SourceField)
		if !ok {
			continue
		}
		n, ok := Number(v)
		if !ok {
			problems = append(problems, fmt.Sprintf("field %s is not a number", r.SourceField))
			continue
		}
		covered[r.SourceField] = true
		matches = append(matches, FieldMatch{Rule: r, Value: n})
	}
	for _, leaf := range Leaves(doc, skip) {
		if !covered[leaf] {
			unmapped = append(unmapped, leaf)
		}
	}
	return matches, unmapped, problems
}

// IsPath reports whether s is a plain dotted field path, which a field
// mapping's value must be.
func IsPath(s string) bool {
	if s == "" || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if !(r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
