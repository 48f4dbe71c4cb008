package config_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/config"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaultsEnvAndFlags(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(t *testing.T, c config.Config, rest []string)
	}{
		{"defaults", nil, nil, func(t *testing.T, c config.Config, _ []string) {
			if c.HTTPAddr != ":8080" || c.UIAddr != ":8233" || c.TemporalPort != 7233 || c.DataDir != "./.intake" ||
				c.TemporalNamespace != "" || c.TemporalAddress != "" || c.SyncWait != 5*time.Second || c.Ephemeral || c.Retention != 720*time.Hour ||
				c.CoalesceLinger != 5*time.Millisecond {
				t.Fatalf("defaults %+v", c)
			}
		}},
		{"env", map[string]string{"INTAKE_HTTP_ADDR": ":9000", "DATABASE_URL": "postgres://x", "INTAKE_SYNC_WAIT": "2s", "INTAKE_EPHEMERAL": "true",
			"INTAKE_COALESCE_LINGER": "0"}, nil,
			func(t *testing.T, c config.Config, _ []string) {
				if c.HTTPAddr != ":9000" || c.DatabaseURL != "postgres://x" || c.SyncWait != 2*time.Second || !c.Ephemeral || c.CoalesceLinger != 0 {
					t.Fatalf("env not applied: %+v", c)
				}
			}},
		{"flag beats env", map[string]string{"INTAKE_HTTP_ADDR": ":9000"}, []string{"--http-addr", ":9100", "--ephemeral", "keys", "list"},
			func(t *testing.T, c config.Config, rest []string) {
				if c.HTTPAddr != ":9100" || !c.Ephemeral || len(rest) != 2 || rest[0] != "keys" {
					t.Fatalf("flags not applied: %+v %v", c, rest)
				}
			}},
		{"token falls back to admin token", map[string]string{"INTAKE_ADMIN_TOKEN": "secret"}, nil,
			func(t *testing.T, c config.Config, _ []string) {
				if c.Token != "secret" {
					t.Fatalf("token %q", c.Token)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rest, err := config.Load("dev", tt.args, env(tt.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c, rest)
		})
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"bad port env", map[string]string{"INTAKE_TEMPORAL_PORT": "seventy"}, nil},
		{"bad duration env", map[string]string{"INTAKE_SYNC_WAIT": "soon"}, nil},
		{"bad duration flag", nil, []string{"--sync-wait", "-1s"}},
		{"unknown flag", nil, []string{"--nope"}},
		{"linger past a second", nil, []string{"--coalesce-linger", "2s"}},
		{"negative linger", map[string]string{"INTAKE_COALESCE_LINGER": "-5ms"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := config.Load("serve", tt.args, env(tt.env), io.Discard); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// A credential that is refused is named, never repeated; an origin that
// is not one is refused (CORS would never match it), and a trailing slash
// is dropped.
func TestCodecSettings(t *testing.T) {
	_, _, err := config.Load("serve", nil, env(map[string]string{"INTAKE_CODEC_TOKEN": "short-secret"}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "INTAKE_CODEC_TOKEN") || strings.Contains(err.Error(), "short-secret") {
		t.Fatalf("a short codec token: %v", err)
	}
	for _, bad := range []string{"localhost:8233", "https://ui.example/path", "ftp://ui.example", "https://"} {
		if _, _, err := config.Load("serve", nil, env(map[string]string{"INTAKE_CODEC_ORIGINS": bad}), io.Discard); err == nil {
			t.Errorf("INTAKE_CODEC_ORIGINS=%s accepted", bad)
		}
	}
	c, _, err := config.Load("serve", nil, env(map[string]string{"INTAKE_CODEC_ORIGINS": "https://ui.example/, http://localhost:8233"}), io.Discard)
	if err != nil || strings.Join(c.CodecOrigins, " ") != "https://ui.example http://localhost:8233" {
		t.Fatalf("origins %v (%v)", c.CodecOrigins, err)
	}
}

// JSON logs turn the access log on unless it is turned off, in any order.
func TestAccessLogFollowsTheLogFormat(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		args []string
		want bool
	}{
		{nil, nil, false},
		{map[string]string{"INTAKE_LOG_FORMAT": "json"}, nil, true},
		{nil, []string{"--access-log", "false", "--log-format", "json"}, false},
		{nil, []string{"--access-log", "true"}, true},
	} {
		c, _, err := config.Load("serve", tt.args, env(tt.env), io.Discard)
		if err != nil || c.AccessLog != tt.want {
			t.Errorf("%v %v: access log %v (%v), want %v", tt.env, tt.args, c.AccessLog, err, tt.want)
		}
	}
	if _, _, err := config.Load("serve", nil, env(map[string]string{"INTAKE_LOG_FORMAT": "xml"}), io.Discard); err == nil {
		t.Error("INTAKE_LOG_FORMAT=xml accepted")
	}
}
