//go:build !nodev

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"

	"github.com/intakehq/intake/api"
	"github.com/intakehq/intake/config"
	"github.com/intakehq/intake/devserver"
	"github.com/intakehq/intake/encryption"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/worker"
	"github.com/intakehq/intake/workflows"
	"go.temporal.io/sdk/client"
)

// runDev runs the embedded Temporal server and UI, the worker and the API in
// one process until ctx ends, then stops them in reverse order.
func runDev(ctx context.Context, cfg config.Config, stdout io.Writer) error {
	log := newLogger(cfg)
	dataDir := cfg.DataDir
	if cfg.Ephemeral {
		dataDir = ""
	}
	if err := checkFree(cfg.HTTPAddr, "intake API"); err != nil {
		return err
	}
	uiHost, uiPort, err := splitAddr(cfg.UIAddr)
	if err != nil {
		return fmt.Errorf("INTAKE_UI_ADDR: %w", err)
	}
	ring, keysAt, err := devKeys(cfg, dataDir)
	if err != nil {
		return err
	}
	codecToken := cfg.CodecToken
	if codecToken == "" {
		if codecToken, err = newCodecToken(); err != nil {
			return err
		}
	}
	// The embedded UI decodes payloads through intake's codec endpoint.
	codecOrigins := append([]string{fmt.Sprintf("http://127.0.0.1:%d", uiPort), fmt.Sprintf("http://localhost:%d", uiPort),
		fmt.Sprintf("http://%s:%d", uiHost, uiPort)}, cfg.CodecOrigins...)
	temporalSrv, err := devserver.Start(devserver.Options{
		IP: uiHost, Port: cfg.TemporalPort, UIPort: uiPort, DataDir: dataDir,
		Namespace: cfg.TemporalNamespace, Retention: cfg.Retention,
		SearchAttributes: workflows.SearchAttributes(),
		CodecEndpoint:    "http://" + hostOf(cfg.HTTPAddr) + "/api/codec/ui/" + codecToken,
	})
	if err != nil {
		return err
	}
	defer temporalSrv.Stop()

	dsn := cfg.DatabaseURL
	switch {
	case dsn != "":
	case dataDir == "":
		dsn = ":memory:"
	default:
		dsn = filepath.Join(dataDir, "intake.db")
	}
	st, err := openStore(ctx, dsn, true)
	if err != nil {
		return err
	}
	defer st.Close()
	st.UseKeys(ring)
	go maintainSecrets(ctx, st, log)

	reg := newRegistry()
	reg.MustRegister(temporalSrv.PersistenceCollector()) // for intake bench
	copts := clientOptions(client.Options{HostPort: temporalSrv.FrontendAddress(), Namespace: cfg.TemporalNamespace}, cfg.Compression, true, reg, log)
	encrypt(&copts, ring, cfg.EncryptionCompress)
	tracing, stopTracing, err := startTracing(ctx, "intake", &copts, log)
	if err != nil {
		return err
	}
	defer stopTracing()
	tc, err := dialTemporal(ctx, copts, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	if err := worker.EnsureSearchAttributes(ctx, tc, cfg.TemporalNamespace); err != nil {
		return err
	}
	w := worker.New(tc, worker.Deps{Store: st, StopTimeout: cfg.WorkerStopTimeout, AlertPolicy: alertPolicy(cfg)})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	go ensureAlertSchedule(ctx, tc, cfg.AlertsSweep, log)

	boot, err := loadDevBootstrap(dataDir, cfg.AdminToken)
	if err != nil {
		return err
	}
	srv := api.New(st, tc, api.Options{Tracing: tracing.Enabled(),
		AdminToken: boot.AdminToken, SyncWait: cfg.SyncWait, MaxInFlight: cfg.MaxInFlight, MaxCallsPerWorkflow: cfg.MaxCallsPerWF, CoalesceLinger: cfg.CoalesceLinger, TrustedProxies: cfg.TrustedProxies,
		EagerStart: true, Registry: reg, Logger: log, PublicURL: cfg.PublicURL, AccessLog: cfg.AccessLog,
		Keys: ring, CompressPayloads: cfg.EncryptionCompress, CodecToken: codecToken, CodecOrigins: codecOrigins,
		AlertPolicy: alertPolicy(cfg),
	})
	ui := cfg.TemporalUIURL
	if ui == "" {
		ui = temporalSrv.UIURL()
	}
	mountConsole(srv, st, cfg, boot.AdminToken, ui, log)
	if err := boot.ensureProject(ctx, srv, st, dataDir); err != nil {
		return err
	}
	return serveUntil(ctx, srv, cfg.HTTPAddr, func() {
		printDevBanner(stdout, cfg, temporalSrv, dataDir, dsn, boot, ring, keysAt)
	})
}

func splitAddr(addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return "", 0, err
	}
	if host == "" || host == "localhost" {
		host = "127.0.0.1"
	}
	return host, port, nil
}

func checkFree(addr, what string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s address %s is in use: %w", what, addr, err)
	}
	return l.Close()
}

func printDevBanner(w io.Writer, cfg config.Config, t *devserver.Server, dataDir, dsn string, b devBootstrap, ring *encryption.Keyring, keysAt string) {
	apiURL := "http://" + hostOf(cfg.HTTPAddr)
	data := "in memory (--ephemeral): nothing is kept"
	if dataDir != "" {
		data = dataDir
	}
	db := "SQLite"
	if store.IsPostgresURL(dsn) {
		db = "PostgreSQL (DATABASE_URL)"
	}
	sealed := "off (INTAKE_ENCRYPTION_KEYS=none): payloads go to Temporal in plaintext"
	if ring != nil {
		sealed = fmt.Sprintf("payloads to Temporal sealed with key %s (AES-256-GCM), kept in %s;\n"+
			"                 the Temporal UI decodes them through intake's codec endpoint", ring.Current(), keysAt)
	}
	fmt.Fprintf(w, `
intake dev is running. Ctrl-C stops it.

  API            %s
  Temporal UI    %s
  Temporal       %s (namespace %s)
  Data           %s, store on %s
  Encryption     %s

  Admin token    %s
                 (the instance admin token: creates projects; set INTAKE_ADMIN_TOKEN to choose it)
  Project        %s (%s)
  Admin key      %s
                 (a project API key with scope admin)

Push a metric:
  curl -s %s/api/admin/metrics -H "Authorization: Bearer %s" -d '{"key":"revenue","name":"Revenue","unit":"USD"}'
  curl -s %s/api/ingest/metric -H "Authorization: Bearer %s" -d '{"metric":"revenue","value":12345}'

`, apiURL, t.UIURL(), t.FrontendAddress(), cfg.TemporalNamespace, data, db, sealed,
		b.AdminToken, b.ProjectName, b.ProjectID, b.AdminKey,
		apiURL, b.AdminKey, apiURL, b.AdminKey)
}
