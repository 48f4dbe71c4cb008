package intake_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// TestComposeTopology loads docker-compose.yml as Docker Compose would and
// checks the production topology: there is no Docker engine here to run it.
func TestComposeTopology(t *testing.T) {
	load := func(env ...string) (*types.Project, error) {
		opts, err := cli.NewProjectOptions([]string{"docker-compose.yml"}, cli.WithName("intake"), cli.WithEnv(env))
		if err != nil {
			return nil, err
		}
		return opts.LoadProject(context.Background())
	}
	if _, err := load(); err == nil || !strings.Contains(err.Error(), "INTAKE_ADMIN_TOKEN") {
		t.Fatalf("loading without INTAKE_ADMIN_TOKEN: err = %v, want it named", err)
	}
	p, err := load("INTAKE_ADMIN_TOKEN=s3cret")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"postgres", "temporal", "temporal-ui", "redis", "intake-serve", "intake-worker"} {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("service %s missing", name)
		}
	}
	published := func(svc string) []string {
		var out []string
		for _, port := range p.Services[svc].Ports {
			out = append(out, strings.TrimPrefix(fmt.Sprintf("%s:%s:%d", port.HostIP, port.Published, port.Target), ":"))
		}
		return out
	}
	// Temporal has no authentication of its own: its frontend and UI are
	// reachable from the host only, never from the network.
	tests := []struct {
		service string
		port    string
	}{
		{"intake-serve", "8080:8080"},
		{"temporal-ui", "127.0.0.1:8233:8080"},
		{"temporal", "127.0.0.1:7233:7233"},
	}
	for _, tt := range tests {
		if got := published(tt.service); len(got) != 1 || got[0] != tt.port {
			t.Errorf("%s publishes %v, want %s", tt.service, got, tt.port)
		}
	}
	if got := published("intake-worker"); len(got) != 0 {
		t.Errorf("the worker publishes %v; it serves no traffic", got)
	}
	for _, svc := range []string{"intake-serve", "intake-worker"} {
		s := p.Services[svc]
		env := s.Environment
		if db := env["DATABASE_URL"]; db == nil || !strings.HasPrefix(*db, "postgres://") || !strings.Contains(*db, "@postgres:5432/") {
			t.Errorf("%s DATABASE_URL = %v", svc, db)
		}
		if ta := env["TEMPORAL_ADDRESS"]; ta == nil || *ta != "temporal:7233" {
			t.Errorf("%s TEMPORAL_ADDRESS = %v", svc, ta)
		}
		if s.Build == nil || len(s.Command) != 1 || s.Command[0] != strings.TrimPrefix(svc, "intake-") {
			t.Errorf("%s: build %v, command %v", svc, s.Build, s.Command)
		}
		if dep, ok := s.DependsOn["postgres"]; !ok || dep.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s does not wait for a healthy postgres", svc)
		}
	}
	if tok := p.Services["intake-serve"].Environment["INTAKE_ADMIN_TOKEN"]; tok == nil || *tok != "s3cret" {
		t.Errorf("INTAKE_ADMIN_TOKEN not passed to intake-serve")
	}
	keys := func(svc string) string {
		if v := p.Services[svc].Environment["INTAKE_ENCRYPTION_KEYS"]; v != nil {
			return *v
		}
		return "missing"
	}
	if keys("intake-serve") != keys("intake-worker") || keys("intake-serve") == "missing" {
		t.Errorf("serve and worker get different encryption keys: %q, %q", keys("intake-serve"), keys("intake-worker"))
	}
	if r := p.Services["intake-serve"].Environment["INTAKE_REDIS_URL"]; r == nil || !strings.HasPrefix(*r, "redis://redis:6379") {
		t.Errorf("intake-serve does not share rate limits through Redis: %v", r)
	}
	if ui := p.Services["temporal-ui"].Environment["TEMPORAL_ADDRESS"]; ui == nil || *ui != "temporal:7233" {
		t.Errorf("the UI does not point at the Temporal server")
	}
	if db := p.Services["temporal"].Environment["DB"]; db == nil || !strings.HasPrefix(*db, "postgres") {
		t.Errorf("Temporal does not run on PostgreSQL")
	}
}
