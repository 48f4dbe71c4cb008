// Package api is intake's HTTP surface: a Fiber app whose routes are all
// declared in this file, one file per concern for their handlers.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/recover"
	lru "github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/coalesce"
	"github.com/intakehq/intake/encryption"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/notify"
	"github.com/intakehq/intake/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
	"go.temporal.io/sdk/client"
)

// Store is what the API needs of the store.
type Store interface {
	keyStore
	Ping(ctx context.Context) error
	KeyUse(ctx context.Context) (secrets, bodies map[string]int, err error)
	CreateProject(ctx context.Context, p *store.Project, first *store.APIKey) error
	ListProjects(ctx context.Context, p store.Page) ([]store.Project, string, error)
	CreateAPIKey(ctx context.Context, k *store.APIKey) error
	ListAPIKeys(ctx context.Context, projectID string, p store.Page) ([]store.APIKey, string, error)
	RevokeAPIKey(ctx context.Context, projectID, id string, at time.Time) (store.APIKey, error)
	CreateMetric(ctx context.Context, m *store.Metric) error
	UpdateMetric(ctx context.Context, projectID, id string, edit func(*store.Metric) error) (store.Metric, error)
	DeleteMetric(ctx context.Context, projectID, id string) error
	ListMetrics(ctx context.Context, projectID string, p store.Page) ([]store.Metric, string, error)
	GetMetric(ctx context.Context, projectID, id string) (store.Metric, error)
	ListPoints(ctx context.Context, projectID, metricID string, r store.PointRange, p store.Page) ([]store.MetricPoint, string, error)
	GetCall(ctx context.Context, projectID, ingestID string) (store.Call, error)
	PutBody(ctx context.Context, projectID string, data []byte) (string, error)
	DeleteBody(ctx context.Context, id string) error
	ListCalls(ctx context.Context, projectID string, f store.CallFilter, p store.Page) ([]store.Call, string, error)
	AcceptCalls(ctx context.Context, workflowID string, calls []intake.Call) error
	ListInbox(ctx context.Context, projectID string, f store.InboxFilter, p store.Page) ([]store.InboxItem, string, error)
	GetInboxItem(ctx context.Context, projectID, id string) (store.InboxItem, error)
	CreateConnector(ctx context.Context, c *store.Connector, key *store.APIKey) error
	GetConnector(ctx context.Context, id string) (store.Connector, error)
	ListConnectors(ctx context.Context, projectID string, p store.Page) ([]store.Connector, string, error)
	UpdateConnector(ctx context.Context, projectID, id string, edit func(*store.Connector) error) (store.Connector, error)
	RotateConnectorKey(ctx context.Context, projectID, id string, key *store.APIKey, now, oldUntil time.Time) (store.Connector, store.APIKey, error)
	DismissInboxItem(ctx context.Context, projectID, id string) (store.InboxItem, error)
	ListTasks(ctx context.Context, projectID, source string, p store.Page) ([]store.Task, string, error)
	LatestRules(ctx context.Context, scope store.RuleScope) ([]intake.Rule, int, error)
	EditRules(ctx context.Context, scope store.RuleScope, edit func([]intake.Rule) ([]intake.Rule, error)) ([]intake.Rule, int, error)
	EditRulesFrom(ctx context.Context, scope store.RuleScope, defaults []intake.Rule, edit func([]intake.Rule) ([]intake.Rule, error)) ([]intake.Rule, int, error)
	salesStore
	alertStore
	signatureStore
}

