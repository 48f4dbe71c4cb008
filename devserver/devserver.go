// Package devserver runs the Temporal server and Temporal Web UI inside the
// intake process for `intake dev` and the end-to-end tests, the way Temporal's
// own CLI runs `temporal server start-dev`: a config built in code, SQLite
// persistence, one history shard and static hosts.
//
// It is the only package that imports go.temporal.io/server; binaries built
// with the `nodev` tag leave it out and are a fraction of the size.
package devserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/common/primitives/timestamp"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

// Options configure one embedded server.
type Options struct {
	// IP the frontend and UI listen on; 127.0.0.1 when empty.
	IP string
	// Port of the frontend's gRPC API; a free port when 0.
	Port int
	// UIPort of the Web UI; no UI when 0.
	UIPort int
	// DataDir holds temporal.db and temporal-visibility.db; empty keeps
	// everything in memory.
	DataDir string
	// Namespace is created at first start.
	Namespace string
	// Retention of closed workflows in Namespace.
	Retention time.Duration
	// SearchAttributes are registered on Namespace when it is created.
	SearchAttributes map[string]enumspb.IndexedValueType
	// CodecEndpoint is the remote codec the UI decodes payloads with;
	// none when empty.
	CodecEndpoint string
	// LogLevel of the server's own log (debug, info, warn, error); warn when empty.
	LogLevel string
	// TLS, when set, serves the frontend over TLS (tests of a TLS
	// connection); plaintext when nil.
	TLS *TLS
	// FreshSearchAttributes is how long after start every service reads
	// the search attributes from the database on each use, so that those
	// added at start (to a data dir an older intake made) are known to all
	// at once; then they are cached, as in production. When 0:
	// none when this start made the namespace with SearchAttributes (the
	// ones its caller needs), else DefaultFreshSearchAttributes.
	FreshSearchAttributes time.Duration
}

// DefaultFreshSearchAttributes covers the start of `intake dev`, which
// adds its search attributes right after the server starts.
const DefaultFreshSearchAttributes = 2 * time.Minute

// TLS is the frontend's certificate and, for mutual TLS, the CA its
// clients' certificates must chain to. The server's own system workers
// (Schedules run there) connect with ClientCert, trusting ServerCA.
type TLS struct {
	CertFile, KeyFile string
	// ClientCAFile, when set, requires clients to present a certificate.
	ClientCAFile string
	// ServerCAFile is the CA of CertFile; ClientCertFile and ClientKeyFile
	// are the system workers' certificate (required with ClientCAFile).
	ServerCAFile, ClientCertFile, ClientKeyFile string
	// ServerName is a name CertFile holds, for the system workers.
	ServerName string
}

// Server is a running embedded Temporal server and, optionally, its UI.
type Server struct {
	server   temporal.Server
	ui       *uiserver.Server
	log      *stoppingLogger
	frontend string
	uiURL    string
	// persistence counts the server's persistence requests per operation.
	persistence *persistenceCounter
}

// Start checks that the ports are free, then starts the server and the UI.
// It returns once the frontend accepts calls.
func Start(o Options) (*Server, error) {
	if o.IP == "" {
		o.IP = "127.0.0.1"
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.Retention <= 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.LogLevel == "" {
		o.LogLevel = "warn"
	}
	if o.Port == 0 {
		p, err := FreePort(o.IP)
		if err != nil {
			return nil, err
		}
		o.Port = p
	} else if err := checkPort(o.IP, o.Port, "Temporal frontend"); err != nil {
		return nil, err
	}
	if o.UIPort != 0 {
		if err := checkPort(o.IP, o.UIPort, "Temporal UI"); err != nil {
			return nil, err
		}
	}
	st, err := o.stores()
	if err != nil {
		return nil, err
	}
	conf, err := o.serverConfig(st)
	if err != nil {
		return nil, err
	}
	logger := &stoppingLogger{Logger: log.NewZapLogger(log.BuildZapLogger(log.Config{Level: o.LogLevel, Format: "console"}))}
	fresh := o.FreshSearchAttributes
	if fresh == 0 && !(st.created && len(o.SearchAttributes) > 0) {
		fresh = DefaultFreshSearchAttributes
	}
	dyn := settings{static: dynamicconfig.StaticClient{
		// A dev server has one user: let the UI and tests list workflows freely.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
	}, freshUntil: time.Now().Add(fresh)}
	counter := newPersistenceCounter()
	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(staticHosts(conf)),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dyn),
		temporal.WithCustomMetricsHandler(counter),
	)
	if err != nil {
		return nil, fmt.Errorf("temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start temporal server: %w", err)
	}
	s := &Server{server: srv, log: logger, frontend: net.JoinHostPort(o.IP, strconv.Itoa(o.Port)), persistence: counter}
	if o.UIPort != 0 {
		s.uiURL = "http://" + net.JoinHostPort(o.IP, strconv.Itoa(o.UIPort))
		s.ui = uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
			Host:                o.IP,
			Port:                o.UIPort,
			TemporalGRPCAddress: s.frontend,
			EnableUI:            true,
			DefaultNamespace:    o.Namespace,
			CORS:                uiconfig.CORS{CookieInsecure: true},
			HideLogs:            true,
			DisableNewsFetch:    true,
			Codec:               uiconfig.Codec{Endpoint: o.CodecEndpoint},
		}))
		go func() {
			// Start blocks until Stop; the port was checked above, so an error
			// here is rare and leaves the API and worker running.
			if err := s.ui.Start(); err != nil {
				logger.Error("Temporal UI stopped: " + err.Error())
			}
		}()
	}
	return s, nil
}

