//go:build !nodev

package main_test

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// span is one exported span, as a collector received it.
type span struct {
	service, name, traceID, parentID, spanID string
}

// collector is an OTLP/HTTP trace receiver, the far end of
// OTEL_EXPORTER_OTLP_ENDPOINT.
type collector struct {
	*httptest.Server
	mu    sync.Mutex
	spans []span
}

func newCollector(t *testing.T) *collector {
	c := &collector{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltrace.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
			http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, rs := range req.ResourceSpans {
			service := ""
			for _, a := range rs.Resource.GetAttributes() {
				if a.Key == "service.name" {
					service = a.Value.GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					c.spans = append(c.spans, span{service: service, name: s.Name, traceID: hex.EncodeToString(s.TraceId),
						spanID: hex.EncodeToString(s.SpanId), parentID: hex.EncodeToString(s.ParentSpanId)})
				}
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	t.Cleanup(c.Close)
	return c
}

// env points a process's exporter at the collector, flushing often.
func (c *collector) env() []string {
	return []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + c.URL, "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", "OTEL_BSP_SCHEDULE_DELAY=100"}
}

// trace waits until the trace has a span of each name and returns its spans.
func (c *collector) trace(t *testing.T, traceID string, names ...string) []span {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c.mu.Lock()
		var got []span
		for _, s := range c.spans {
			if s.traceID == traceID {
				got = append(got, s)
			}
		}
		c.mu.Unlock()
		missing := ""
		for _, n := range names {
			found := false
			for _, s := range got {
				found = found || s.name == n
			}
			if !found {
				missing = n
				break
			}
		}
		if missing == "" {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s has no span %q after 30s; it has %v", traceID, missing, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// spanNamed is the trace's span of that name.
func spanNamed(spans []span, name string) span {
	for _, s := range spans {
		if s.name == name {
			return s
		}
	}
	return span{}
}

// traceparent is a caller's W3C trace context for traceID.
func traceparent(traceID string) string {
	return "00-" + traceID + "-" + strings.Repeat("ab", 8) + "-01"
}
