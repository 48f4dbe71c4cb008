// Package config reads intake's settings from the environment and flags, once,
// in main. Every setting is both an environment variable and a flag; a flag
// wins over the variable.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of every subcommand.
type Config struct {
	HTTPAddr          string
	UIAddr            string
	TemporalPort      int
	DataDir           string
	Ephemeral         bool
	AdminToken        string
	DatabaseURL       string
	TemporalAddress   string
	TemporalNamespace string
	PublicURL         string
	RedisURL          string
	SyncWait          time.Duration
	MaxInFlight       int
	TrustedProxies    []string
	MaxCallsPerWF     int
	CoalesceLinger    time.Duration
	Compression       string
	Retention         time.Duration
	LogLevel          string
	LogFormat         string
	WorkerAddr        string
	TemporalUIURL     string
	WorkerStopTimeout time.Duration
	// AccessLog is INTAKE_ACCESS_LOG, "auto" resolved: on with json logs.
	AccessLog bool
	accessLog string
	// EncryptionKeys is INTAKE_ENCRYPTION_KEYS as given; encryption.ParseKeys
	// reads it (its errors, unlike Load's, never repeat the value).
	EncryptionKeys     string
	EncryptionCompress bool
	CodecToken         string
	CodecOrigins       []string
	// AlertsAllowPrivate lets alert channels reach loopback, private and
	// link-local addresses (and plain http).
	AlertsAllowPrivate bool
	AlertsSweep        time.Duration
	// APIURL and Token are what `intake admin` talks to and with.
	APIURL string
	Token  string
}

// The Temporal frontend and namespace when neither a variable, a flag nor a
// profile names them: those of a local dev server.
const (
	DefaultTemporalAddress   = "localhost:7233"
	DefaultTemporalNamespace = "default"
)

type setting struct {
	env, flag, def, usage string
	set                   func(*Config, string) error
}