// settings is the server's dynamic config. Refreshing the search
// attributes on every read, as Temporal's CLI dev server does, costs a
// read of the cluster metadata for every workflow started (1.6 persistence
// requests a call under load against 0.6 without), so it is done only
// while the attributes may still change.
type settings struct {
	static     dynamicconfig.StaticClient
	freshUntil time.Time
}

func (s settings) GetValue(key dynamicconfig.Key) []dynamicconfig.ConstrainedValue {
	if key == dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key() {
		return []dynamicconfig.ConstrainedValue{{Value: time.Now().Before(s.freshUntil)}}
	}
	return s.static.GetValue(key)
}

// FrontendAddress is host:port of the gRPC frontend, for SDK clients.
func (s *Server) FrontendAddress() string { return s.frontend }

// UIURL is the Web UI's base URL, or "" without a UI.
func (s *Server) UIURL() string { return s.uiURL }

// Stop shuts the UI and the server down.
func (s *Server) Stop() error {
	s.log.stopping.Store(true)
	if s.ui != nil {
		s.ui.Stop()
	}
	return s.server.Stop()
}

// stoppingLogger drops warnings once Stop has begun: while the services shut
// down one by one they warn about each other being gone, which is expected.
type stoppingLogger struct {
	log.Logger
	stopping atomic.Bool
}

func (l *stoppingLogger) Warn(msg string, tags ...tag.Tag) {
	if !l.stopping.Load() {
		l.Logger.Warn(msg, tags...)
	}
}

