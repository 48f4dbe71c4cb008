package intake_test

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// The compose file is checked by loading it as Docker Compose would: there
// is no Docker engine here to run it.

// oneShots are the services that run to completion on every `up`: Temporal's
// schema, its default namespace and intake's migrations. Everything else
// runs until stopped.
var oneShots = []string{"temporal-schema", "temporal-namespace", "intake-migrate"}

func loadCompose(env ...string) (*types.Project, error) {
	opts, err := cli.NewProjectOptions([]string{"docker-compose.yml"}, cli.WithName("intake"), cli.WithEnv(env))
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

func mustLoadCompose(t *testing.T, env ...string) *types.Project {
	t.Helper()
	p, err := loadCompose(append([]string{"INTAKE_ADMIN_TOKEN=s3cret"}, env...)...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func published(p *types.Project, svc string) []string {
	var out []string
	for _, port := range p.Services[svc].Ports {
		s := strings.TrimPrefix(fmt.Sprintf("%s:%s:%d", port.HostIP, port.Published, port.Target), ":")
		if port.Protocol != "" && port.Protocol != "tcp" {
			s += "/" + port.Protocol
		}
		out = append(out, s)
	}
	return out
}

func env(p *types.Project, svc, name string) string {
	if v := p.Services[svc].Environment[name]; v != nil {
		return *v
	}
	return "<unset>"
}

func TestComposeTopology(t *testing.T) {
	if _, err := loadCompose(); err == nil || !strings.Contains(err.Error(), "INTAKE_ADMIN_TOKEN") {
		t.Fatalf("loading without INTAKE_ADMIN_TOKEN: err = %v, want it named", err)
	}
	p := mustLoadCompose(t)
	for _, name := range []string{"postgres", "redis", "temporal-schema", "temporal", "temporal-namespace", "temporal-ui",
		"intake-migrate", "intake-serve", "intake-worker", "proxy"} {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("service %s missing", name)
		}
	}
	// Only the proxy is on the network. Temporal has no authentication of
	// its own: its frontend and UI are reachable from the host only.
	tests := []struct {
		service string
		want    []string
	}{
		{"proxy", []string{"80:80", "443:443", "443:443/udp"}},
		{"temporal-ui", []string{"127.0.0.1:8233:8080"}},
		{"temporal", []string{"127.0.0.1:7233:7233"}},
		{"intake-serve", nil},
		{"intake-worker", nil},
		{"postgres", nil},
		{"redis", nil},
	}
	for _, tt := range tests {
		if got := published(p, tt.service); !slices.Equal(got, tt.want) {
			t.Errorf("%s publishes %v, want %v", tt.service, got, tt.want)
		}
	}
	for name, s := range p.Services {
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" && name != "proxy" {
				t.Errorf("%s publishes %d on every interface", name, port.Target)
			}
		}
	}
	if n := p.Services["intake-serve"].ContainerName; n != "" {
		t.Errorf("intake-serve has container_name %q: it could not scale", n)
	}
	for _, svc := range []string{"intake-serve", "intake-worker", "intake-migrate"} {
		s := p.Services[svc]
		if db := env(p, svc, "DATABASE_URL"); !strings.HasPrefix(db, "postgres://") || !strings.Contains(db, "@postgres:5432/") {
			t.Errorf("%s DATABASE_URL = %s", svc, db)
		}
		if dep, ok := s.DependsOn["postgres"]; !ok || dep.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s does not wait for a healthy postgres", svc)
		}
		if s.Build == nil {
			t.Errorf("%s is not built from this repository", svc)
		}
	}
	if cmd := p.Services["intake-migrate"].Command; !slices.Equal(cmd, types.ShellCommand{"migrate", "up"}) {
		t.Errorf("intake-migrate runs %v, want [migrate up]", cmd)
	}
	for _, svc := range []string{"intake-serve", "intake-worker"} {
		s := p.Services[svc]
		if ta := env(p, svc, "TEMPORAL_ADDRESS"); ta != "temporal:7233" {
			t.Errorf("%s TEMPORAL_ADDRESS = %s", svc, ta)
		}
		if !slices.Equal(s.Command, types.ShellCommand{strings.TrimPrefix(svc, "intake-")}) {
			t.Errorf("%s: command %v", svc, s.Command)
		}
		// serve and worker refuse a schema that is not current.
		for _, dep := range []string{"intake-migrate", "temporal-namespace"} {
			if d, ok := s.DependsOn[dep]; !ok || d.Condition != types.ServiceConditionCompletedSuccessfully {
				t.Errorf("%s does not wait for %s to complete successfully", svc, dep)
			}
		}
	}
	if tok := env(p, "intake-serve", "INTAKE_ADMIN_TOKEN"); tok != "s3cret" {
		t.Errorf("INTAKE_ADMIN_TOKEN not passed to intake-serve")
	}
	if a, b := env(p, "intake-serve", "INTAKE_ENCRYPTION_KEYS"), env(p, "intake-worker", "INTAKE_ENCRYPTION_KEYS"); a != b || a == "<unset>" {
		t.Errorf("serve and worker get different encryption keys: %q, %q", a, b)
	}
	if r := env(p, "intake-serve", "INTAKE_REDIS_URL"); !strings.HasPrefix(r, "redis://redis:6379") {
		t.Errorf("intake-serve does not share rate limits through Redis: %s", r)
	}
	if ui := env(p, "temporal-ui", "TEMPORAL_ADDRESS"); ui != "temporal:7233" {
		t.Errorf("the UI does not point at the Temporal server")
	}
	if db := env(p, "temporal", "DB"); !strings.HasPrefix(db, "postgres") {
		t.Errorf("Temporal does not run on PostgreSQL: DB = %s", db)
	}
}

