package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/intakehq/intake/api"
	"github.com/intakehq/intake/config"
	"github.com/intakehq/intake/console"
	"github.com/intakehq/intake/notify"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/telemetry"
	"github.com/intakehq/intake/worker"
	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	sdklog "go.temporal.io/sdk/log"
)

func newLogger(cfg config.Config) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// newRegistry is the process's Prometheus registry, with Go runtime metrics.
func newRegistry() *prom.Registry {
	reg := prom.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// clientOptions adds to the connection opts: the SDK's metrics to reg, its
// log above info to log, and requests compressed unless compression is
// "none" (or "auto" on loopback, where gzip is only CPU spent).
func clientOptions(opts client.Options, compression string, loopback bool, reg *prom.Registry, log *slog.Logger) client.Options {
	scope, _ := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  tallyprom.NewReporter(tallyprom.Options{Registerer: reg}),
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
		Prefix:          "temporal",
	}, time.Second)
	quiet := slog.New(levelFloor{log.Handler(), slog.LevelWarn})
	opts.MetricsHandler = sdktally.NewMetricsHandler(scope)
	opts.Logger = sdklog.NewStructuredLogger(quiet)
	if compression == "none" || compression == "auto" && loopback {
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	return opts
}

// startTracing turns OpenTelemetry tracing on when the OTEL_* variables
// ask for it, with the Temporal SDK's interceptor added to copts; stop
// exports what is still buffered.
func startTracing(ctx context.Context, service string, copts *client.Options, log *slog.Logger) (tracing *telemetry.Tracing, stop func(), err error) {
	tracing, err = telemetry.Setup(ctx, service, os.Getenv)
	if err != nil {
		return nil, nil, err
	}
	ics, err := tracing.Interceptors()
	if err != nil {
		return nil, nil, err
	}
	copts.Interceptors = append(copts.Interceptors, ics...)
	if tracing.Enabled() {
		log.Info("tracing on: spans are exported over OTLP", "service", service)
	}
	return tracing, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tracing.Shutdown(ctx); err != nil {
			log.Warn("tracing: the last spans were not exported", "error", err)
		}
	}, nil
}

// dialTemporal connects, retrying while the server comes up, until ctx ends.
func dialTemporal(ctx context.Context, opts client.Options, log *slog.Logger) (client.Client, error) {
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			return c, nil
		}
		log.Warn("waiting for Temporal", "address", opts.HostPort, "error", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connect to Temporal at %s: %w", opts.HostPort, err)
		case <-time.After(wait):
		}
	}
}

// openStore opens the database and migrates it (intake dev, which owns its
// database) or checks that it is at the schema version this build needs
// (serve and worker: `intake migrate up` runs first, once, as a job).
func openStore(ctx context.Context, dsn string, migrate bool) (*store.Store, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if migrate {
		err = st.Migrate(ctx)
	} else {
		err = st.CheckSchema(ctx)
	}
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	return st, nil
}

func requirePostgres(cfg config.Config) error {
	if !store.IsPostgresURL(cfg.DatabaseURL) {
		return errors.New("DATABASE_URL must be a postgres:// URL (intake dev is the SQLite mode)")
	}
	return nil
}

func runServe(ctx context.Context, cfg config.Config, conn client.Options) error {
	log := newLogger(cfg)
	if err := requirePostgres(cfg); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.DatabaseURL, false)
	if err != nil {
		return err
	}
	defer st.Close()
	reg := newRegistry()
	// A lazy client lets the API start while Temporal is down: calls then get
	// 503 and /readyz says why, instead of the process crash-looping.
	ring, err := productionKeys(cfg, log)
	if err != nil {
		return err
	}
	st.UseKeys(ring)
	go maintainSecrets(ctx, st, log)
	copts := clientOptions(conn, cfg.Compression, false, reg, log)
	encrypt(&copts, ring, cfg.EncryptionCompress)
	tracing, stopTracing, err := startTracing(ctx, "intake-serve", &copts, log)
	if err != nil {
		return err
	}
	defer stopTracing()
	tc, err := client.NewLazyClient(copts)
	if err != nil {
		return err
	}
	defer tc.Close()
	if cfg.AdminToken == "" {
		log.Warn("INTAKE_ADMIN_TOKEN is not set: projects cannot be created through this API")
	}
	go ensureSearchAttributes(ctx, tc, cfg.TemporalNamespace, log)
	opts := api.Options{AdminToken: cfg.AdminToken, SyncWait: cfg.SyncWait, MaxInFlight: cfg.MaxInFlight, MaxCallsPerWorkflow: cfg.MaxCallsPerWF, CoalesceLinger: cfg.CoalesceLinger, TrustedProxies: cfg.TrustedProxies,
		Registry: reg, Logger: log, PublicURL: cfg.PublicURL, AccessLog: cfg.AccessLog,
		Keys: ring, CompressPayloads: cfg.EncryptionCompress, CodecToken: cfg.CodecToken, CodecOrigins: cfg.CodecOrigins,
		AlertPolicy: alertPolicy(cfg), Tracing: tracing.Enabled()}
	switch cfg.RedisURL {
	case "":
		return errors.New("INTAKE_REDIS_URL is required: rate limits must be shared by every API replica " +
			"(set it to \"memory\" to count in this process, for a single replica)")
	case "memory":
		log.Warn("INTAKE_REDIS_URL=memory: rate limits are counted in this process only")
	default:
		rc, err := redisClient(cfg.RedisURL)
		if err != nil {
			return err
		}
		defer rc.Close()
		opts.RateCounter = api.NewRedisCounter(rc)
	}
	srv := api.New(st, tc, opts)
	mountConsole(srv, st, cfg, cfg.AdminToken, cfg.TemporalUIURL, log)
	log.Info("intake serve listening", append([]any{"addr", cfg.HTTPAddr, "temporal", cfg.TemporalAddress, "namespace", cfg.TemporalNamespace}, temporalSecurity(conn)...)...)
	return serveUntil(ctx, srv, cfg.HTTPAddr, func() {})
}