func str(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

var settings = []setting{
	{"INTAKE_HTTP_ADDR", "http-addr", ":8080", "address the HTTP API listens on", str(func(c *Config) *string { return &c.HTTPAddr })},
	{"INTAKE_UI_ADDR", "ui-addr", ":8233", "address of the Temporal UI (dev)", str(func(c *Config) *string { return &c.UIAddr })},
	{"INTAKE_TEMPORAL_PORT", "temporal-port", "7233", "port of the embedded Temporal frontend (dev)", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			return errors.New("must be a port number")
		}
		c.TemporalPort = n
		return nil
	}},
	{"INTAKE_DATA_DIR", "data-dir", "./.intake", "where `intake dev` keeps its data", str(func(c *Config) *string { return &c.DataDir })},
	{"INTAKE_EPHEMERAL", "ephemeral", "false", "keep nothing on disk (dev)", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		c.Ephemeral = b
		return err
	}},
	{"INTAKE_ADMIN_TOKEN", "admin-token", "", "instance admin token (manages projects)", str(func(c *Config) *string { return &c.AdminToken })},
	{"DATABASE_URL", "database-url", "", "PostgreSQL URL; dev uses SQLite in the data dir when empty", str(func(c *Config) *string { return &c.DatabaseURL })},
	// Empty defaults: a profile of the Temporal config file may set them
	// (cmd/intake, temporalConnection), else DefaultTemporalAddress and
	// DefaultTemporalNamespace apply.
	{"TEMPORAL_ADDRESS", "temporal-address", "", "Temporal frontend host:port (serve, worker; default the profile's, else " + DefaultTemporalAddress + ")", str(func(c *Config) *string { return &c.TemporalAddress })},
	{"TEMPORAL_NAMESPACE", "temporal-namespace", "", "Temporal namespace (default the profile's, else " + DefaultTemporalNamespace + ")", str(func(c *Config) *string { return &c.TemporalNamespace })},
	{"INTAKE_PUBLIC_URL", "public-url", "", "public base URL, for webhook URLs and signatures", str(func(c *Config) *string { return &c.PublicURL })},
	{"INTAKE_REDIS_URL", "redis-url", "", "Redis URL for rate-limit counts shared by API processes (serve)", str(func(c *Config) *string { return &c.RedisURL })},
	{"INTAKE_SYNC_WAIT", "sync-wait", "5s", "how long an ingest call waits for its result before 202", duration(func(c *Config) *time.Duration { return &c.SyncWait })},
	{"INTAKE_MAX_INFLIGHT", "max-inflight", "512", "ingest and webhook calls one API process works on at once; more get 503", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errors.New("must be a whole number from 1")
		}
		c.MaxInFlight = n
		return nil
	}},
	{"INTAKE_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For names the client (for per-client limits)", list(func(c *Config) *[]string { return &c.TrustedProxies })},
	{"INTAKE_ENCRYPTION_KEYS", "encryption-keys", "", "payload encryption keys, id:base64 of 32 bytes, comma-separated; the first encrypts, all decrypt (dev makes one when empty)", func(c *Config, v string) error {
		c.EncryptionKeys = v // parsed in main, so that an error never prints a key
		return nil
	}},
	{"INTAKE_ENCRYPTION_COMPRESS", "encryption-compress", "true", "compress payloads before encrypting them (where it makes them smaller)", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		c.EncryptionCompress = b
		return err
	}},
	{"INTAKE_CODEC_TOKEN", "codec-token", "", "credential of /api/codec/ui/{token}, the codec endpoint a Temporal UI calls, at least 24 characters (dev makes one)", func(c *Config, v string) error {
		if v != "" && len(v) < 24 {
			c.CodecToken = ""
			return errors.New("is too short: it is a credential, use 24 characters or more (openssl rand -hex 24)")
		}
		c.CodecToken = v
		return nil
	}},
	{"INTAKE_CODEC_ORIGINS", "codec-origins", "", "comma-separated browser origins of Temporal UIs that may call /api/codec, such as https://temporal.example.com", func(c *Config, v string) error {
		if err := list(func(c *Config) *[]string { return &c.CodecOrigins })(c, v); err != nil {
			return err
		}
		for i, o := range c.CodecOrigins {
			if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
				return fmt.Errorf("%q is not an origin such as https://temporal.example.com", o)
			}
			c.CodecOrigins[i] = strings.TrimSuffix(o, "/") // browsers send origins without one
		}
		return nil
	}},
	{"INTAKE_MAX_CALLS_PER_WORKFLOW", "max-calls-per-workflow", "64", "calls one workflow may carry under load (1: a workflow per call)", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 64 {
			return errors.New("must be a whole number from 1 to 64")
		}
		c.MaxCallsPerWF = n
		return nil
	}},
	{"INTAKE_COALESCE_LINGER", "coalesce-linger", "5ms", "under load, how long a lane whose workflow just freed it waits for its callers' next calls before the next workflow starts (0: at once)", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > time.Second {
			return errors.New("must be a duration from 0 to 1s, such as 5ms")
		}
		c.CoalesceLinger = d
		return nil
	}},
	{"INTAKE_TEMPORAL_COMPRESSION", "temporal-compression", "auto", "gzip or none for requests to Temporal; auto: none in dev (loopback), gzip otherwise", func(c *Config, v string) error {
		if v != "auto" && v != "gzip" && v != "none" {
			return errors.New("must be auto, gzip or none")
		}
		c.Compression = v
		return nil
	}},
	{"INTAKE_RETENTION", "retention", "720h", "how long the embedded Temporal keeps closed workflows (dev)", duration(func(c *Config) *time.Duration { return &c.Retention })},
	{"INTAKE_LOG_LEVEL", "log-level", "info", "debug, info, warn or error", str(func(c *Config) *string { return &c.LogLevel })},
	{"INTAKE_TEMPORAL_UI_URL", "temporal-ui-url", "", "the Temporal UI the console links calls to (dev: its own)", str(func(c *Config) *string { return &c.TemporalUIURL })},
	{"INTAKE_WORKER_ADDR", "worker-addr", ":8090", "where `intake worker` serves /healthz, /readyz and /metrics (off: nowhere)", func(c *Config, v string) error {
		if v == "off" {
			v = ""
		}
		c.WorkerAddr = v
		return nil
	}},
	{"INTAKE_WORKER_STOP_TIMEOUT", "worker-stop-timeout", "30s", "how long a stopping worker lets running activities finish", duration(func(c *Config) *time.Duration { return &c.WorkerStopTimeout })},
	{"INTAKE_LOG_FORMAT", "log-format", "text", "text, or json for a log collector (json also turns on the access log)", func(c *Config, v string) error {
		if v != "text" && v != "json" {
			return errors.New("must be text or json")
		}
		c.LogFormat = v
		return nil
	}},
	{"INTAKE_ACCESS_LOG", "access-log", "auto", "a log line per request (route, status, duration, project, request id): true, false, or auto (with json logs)", func(c *Config, v string) error {
		if v != "auto" {
			if _, err := strconv.ParseBool(v); err != nil {
				return errors.New("must be true, false or auto")
			}
		}
		c.accessLog = v
		return nil
	}},
	{"INTAKE_ALERTS_ALLOW_PRIVATE", "alerts-allow-private", "false", "let alert channels reach loopback, private and link-local addresses, over http too", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		c.AlertsAllowPrivate = b
		return err
	}},
	{"INTAKE_ALERTS_SWEEP", "alerts-sweep", "1m", "how often the intake-alerts Schedule checks staleness and held conditions", duration(func(c *Config) *time.Duration { return &c.AlertsSweep })},
	{"INTAKE_URL", "url", "http://localhost:8080", "intake API base URL (admin)", str(func(c *Config) *string { return &c.APIURL })},
	{"INTAKE_TOKEN", "token", "", "API key or instance token for `intake admin` (default INTAKE_ADMIN_TOKEN)", str(func(c *Config) *string { return &c.Token })},
}

