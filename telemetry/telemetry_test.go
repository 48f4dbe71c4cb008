package telemetry_test

import (
	"context"
	"strings"
	"testing"

	"github.com/intakehq/intake/telemetry"
)

func TestSetupReadsTheStandardVariables(t *testing.T) {
	tests := []struct {
		env     map[string]string
		enabled bool
		err     string
	}{
		{nil, false, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, true, ""},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, true, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318", "OTEL_TRACES_EXPORTER": "none"}, false, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318", "OTEL_SDK_DISABLED": "true"}, false, ""},
		{map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, false, "otlp only"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, false, "http/protobuf or grpc"},
	}
	for _, tt := range tests {
		tr, err := telemetry.Setup(context.Background(), "intake-test", func(k string) string { return tt.env[k] })
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: error %v, want %q", tt.env, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.env, err)
			continue
		}
		if tr.Enabled() != tt.enabled {
			t.Errorf("%v: enabled %v, want %v", tt.env, tr.Enabled(), tt.enabled)
		}
		ics, err := tr.Interceptors()
		if err != nil || (len(ics) == 1) != tt.enabled {
			t.Errorf("%v: %d interceptors, %v", tt.env, len(ics), err)
		}
		_ = tr.Shutdown(context.Background())
	}
}