func (o Options) serverConfig(st stores) (*config.Config, error) {
	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = o.IP
	conf.Persistence.DefaultStore = "sqlite"
	conf.Persistence.VisibilityStore = "sqlite"
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite": {SQL: st.exec}}
	if st.vis != nil {
		conf.Persistence.VisibilityStore = "sqlite-visibility"
		conf.Persistence.DataStores["sqlite-visibility"] = config.DataStore{SQL: st.vis}
	}
	httpPort, err := FreePort(o.IP)
	if err != nil {
		return nil, err
	}
	frontend := net.JoinHostPort(o.IP, strconv.Itoa(o.Port))
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        "active",
		CurrentClusterName:       "active",
		ClusterInformation: map[string]cluster.ClusterInformation{"active": {
			Enabled:                true,
			InitialFailoverVersion: 1,
			RPCAddress:             frontend,
			HTTPAddress:            net.JoinHostPort(o.IP, strconv.Itoa(httpPort)),
			ClusterID:              uuid.NewString(),
		}},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{}
	for _, name := range []string{"frontend", "history", "matching", "worker"} {
		port := o.Port
		if name != "frontend" {
			if port, err = FreePort(o.IP); err != nil {
				return nil, err
			}
		}
		svc := config.Service{}
		svc.RPC.GRPCPort = port
		svc.RPC.BindOnIP = o.IP
		if name == "frontend" {
			svc.RPC.HTTPPort = httpPort
		}
		conf.Services[name] = svc
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = frontend
	if t := o.TLS; t != nil {
		conf.Global.TLS.Frontend.Server = config.ServerTLS{CertFile: t.CertFile, KeyFile: t.KeyFile}
		if t.ClientCAFile != "" {
			conf.Global.TLS.Frontend.Server.ClientCAFiles = []string{t.ClientCAFile}
			conf.Global.TLS.Frontend.Server.RequireClientAuth = true
		}
		conf.Global.TLS.SystemWorker = config.WorkerTLS{CertFile: t.ClientCertFile, KeyFile: t.ClientKeyFile,
			Client: config.ClientTLS{ServerName: t.ServerName, RootCAFiles: []string{t.ServerCAFile}}}
	}
	return &conf, nil
}

// stores are the server's SQLite databases: one of executions and one of
// visibility (nil: the executions' file holds both, as in a data dir an
// older intake made). Visibility has its own file because SQLite has one
// writer per file: recording a closed workflow rewrites its row in nearly
// sixty indexes and two full-text tables, and in the executions' file
// every workflow start waited behind that.
type stores struct {
	exec, vis *config.SQL
	// created: the namespace, with its search attributes, was made by this
	// start, so no attribute can be missing from it.
	created bool
}

const visibilityFile = "temporal-visibility.db"

func (o Options) stores() (stores, error) {
	base := config.SQL{PluginName: sqliteplugin.PluginName}
	if o.DataDir == "" {
		// In memory, the SQLite plugin creates the schema itself.
		memory := func(name string) *config.SQL {
			c := base
			c.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
			c.DatabaseName = name + "-" + uuid.NewString()
			return &c
		}
		return o.withNamespace(stores{exec: memory("temporal"), vis: memory("temporal-visibility"), created: true})
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return stores{}, fmt.Errorf("data dir: %w", err)
	}
	file := func(name string) (*config.SQL, bool, error) {
		c := base
		c.DatabaseName = filepath.Join(o.DataDir, name)
		c.ConnectAttributes = map[string]string{
			"mode": "rwc", "journal_mode": "wal", "synchronous": "normal", "busy_timeout": "10000",
		}
		if _, err := os.Stat(c.DatabaseName); !errors.Is(err, os.ErrNotExist) {
			return &c, false, err
		}
		if err := sqliteschema.SetupSchema(&c); err != nil {
			return nil, false, fmt.Errorf("temporal schema: %w", err)
		}
		return &c, true, nil
	}
	var st stores
	var err error
	if st.exec, st.created, err = file("temporal.db"); err != nil {
		return stores{}, err
	}
	visPath := filepath.Join(o.DataDir, visibilityFile)
	_, err = os.Stat(visPath)
	switch {
	case st.created && err == nil:
		// Left from executions that are gone: it would list workflows
		// that no longer exist.
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(visPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return stores{}, fmt.Errorf("stale visibility store: %w", err)
			}
		}
	case !st.created && errors.Is(err, os.ErrNotExist):
		return o.withNamespace(st) // an older intake's data dir: visibility stays where its records are
	}
	if st.vis, _, err = file(visibilityFile); err != nil {
		return stores{}, err
	}
	return o.withNamespace(st)
}

// withNamespace creates o's namespace in the executions' store, unless it
// exists.
func (o Options) withNamespace(st stores) (stores, error) {
	ns, err := sqliteschema.NewNamespaceConfig("active", o.Namespace, false, o.SearchAttributes)
	if err != nil {
		return stores{}, fmt.Errorf("namespace: %w", err)
	}
	ns.Detail.Config.Retention = timestamp.DurationPtr(o.Retention)
	if err := sqliteschema.CreateNamespaces(st.exec, ns); err != nil {
		return stores{}, fmt.Errorf("namespace: %w", err)
	}
	return st, nil
}

func staticHosts(conf *config.Config) map[primitives.ServiceName]static.Hosts {
	host := func(name string) static.Hosts {
		svc := conf.Services[name]
		return static.SingleLocalHost(net.JoinHostPort(svc.RPC.BindOnIP, strconv.Itoa(svc.RPC.GRPCPort)))
	}
	return map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: host("frontend"),
		primitives.HistoryService:  host("history"),
		primitives.MatchingService: host("matching"),
		primitives.WorkerService:   host("worker"),
	}
}

// checkPort fails with the port's purpose when something already listens
// there: the server and the UI would otherwise exit the whole process.
func checkPort(ip string, port int, what string) error {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d (%s) is in use: %w", port, what, err)
	}
	return l.Close()
}

// FreePort finds a port for a service that binds it only later (the
// server's own, and tests' `intake dev`). Between the two, the kernel could hand the same port to
// another listener on port 0 or to an outgoing connection. A connection
// to the port, closed from the listening side first, leaves that side in
// TIME_WAIT: Linux then avoids handing it to either for about a minute,
// while the service, whose Go listener sets SO_REUSEADDR, can still bind it.
func FreePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return port, nil // the reservation is a refinement; the port is free
	}
	defer c.Close()
	if s, err := l.Accept(); err == nil {
		_ = s.Close()
	}
	return port, nil
}