// list reads a comma-separated list, dropping empty items.
func list(p func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		*p(c) = nil
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				*p(c) = append(*p(c), item)
			}
		}
		return nil
	}
}

// secret are the settings whose values are credentials: an error names
// them without repeating what was given.
var secret = map[string]bool{"INTAKE_ADMIN_TOKEN": true, "INTAKE_TOKEN": true, "INTAKE_ENCRYPTION_KEYS": true,
	"INTAKE_CODEC_TOKEN": true, "DATABASE_URL": true, "INTAKE_REDIS_URL": true}

func duration(p func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("must be a positive duration such as 5s or 720h")
		}
		*p(c) = d
		return nil
	}
}

// Load reads the settings of command from getenv and args, and returns what
// follows the flags. Usage goes to out when asked for with -h. extra adds a
// command's own flags (intake bench) to the same set.
func Load(command string, args []string, getenv func(string) string, out io.Writer, extra ...func(*flag.FlagSet)) (Config, []string, error) {
	var c Config
	fs := flag.NewFlagSet("intake "+command, flag.ContinueOnError)
	fs.SetOutput(out)
	for _, add := range extra {
		add(fs)
	}
	for _, s := range settings {
		v := s.def
		if e := getenv(s.env); e != "" {
			v = e
		}
		if err := s.set(&c, v); err != nil {
			if secret[s.env] {
				return c, nil, fmt.Errorf("%s: %w", s.env, err) // never the value
			}
			return c, nil, fmt.Errorf("%s=%q: %w", s.env, v, err)
		}
		usage := fmt.Sprintf("%s (env %s, default %q)", s.usage, s.env, s.def)
		set := func(v string) error { return s.set(&c, v) }
		if s.def == "false" {
			fs.BoolFunc(s.flag, usage, set)
		} else {
			fs.Func(s.flag, usage, set)
		}
	}
	if err := fs.Parse(args); err != nil {
		return c, nil, err
	}
	if c.Token == "" {
		c.Token = c.AdminToken
	}
	c.AccessLog, _ = strconv.ParseBool(c.accessLog)
	if c.accessLog == "auto" {
		c.AccessLog = c.LogFormat == "json"
	}
	return c, fs.Args(), nil
}