// salesStore is what the SalesDash routes need of the store.
type salesStore interface {
	IdentityExists(ctx context.Context, r store.IdentityRef) (bool, error)
	ListIdentities(ctx context.Context, projectID string, f store.IdentityFilter, p store.Page) ([]store.Identity, string, error)
	GetIdentity(ctx context.Context, projectID, id string) (store.Identity, error)
	LinkIdentity(ctx context.Context, projectID, id, targetID, name string) (store.Identity, store.Entity, error)
	CreateEntity(ctx context.Context, e *store.Entity) error
	ListEntities(ctx context.Context, projectID, kind string, p store.Page) ([]store.Entity, string, error)
	GetEntity(ctx context.Context, projectID, kind, id string) (store.Entity, error)
	UpdateEntity(ctx context.Context, projectID, kind, id string, edit func(*store.Entity) error) (store.Entity, error)
	DeleteEntity(ctx context.Context, projectID, kind, id string) error
	ListUsers(ctx context.Context, projectID string, p store.Page) ([]store.User, string, error)
	ListActivities(ctx context.Context, projectID string, f store.RecordFilter, p store.Page) ([]store.Activity, string, error)
	GetActivity(ctx context.Context, projectID, id string) (store.Activity, error)
	ListSales(ctx context.Context, projectID string, f store.RecordFilter, p store.Page) ([]store.Sale, string, error)
	GetSale(ctx context.Context, projectID, id string) (store.Sale, error)
	AggregateActivities(ctx context.Context, q store.AggregateQuery) ([]store.AggregateRow, error)
	AggregateSales(ctx context.Context, q store.AggregateQuery) ([]store.AggregateRow, error)
}

// Options tune the API; zero values take the defaults.
type Options struct {
	// Tracing gives every request a span (telemetry.Setup turned it on).
	Tracing bool
	// AdminToken is the instance admin token; empty disables project management.
	AdminToken string
	// SyncWait is how long an ingest call waits for its result before 202.
	SyncWait time.Duration
	// StartTimeout bounds a call to Temporal; past it the answer is 503.
	StartTimeout time.Duration
	// KeyCacheTTL is how long an API key lookup is trusted.
	KeyCacheTTL time.Duration
	// EagerStart hands new workflows straight to the worker in this process.
	EagerStart bool
	// Registry receives the HTTP metrics and serves /metrics.
	Registry *prometheus.Registry
	// Logger receives internal errors.
	Logger *slog.Logger
	// PublicURL is the base URL providers call, for webhook URLs and the
	// URLs HubSpot signs; the request's own when empty.
	PublicURL string
	// Clock replaces time.Now in tests.
	Clock func() time.Time
	// RateCounter counts requests per API key; share it (Redis, see
	// NewRedisCounter) between API processes. In this process's memory
	// when nil.
	RateCounter RateCounter
	// RateWindow is how long a rate limit's minute lasts (an hour is 60
	// of them): one minute unless a test shortens it.
	RateWindow time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client, for the per-client limits; without them every client
	// behind a proxy is the proxy's address.
	TrustedProxies []string
	// MaxAuthFailures is how many failed authentications a client address
	// may make a minute; past it, keys not known already are refused (429)
	// without a database lookup. DefaultMaxAuthFailures when 0.
	MaxAuthFailures int
	// MaxInFlight caps the ingest and webhook calls this process works on
	// at once; past it calls get 503 with Retry-After. DefaultMaxInFlight
	// when 0.
	MaxInFlight int
	// MaxConnections caps the connections served at once; past it new
	// ones get 503. DefaultMaxConnections when 0.
	MaxConnections int
	// MaxUnverifiedBytes bounds the body bytes that webhook deliveries
	// not yet verified hold at once; past it deliveries get 503 with
	// Retry-After. DefaultMaxUnverifiedBytes when 0.
	MaxUnverifiedBytes int64
	// Keys, when set, are the payload encryption keys: the codec endpoint
	// (/api/codec) decodes and encodes with them for the Temporal UI.
	Keys *encryption.Keyring
	// CompressPayloads is whether encoded payloads are compressed first.
	CompressPayloads bool
	// CodecToken is the credential in the path of /api/codec/ui/{token},
	// for a Temporal UI that sends no key; none when empty.
	CodecToken string
	// CodecOrigins are the browser origins (a Temporal UI) that may call
	// /api/codec across origins.
	CodecOrigins []string
	// AccessLog writes a line per request to Logger (route, status,
	// duration, project, request id).
	AccessLog bool
	// MaxCallsPerWorkflow bounds the calls one workflow carries under
	// load; 1 gives every call a workflow of its own.
	MaxCallsPerWorkflow int
	// CoalesceLinger is how long a lane that a workflow frees waits for
	// more calls before its next workflow starts (coalesce.Options.Linger;
	// zero: none).
	CoalesceLinger time.Duration
	// AlertPolicy says which addresses alert channels may reach.
	AlertPolicy notify.Policy
	// SignatureFlush is how often deliveries refused for their signature,
	// counted in memory, are added to the store (and on Shutdown).
	// DefaultSignatureFlush when 0.
	SignatureFlush time.Duration
}

