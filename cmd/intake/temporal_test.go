//go:build !nodev

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/config"
	"github.com/intakehq/intake/devserver"
	"github.com/intakehq/intake/internal/testca"
	"go.temporal.io/sdk/client"
)

func loadConfig(t *testing.T, env map[string]string, args ...string) (config.Config, func(string) string) {
	t.Helper()
	getenv := func(k string) string { return env[k] }
	cfg, _, err := config.Load("worker", args, getenv, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, getenv
}

// TestTemporalConnectionOverMutualTLS connects the way serve and worker do
// to an embedded server that requires client certificates, with the
// variables and the config-file profiles of the temporal CLI.
func TestTemporalConnectionOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, err := testca.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := devserver.Start(devserver.Options{LogLevel: "error", TLS: ca.DevServer()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	tlsEnv := map[string]string{
		"TEMPORAL_ADDRESS":                 srv.FrontendAddress(),
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH": ca.CA,
		"TEMPORAL_TLS_CLIENT_CERT_PATH":    ca.ClientCert,
		"TEMPORAL_TLS_CLIENT_KEY_PATH":     ca.ClientKey,
	}
	dial := func(t *testing.T, env map[string]string, args ...string) (client.Client, config.Config, error) {
		t.Helper()
		cfg, getenv := loadConfig(t, env, args...)
		opts, err := temporalConnection(&cfg, getenv)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := client.DialContext(ctx, opts)
		return c, cfg, err
	}

	t.Run("variables", func(t *testing.T) {
		c, cfg, err := dial(t, tlsEnv)
		if err != nil {
			t.Fatalf("dial over mutual TLS: %v", err)
		}
		defer c.Close()
		if cfg.TemporalNamespace != "default" || cfg.TemporalAddress != srv.FrontendAddress() {
			t.Errorf("address %q namespace %q written back", cfg.TemporalAddress, cfg.TemporalNamespace)
		}
		// The server's own system worker reaches the frontend over TLS
		// too: a Schedule (intake's alert sweep is one) takes actions.
		ctx := context.Background()
		h, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{ID: "tls-probe",
			Spec:   client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Second}}},
			Action: &client.ScheduleWorkflowAction{ID: "tls-probe-run", Workflow: "Nothing", TaskQueue: "nobody"}})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			d, err := h.Describe(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if d.Info.NumActions > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the Schedule took no action in 30s: the server's system worker cannot reach its TLS frontend")
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("a profile of the config file", func(t *testing.T) {
		file := filepath.Join(dir, "temporal.toml")
		toml := `[profile.default]
address = "127.0.0.1:1"

[profile.prod]
address = "` + srv.FrontendAddress() + `"
namespace = "default"
[profile.prod.tls]
server_ca_cert_path = "` + ca.CA + `"
client_cert_path = "` + ca.ClientCert + `"
client_key_path = "` + ca.ClientKey + `"
`
		if err := os.WriteFile(file, []byte(toml), 0o600); err != nil {
			t.Fatal(err)
		}
		c, _, err := dial(t, map[string]string{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod"})
		if err != nil {
			t.Fatalf("dial with profile prod: %v", err)
		}
		c.Close()
		// A variable beats the profile, and a flag beats the variable.
		cfg, getenv := loadConfig(t, map[string]string{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_ADDRESS": "env:7233"})
		if _, err := temporalConnection(&cfg, getenv); err != nil || cfg.TemporalAddress != "env:7233" {
			t.Errorf("variable over profile: %q, %v", cfg.TemporalAddress, err)
		}
		cfg, getenv = loadConfig(t, map[string]string{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_ADDRESS": "env:7233"}, "--temporal-address", "flag:7233")
		if _, err := temporalConnection(&cfg, getenv); err != nil || cfg.TemporalAddress != "flag:7233" {
			t.Errorf("flag over variable: %q, %v", cfg.TemporalAddress, err)
		}
		// A profile that is not in the file is an error, not the default.
		cfg, getenv = loadConfig(t, map[string]string{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "staging"})
		if _, err := temporalConnection(&cfg, getenv); err == nil || !strings.Contains(err.Error(), "staging") {
			t.Errorf("missing profile: %v", err)
		}
	})

	t.Run("refused without the client certificate or the CA", func(t *testing.T) {
		noCert := map[string]string{"TEMPORAL_ADDRESS": srv.FrontendAddress(), "TEMPORAL_TLS_SERVER_CA_CERT_PATH": ca.CA}
		if c, _, err := dial(t, noCert); err == nil {
			c.Close()
			t.Error("the server took a client without a certificate")
		}
		noCA := map[string]string{"TEMPORAL_ADDRESS": srv.FrontendAddress(), "TEMPORAL_TLS": "true",
			"TEMPORAL_TLS_CLIENT_CERT_PATH": ca.ClientCert, "TEMPORAL_TLS_CLIENT_KEY_PATH": ca.ClientKey}
		if c, _, err := dial(t, noCA); err == nil || !strings.Contains(err.Error(), "certificate") {
			if c != nil {
				c.Close()
			}
			t.Errorf("a server certificate from an unknown CA: %v", err)
		}
		plain := map[string]string{"TEMPORAL_ADDRESS": srv.FrontendAddress()}
		if c, _, err := dial(t, plain); err == nil {
			c.Close()
			t.Error("a plaintext client reached the TLS frontend")
		}
	})

	t.Run("an unreadable certificate fails before anything starts", func(t *testing.T) {
		cfg, getenv := loadConfig(t, map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": filepath.Join(dir, "missing.pem"),
			"TEMPORAL_TLS_CLIENT_KEY_PATH": ca.ClientKey})
		if _, err := temporalConnection(&cfg, getenv); err == nil || !strings.Contains(err.Error(), "missing.pem") {
			t.Errorf("missing certificate file: %v", err)
		}
	})
}

// TestTemporalCloudAPIKey: an API key turns TLS on (Temporal Cloud), and
// TEMPORAL_TLS=false turns it off again for a plaintext proxy.
func TestTemporalCloudAPIKey(t *testing.T) {
	cfg, getenv := loadConfig(t, map[string]string{"TEMPORAL_ADDRESS": "ns.acct.tmprl.cloud:7233", "TEMPORAL_NAMESPACE": "ns.acct", "TEMPORAL_API_KEY": "secret-key"})
	opts, err := temporalConnection(&cfg, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Credentials == nil || opts.ConnectionOptions.TLS == nil || opts.Namespace != "ns.acct" {
		t.Errorf("API key: credentials %v, TLS %v, namespace %q", opts.Credentials != nil, opts.ConnectionOptions.TLS != nil, opts.Namespace)
	}
	if got := fmt.Sprintln(temporalSecurity(opts)...); strings.Contains(got, "secret-key") || !strings.Contains(got, "api_key true") {
		t.Errorf("the log line carries the key: %s", got)
	}
	cfg, getenv = loadConfig(t, map[string]string{"TEMPORAL_API_KEY": "secret-key", "TEMPORAL_TLS": "false"})
	if opts, err = temporalConnection(&cfg, getenv); err != nil || opts.ConnectionOptions.TLS != nil {
		t.Errorf("TEMPORAL_TLS=false with an API key: TLS %v, %v", opts.ConnectionOptions.TLS != nil, err)
	}
	if cfg.TemporalAddress != config.DefaultTemporalAddress || cfg.TemporalNamespace != config.DefaultTemporalNamespace {
		t.Errorf("defaults: %q %q", cfg.TemporalAddress, cfg.TemporalNamespace)
	}
}