// TestComposeLifecycle: every long-running service restarts unless stopped
// and has a healthcheck; the one-shot jobs are exactly the set-up steps, and
// something waits for each to complete.
func TestComposeLifecycle(t *testing.T) {
	p := mustLoadCompose(t)
	waitedFor := map[string]bool{}
	for _, s := range p.Services {
		for name, dep := range s.DependsOn {
			if dep.Condition == types.ServiceConditionCompletedSuccessfully {
				waitedFor[name] = true
			}
		}
	}
	for name, s := range p.Services {
		oneShot := s.Restart == types.RestartPolicyNo || s.Restart == "" ||
			s.Restart == types.RestartPolicyOnFailure || strings.HasPrefix(s.Restart, types.RestartPolicyOnFailure+":")
		if want := slices.Contains(oneShots, name); oneShot != want {
			t.Errorf("%s: restart %q; one-shot = %v, want %v", name, s.Restart, oneShot, want)
			continue
		}
		if oneShot {
			if !waitedFor[name] {
				t.Errorf("one-shot %s: nothing waits for it to complete", name)
			}
			continue
		}
		if s.Restart != types.RestartPolicyUnlessStopped {
			t.Errorf("%s: restart %q, want unless-stopped", name, s.Restart)
		}
		if hc := s.HealthCheck; hc == nil || hc.Disable || len(hc.Test) < 2 {
			t.Errorf("%s has no healthcheck", name)
		}
	}
	// The intake image is distroless: no shell, so the probe is intake's own.
	for svc, port := range map[string]string{"intake-serve": "8080", "intake-worker": "8090"} {
		want := types.HealthCheckTest{"CMD", "/intake", "probe", "http://127.0.0.1:" + port + "/readyz"}
		if hc := p.Services[svc].HealthCheck; hc == nil || !slices.Equal(hc.Test, want) {
			t.Errorf("%s healthcheck = %v, want %v", svc, hc, want)
		}
	}
	if a := env(p, "intake-worker", "INTAKE_WORKER_ADDR"); a != ":8090" {
		t.Errorf("intake-worker INTAKE_WORKER_ADDR = %s, want :8090 (its healthcheck's port)", a)
	}
}

