package mapping

import (
	"sort"
	"strconv"
	"strings"
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