func (o *Options) defaults() {
	if o.SyncWait <= 0 {
		o.SyncWait = 5 * time.Second
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 5 * time.Second
	}
	if o.KeyCacheTTL <= 0 {
		o.KeyCacheTTL = 15 * time.Second
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.RateWindow <= 0 {
		o.RateWindow = time.Minute
	}
	if o.MaxAuthFailures <= 0 {
		o.MaxAuthFailures = DefaultMaxAuthFailures
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	if o.MaxUnverifiedBytes <= 0 {
		o.MaxUnverifiedBytes = DefaultMaxUnverifiedBytes
	}
}

// Server is the intake API.
type Server struct {
	app      *fiber.App
	store    Store
	temporal client.Client
	auth     *authenticator
	rules    *mapping.Cache
	opts     Options
	// connectors caches connector lookups for webhook deliveries.
	connectors        *lru.LRU[string, store.Connector]
	projectLimits     *lru.LRU[string, intake.Rate]
	signatureFailures *prometheus.CounterVec
	failures          *failureLog
	inFlight          *inFlight
	limiter           *rateLimiter
	starter           *coalesce.Starter
	accepted          accepted
	unverified        *unverifiedBudget
	clock             func() time.Time
}

// DefaultMaxAuthFailures is the failed authentications a client address
// may make a minute before unknown keys are refused without a lookup.
const DefaultMaxAuthFailures = 50

// DefaultMaxConnections is the connections one API process serves at
// once: each holds its buffers (about 16 KB) and a goroutine.
const DefaultMaxConnections = 10_000

// MaxBody is the largest request body accepted by any route.
const MaxBody = 5 << 20

// New builds the API with every route.
func New(st Store, tc client.Client, opts Options) *Server {
	opts.defaults()
	s := &Server{store: st, temporal: tc, opts: opts, clock: opts.Clock, rules: mapping.NewCache(256),
		auth: newAuthenticator(st, opts.AdminToken, opts.KeyCacheTTL, opts.MaxAuthFailures)}
	counter := opts.RateCounter
	if counter == nil {
		counter = newMemoryCounter()
	}
	s.limiter = &rateLimiter{counter: counter, minute: opts.RateWindow}
	s.auth.then = func(c *fiber.Ctx) error {
		// A console page's request (Invoke) is an admin's in a browser,
		// behind its session: it is not its key's API traffic, so it is
		// not counted against the key's rate (the live rule test alone
		// runs at typing speed), but it takes an in-flight slot like any.
		if _, invoked := c.Context().UserValue(invokedKey{}).(invocation); !invoked {
			if err := s.limiter.check(c); err != nil {
				return err
			}
		}
		release, err := s.inFlight.share(c, principal(c).ProjectID)
		if err != nil {
			return err
		}
		defer release()
		if err := readBody(c); err != nil {
			return err
		}
		return c.Next()
	}
	s.app = fiber.New(fiber.Config{
		AppName:                 "intake",
		BodyLimit:               MaxBody,
		ErrorHandler:            errorHandler(opts.Logger),
		DisableStartupMessage:   true,
		EnableTrustedProxyCheck: len(opts.TrustedProxies) > 0,
		TrustedProxies:          opts.TrustedProxies,
		ProxyHeader:             proxyHeader(opts.TrustedProxies),
		ReadTimeout:             30 * time.Second,
		// Bodies are read by intake once their caller is admitted
		// (body.go); a multipart form is parsed then, not spooled to
		// disk for whoever sends one.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		Concurrency:                  opts.MaxConnections,
		WriteTimeout:                 30 * time.Second,
		IdleTimeout:                  2 * time.Minute,
	})
	// A client that asks before sending its body (Expect: 100-continue)
	// is told 417 when it declares more than any route takes.
	s.app.Server().ContinueHandler = func(h *fasthttp.RequestHeader) bool { return h.ContentLength() <= MaxBody }
	s.connectors = lru.NewLRU[string, store.Connector](keyCacheSize, nil, opts.KeyCacheTTL)
	s.projectLimits = lru.NewLRU[string, intake.Rate](keyCacheSize, nil, opts.KeyCacheTTL)
	s.signatureFailures = newSignatureFailures(opts.Registry)
	s.failures = newFailureLog(st, opts.Logger, s.now, opts.SignatureFlush)
	newFiringGauge(st, opts.Registry)
	s.inFlight = newInFlight(opts.MaxInFlight, opts.Registry)
	s.unverified = &unverifiedBudget{max: opts.MaxUnverifiedBytes}
	s.starter = coalesce.New(tc, coalesce.Options{EagerStart: opts.EagerStart, StartTimeout: opts.StartTimeout,
		ResultWait: opts.SyncWait, MaxCalls: opts.MaxCallsPerWorkflow,
		AnsweredAtStart: func(kind string) bool { return kind == intake.KindWebhook }, Started: s.recordAccepted, Linger: opts.CoalesceLinger})
	s.accepted.slots = make(chan struct{}, maxAcceptedWrites)
	s.app.Use(requestID)
	if opts.Tracing {
		s.app.Use(traceRequests)
	}
	if opts.AccessLog {
		s.app.Use(accessLog(opts.Logger))
	}
	// A handler that panics answers 500 and leaves the process serving;
	// the panic and its stack are logged.
	s.app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		opts.Logger.Error("handler panicked", "method", c.Method(), "route", loggedRoute(c), "panic", fmt.Sprint(e),
			"stack", string(debug.Stack()))
	}}))
	s.app.Use(httpMetrics(opts.Registry))
	s.app.Use(guardBodies)
	s.routes()
	return s
}