// temporalServerVersion is go.temporal.io/server's version in go.mod: the
// server `intake dev` embeds.
func temporalServerVersion(t *testing.T) string {
	t.Helper()
	f, err := os.Open("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "require "))
		if len(fields) >= 2 && fields[0] == "go.temporal.io/server" {
			return strings.TrimPrefix(fields[1], "v")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Fatal("go.mod requires no go.temporal.io/server")
	return ""
}

// TestComposeTemporal: the server is the version intake dev embeds, set up
// by Temporal's own schema tool of the same version, not by auto-setup.
func TestComposeTemporal(t *testing.T) {
	p := mustLoadCompose(t)
	version := temporalServerVersion(t)
	images := map[string]string{
		"temporal":           "temporalio/server:" + version,
		"temporal-schema":    "temporalio/admin-tools:" + version,
		"temporal-namespace": "temporalio/admin-tools:" + version,
	}
	for svc, want := range images {
		if got := p.Services[svc].Image; got != want {
			t.Errorf("%s image = %s, want %s (go.mod's go.temporal.io/server)", svc, got, want)
		}
	}
	for name, s := range p.Services {
		if strings.Contains(s.Image, "auto-setup") {
			t.Errorf("%s uses %s: the schema is temporal-schema's to set up", name, s.Image)
		}
	}
	script := func(svc string) string {
		s := p.Services[svc]
		return strings.Join(append(slices.Clone(s.Entrypoint), s.Command...), " ")
	}
	for _, want := range []string{"temporal-sql-tool", "create", "setup-schema -v 0.0", "update-schema",
		"temporal_visibility", "/etc/temporal/schema/postgresql/v12/"} {
		if !strings.Contains(script("temporal-schema"), want) {
			t.Errorf("temporal-schema does not run %q: %s", want, script("temporal-schema"))
		}
	}
	if ns := script("temporal-namespace"); !strings.Contains(ns, "namespace create -n default") || !strings.Contains(ns, "namespace describe -n default") {
		t.Errorf("temporal-namespace does not create the default namespace when it is missing: %s", ns)
	}
	if d, ok := p.Services["temporal"].DependsOn["temporal-schema"]; !ok || d.Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("the Temporal server does not wait for its schema")
	}
	// The server image has no dynamic config file of its own.
	dc := env(p, "temporal", "DYNAMIC_CONFIG_FILE_PATH")
	mounted := false
	for _, v := range p.Services["temporal"].Volumes {
		if v.Target == dc {
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("the dynamic config mounted at %s: %v", dc, err)
			}
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("DYNAMIC_CONFIG_FILE_PATH %s is not mounted", dc)
	}
}

// TestComposeProxy: Caddy in front of intake-serve, which it finds by DNS,
// with TLS when INTAKE_DOMAIN is set, and the only address intake trusts for
// X-Forwarded-For.
func TestComposeProxy(t *testing.T) {
	p := mustLoadCompose(t)
	proxy := p.Services["proxy"]
	if !strings.HasPrefix(proxy.Image, "caddy:2") {
		t.Errorf("proxy image = %s, want caddy:2", proxy.Image)
	}
	var caddyfile string
	for _, v := range proxy.Volumes {
		if v.Target == "/etc/caddy/Caddyfile" {
			caddyfile = v.Source
		}
	}
	b, err := os.ReadFile(caddyfile)
	if err != nil {
		t.Fatalf("the proxy's Caddyfile (%q): %v", caddyfile, err)
	}
	for _, want := range []string{"{$INTAKE_SITE_ADDRESS::80}", "reverse_proxy", "dynamic a", "name intake-serve", "port 8080", "lb_policy"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("Caddyfile lacks %q", want)
		}
	}

	// INTAKE_TRUSTED_PROXIES is the proxy's fixed address, which Docker
	// hands no other container.
	addr := proxy.Networks["default"]
	if addr == nil || addr.Ipv4Address == "" {
		t.Fatal("the proxy has no fixed address on the default network")
	}
	ip, err := netip.ParseAddr(addr.Ipv4Address)
	if err != nil {
		t.Fatal(err)
	}
	if got := env(p, "intake-serve", "INTAKE_TRUSTED_PROXIES"); got != ip.String() {
		t.Errorf("INTAKE_TRUSTED_PROXIES = %s, want the proxy's %s", got, ip)
	}
	pools := p.Networks["default"].Ipam.Config
	if len(pools) != 1 {
		t.Fatalf("default network pools: %v", pools)
	}
	subnet, err1 := netip.ParsePrefix(pools[0].Subnet)
	dynamic, err2 := netip.ParsePrefix(pools[0].IPRange)
	if err1 != nil || err2 != nil {
		t.Fatalf("subnet %q, ip_range %q", pools[0].Subnet, pools[0].IPRange)
	}
	if !subnet.Contains(ip) || dynamic.Contains(ip) {
		t.Errorf("the proxy's %s must be in %s and outside the range Docker assigns (%s)", ip, subnet, dynamic)
	}

	tests := []struct {
		name      string
		give      []string
		site      string
		publicURL string
	}{
		{"no domain: plain http", nil, ":80", "http://localhost"},
		{"a domain: https", []string{"INTAKE_DOMAIN=intake.example.com"}, "intake.example.com", "https://intake.example.com"},
		{"public URL set", []string{"INTAKE_DOMAIN=intake.example.com", "INTAKE_PUBLIC_URL=https://hooks.example.com"}, "intake.example.com", "https://hooks.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoadCompose(t, tt.give...)
			if got := env(p, "proxy", "INTAKE_SITE_ADDRESS"); got != tt.site {
				t.Errorf("site address = %q, want %q", got, tt.site)
			}
			if got := env(p, "intake-serve", "INTAKE_PUBLIC_URL"); got != tt.publicURL {
				t.Errorf("INTAKE_PUBLIC_URL = %q, want %q", got, tt.publicURL)
			}
			if got := env(p, "temporal-ui", "TEMPORAL_CODEC_ENDPOINT"); !strings.HasPrefix(got, tt.publicURL+"/api/codec/ui/") {
				t.Errorf("the UI's codec endpoint %q is not under %s", got, tt.publicURL)
			}
		})
	}
}
