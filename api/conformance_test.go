package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// conformance checks the end-to-end tests' traffic against the OpenAPI
// document the API serves: every answer must be one the document
// declares for its route and status (body and headers), and every request
// the API accepted (2xx) must be one the document allows. A request the
// API refused may be outside the document: refusing it is the point.
type conformance struct {
	router routers.Router
	mu     sync.Mutex
	seen   map[string]bool // method + route → checked
}

// specHost is where requests are routed for checking, whichever test
// server they went to.
const specHost = "http://intake.test"

func loadConformance() (*conformance, error) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
	}
	doc.Servers = openapi3.Servers{{URL: specHost}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &conformance{router: router, seen: map[string]bool{}}, nil
}

// check fails t for every way one exchange departs from the document.
func (k *conformance) check(t *testing.T, req *http.Request, body []byte, resp *http.Response, respBody []byte) {
	t.Helper()
	for _, p := range k.problems(req, body, resp, respBody) {
		t.Errorf("OpenAPI: %s", p)
	}
}

// problems validates one exchange; body and respBody are what was sent
// and received.
func (k *conformance) problems(req *http.Request, body []byte, resp *http.Response, respBody []byte) []string {
	var out []string
	u, _ := url.Parse(specHost + req.URL.RequestURI())
	r := req.Clone(context.Background())
	r.URL, r.Host = u, u.Host
	r.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := k.router.FindRoute(r)
	if err != nil {
		// A route or method the document does not have must be one the
		// API does not have either.
		if resp.StatusCode < 400 || resp.StatusCode > 499 {
			out = append(out, fmt.Sprintf("%s %s is not in the document, yet answered %d: %v", req.Method, req.URL.Path, resp.StatusCode, err))
		}
		return out
	}
	k.mu.Lock()
	k.seen[req.Method+" "+route.Path] = true
	k.mu.Unlock()
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	// A compressed body is checked once decoded, by the tests of decoding.
	if resp.StatusCode < 300 && req.Header.Get("Content-Encoding") == "" {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			out = append(out, fmt.Sprintf("%s %s was accepted (%d) but the document does not allow it: %v", req.Method, route.Path, resp.StatusCode, err))
		}
	}
	answer := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(respBody)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), answer); err != nil {
		out = append(out, fmt.Sprintf("the answer %d to %s %s is not the document's: %v\n%.300s", resp.StatusCode, req.Method, route.Path, err, respBody))
	}
	return out
}

// checked lists the routes whose traffic was checked.
func (k *conformance) checked() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]string, 0, len(k.seen))
	for r := range k.seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// skipConformance: what is not the API (the console's pages, Prometheus
// text, routes tests add to their own app) is checked by its own tests.
func skipConformance(path string) bool {
	return !strings.HasPrefix(path, "/api/") && path != "/healthz" && path != "/readyz"
}

// TestConformanceCatchesDepartures: the checker itself finds an answer
// with the wrong body, a missing declared header, an undocumented status,
// and an accepted request the document does not allow.
func TestConformanceCatchesDepartures(t *testing.T) {
	exchange := func(method, path, body string, status int, header http.Header, answer string) []string {
		req, _ := http.NewRequest(method, "http://127.0.0.1:1"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if header == nil {
			header = http.Header{}
		}
		header.Set("Content-Type", "application/json")
		return e2e.spec.problems(req, []byte(body), &http.Response{StatusCode: status, Header: header}, []byte(answer))
	}
	withID := http.Header{"X-Request-Id": {"r1"}}
	tests := []struct {
		name, method, path, body string
		status                   int
		header                   http.Header
		answer                   string
		want                     string // in the problem; "" for none
	}{
		{"a good answer", "GET", "/api/admin/metrics", "", 200, withID, `{"data":[],"next_cursor":""}`, ""},
		{"a wrong body", "GET", "/api/admin/metrics", "", 200, withID, `{"data":5}`, "is not the document's"},
		{"no request id", "GET", "/api/admin/metrics", "", 200, nil, `{"data":[],"next_cursor":""}`, "X-Request-Id"},
		{"an undocumented status", "GET", "/api/admin/metrics", "", 418, withID, `{}`, "status is not supported"},
		{"429 without Retry-After", "GET", "/api/admin/metrics", "", 429, withID, `{"error":"rate_limited","message":"x"}`, "Retry-After"},
		{"accepted but not allowed", "POST", "/api/admin/metrics", `{"name":"x"}`, 201, withID,
			`{"id":"m_1","key":"x","name":"x","unit":"","value":0,"display":"0"}`, "does not allow it"},
		{"a 200 off the document", "GET", "/api/nowhere", "", 200, withID, `{}`, "not in the document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(exchange(tt.method, tt.path, tt.body, tt.status, tt.header, tt.answer), "\n")
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Fatalf("problems %q, want one with %q", got, tt.want)
			}
		})
	}
}