func (s *Server) routes() {
	app := s.app
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	app.Get("/metrics", s.metrics())
	app.Get("/api/openapi.json", s.openapi)
	if len(s.opts.CodecOrigins) > 0 {
		app.Use("/api/codec", cors.New(cors.Config{AllowOrigins: strings.Join(s.opts.CodecOrigins, ","),
			AllowMethods: fiber.MethodPost, AllowHeaders: "Content-Type, X-Namespace, Authorization"}))
	}
	app.Post("/api/codec/ui/:token/:action", s.codecAuth, s.codec)
	app.Post("/api/codec/:action", s.auth.require(accessOps), s.codec)

	instance := s.auth.require(accessInstance)
	app.Post("/api/admin/projects", instance, s.createProject)
	app.Get("/api/admin/projects", instance, s.listProjects)
	app.Get("/api/admin/encryption", instance, s.encryptionStatus)

	admin := s.auth.require(accessAdmin)
	app.Post("/api/admin/keys", admin, s.createKey)
	app.Get("/api/admin/keys", admin, s.listKeys)
	app.Delete("/api/admin/keys/:id", admin, s.revokeKey)
	app.Post("/api/admin/metrics", admin, s.createMetric)
	app.Get("/api/admin/metrics", admin, s.listMetrics)
	app.Patch("/api/admin/metrics/:id", admin, s.updateMetric)
	app.Delete("/api/admin/metrics/:id", admin, s.deleteMetric)
	app.Get("/api/admin/metrics/:id/points", admin, s.listPoints)
	app.Get("/api/admin/calls", admin, s.listCalls)
	app.Get("/api/admin/calls/:id", admin, s.getCall)
	app.Post("/api/admin/connectors", admin, s.createConnector)
	app.Get("/api/admin/connectors", admin, s.listConnectors)
	app.Get("/api/admin/connectors/:id", admin, s.getConnector)
	app.Patch("/api/admin/connectors/:id", admin, s.updateConnector)
	app.Post("/api/admin/connectors/:id/rotate", admin, s.rotateSecret)
	app.Post("/api/admin/connectors/:id/rotate-key", admin, s.rotateKey)
	app.Get("/api/admin/inbox", admin, s.listInbox)
	app.Get("/api/admin/inbox/:id", admin, s.getInboxItem)
	app.Post("/api/admin/inbox/replay", admin, s.replayInbox)
	app.Post("/api/admin/inbox/:id/dismiss", admin, s.dismissInboxItem)
	app.Post("/api/admin/inbox/:id/assign", admin, s.assignInboxItem)
	app.Get("/api/admin/tasks", admin, s.listTasks)
	app.Post("/api/admin/mappings", admin, s.saveMappings)
	app.Get("/api/admin/mappings", admin, s.listMappings)
	app.Post("/api/admin/mappings/test", admin, s.testMappings)
	app.Post("/api/admin/mappings/rules", admin, s.addMapping)
	app.Put("/api/admin/mappings/:id", admin, s.replaceMapping)
	app.Delete("/api/admin/mappings/:id", admin, s.deleteMapping)
	app.Get("/api/admin/identities", admin, s.listIdentities)
	app.Get("/api/admin/identities/:id", admin, s.getIdentity)
	app.Post("/api/admin/identities/:id/link", admin, s.linkIdentity)
	for path := range entityRoutes {
		app.Post("/api/admin/"+path, admin, s.createEntity)
		app.Get("/api/admin/"+path, admin, s.listEntities)
		app.Get("/api/admin/"+path+"/:id", admin, s.getEntity)
		app.Patch("/api/admin/"+path+"/:id", admin, s.updateEntity)
		app.Delete("/api/admin/"+path+"/:id", admin, s.deleteEntity)
	}
	app.Post("/api/admin/alerts", admin, s.createAlert)
	app.Get("/api/admin/alerts", admin, s.listAlerts)
	app.Post("/api/admin/alerts/test", admin, s.testAlert)
	app.Get("/api/admin/alerts/:id", admin, s.getAlert)
	app.Patch("/api/admin/alerts/:id", admin, s.updateAlert)
	app.Delete("/api/admin/alerts/:id", admin, s.deleteAlert)
	app.Get("/api/admin/alerts/:id/events", admin, s.listAlertEvents)
	app.Get("/api/admin/users", admin, s.listUsers)
	app.Get("/api/admin/activities", admin, s.listActivities)
	app.Get("/api/admin/activities/aggregate", admin, s.aggregateActivities)
	app.Get("/api/admin/activities/:id", admin, s.getActivity)
	app.Get("/api/admin/sales", admin, s.listSales)
	app.Get("/api/admin/sales/aggregate", admin, s.aggregateSales)
	app.Get("/api/admin/sales/:id", admin, s.getSale)

	ingest := s.auth.require(accessIngest)
	// Calls that start workflows share the in-flight cap, checked first.
	shed := s.inFlight.limit
	app.Post("/api/ingest/metric", shed, ingest, s.ingestMetric)
	app.Post("/api/ingest/batch", shed, ingest, s.ingestBatch)
	app.Post("/api/ingest/data", shed, ingest, s.ingestData)
	app.Post("/api/ingest/tasks", shed, ingest, s.ingestTasks)
	// A connector's key reads its own connector's calls only (ingestStatus).
	app.Get("/api/ingest/:id", s.auth.require(accessConnector), s.ingestStatus)
	app.Post("/api/webhooks/custom", shed, ingest, s.customWebhook)
	app.Post("/api/webhook/:provider", s.webhookBody, shed, s.webhook)
	// A connector's own key may call its connector's URLs only.
	connectorKey := s.auth.require(accessConnector)
	app.Post("/api/connectors/:id/activities", shed, connectorKey, s.ingestActivity)
	app.Post("/api/connectors/:id/sales", shed, connectorKey, s.ingestSale)
}

// App is the Fiber app, for Listen and for tests' app.Test.
func (s *Server) App() *fiber.App { return s.app }

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting calls and waits for those in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.app.ShutdownWithContext(ctx)
	s.accepted.stopRecording()
	return errors.Join(err, s.failures.close(ctx))
}

// proxyHeader is where the client's address is read from behind trusted
// proxies; none without them.
func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}
