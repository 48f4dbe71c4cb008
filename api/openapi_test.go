package api_test

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/intakehq/intake/api"
)

// TestOpenAPIMatchesRoutes checks the served document against Fiber's route
// table: every route documented, nothing documented that is not routed.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	r := do(t, "GET", "/api/openapi.json", "", nil)
	want(t, r, 200)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(r.raw, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("not an OpenAPI 3 document: %v", err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	param := regexp.MustCompile(`:(\w+)`)
	seen := map[string]bool{}
	var routed []string
	for _, rt := range api.New(nil, nil, api.Options{}).App().GetRoutes(true) {
		if rt.Method == "HEAD" {
			continue // Fiber adds HEAD to every GET
		}
		key := rt.Method + " " + param.ReplaceAllString(rt.Path, "{$1}")
		if !seen[key] {
			seen[key] = true
			routed = append(routed, key)
		}
	}
	sort.Strings(documented)
	sort.Strings(routed)
	if strings.Join(documented, "\n") != strings.Join(routed, "\n") {
		t.Fatalf("OpenAPI paths and routes differ\ndocumented:\n%s\n\nrouted:\n%s", strings.Join(documented, "\n"), strings.Join(routed, "\n"))
	}
}