// mountConsole serves the web console at /console beside the API.
func mountConsole(srv *api.Server, st *store.Store, cfg config.Config, adminToken, temporalUI string, log *slog.Logger) {
	console.Mount(srv.App(), console.Options{Store: st, Authenticate: srv.Authenticate, Invoke: srv.Invoke, AdminToken: adminToken,
		Secure: strings.HasPrefix(cfg.PublicURL, "https://"), TemporalUIURL: temporalUI, Namespace: cfg.TemporalNamespace, Logger: log})
}

// redisClient connects lazily: a Redis that is down makes rate-limited calls
// answer 503, like a Temporal that is down, instead of stopping the API.
func redisClient(url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("INTAKE_REDIS_URL: %w", err)
	}
	return redis.NewClient(opts), nil
}

// serveUntil runs the API until ctx ends, then drains it. ready runs once
// the port is bound, so what it prints is true.
func serveUntil(ctx context.Context, srv *api.Server, addr string, ready func()) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	ready()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

func runWorker(ctx context.Context, cfg config.Config, conn client.Options) error {
	log := newLogger(cfg)
	if err := requirePostgres(cfg); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.DatabaseURL, false)
	if err != nil {
		return err
	}
	defer st.Close()
	ring, err := productionKeys(cfg, log)
	if err != nil {
		return err
	}
	st.UseKeys(ring) // it opens the bodies the API stored for large calls
	reg := newRegistry()
	copts := clientOptions(conn, cfg.Compression, false, reg, log)
	encrypt(&copts, ring, cfg.EncryptionCompress)
	_, stopTracing, err := startTracing(ctx, "intake-worker", &copts, log)
	if err != nil {
		return err
	}
	defer stopTracing()
	tc, err := dialTemporal(ctx, copts, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	// Whichever of serve and worker starts first registers them; until
	// then the worker polls anyway, retrying the registration.
	go ensureSearchAttributes(ctx, tc, cfg.TemporalNamespace, log)
	if cfg.WorkerAddr != "" {
		stopOps, err := serveWorkerOps(ctx, cfg.WorkerAddr, workerOps(st, tc, reg), log)
		if err != nil {
			return err
		}
		defer stopOps()
	}
	w := worker.New(tc, worker.Deps{Store: st, StopTimeout: cfg.WorkerStopTimeout, AlertPolicy: alertPolicy(cfg)})
	go ensureAlertSchedule(ctx, tc, cfg.AlertsSweep, log)
	log.Info("intake worker running", append([]any{"temporal", cfg.TemporalAddress, "namespace", cfg.TemporalNamespace}, temporalSecurity(conn)...)...)
	stop := make(chan any)
	go func() { <-ctx.Done(); close(stop) }()
	return w.Run(stop)
}

// untilDone runs set-up that needs Temporal in the background, retrying
// with backoff until it succeeds or ctx ends: serve may start while
// Temporal is still down, and whichever of serve and worker gets there
// first does it.
func untilDone(ctx context.Context, log *slog.Logger, what string, try func() error) {
	for wait := time.Second; ; wait = min(2*wait, 30*time.Second) {
		err := try()
		if err == nil {
			return
		}
		log.Warn(what+" not done yet", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// ensureSearchAttributes registers the search attributes intake's
// workflows set.
func ensureSearchAttributes(ctx context.Context, tc client.Client, namespace string, log *slog.Logger) {
	untilDone(ctx, log, "search attributes", func() error { return worker.EnsureSearchAttributes(ctx, tc, namespace) })
}

// alertPolicy is which addresses alert channels may reach.
func alertPolicy(cfg config.Config) notify.Policy {
	return notify.Policy{AllowPrivate: cfg.AlertsAllowPrivate}
}

// ensureAlertSchedule creates the intake-alerts Schedule, or sets its
// interval.
func ensureAlertSchedule(ctx context.Context, tc client.Client, every time.Duration, log *slog.Logger) {
	untilDone(ctx, log, "the alerts schedule", func() error { return worker.EnsureAlertSchedule(ctx, tc, every) })
}

// levelFloor drops records below min, to keep the SDK's routine info lines
// out of intake's log.
type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelFloor) WithAttrs(attrs []slog.Attr) slog.Handler {
	return levelFloor{h.Handler.WithAttrs(attrs), h.min}
}

func (h levelFloor) WithGroup(name string) slog.Handler {
	return levelFloor{h.Handler.WithGroup(name), h.min}
}

func hostOf(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "localhost" + addr
	}
	return addr
}
