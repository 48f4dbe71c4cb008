// Command intake runs the integration hub: `intake dev` (everything in one
// process), `intake serve` and `intake worker` (production), and
// `intake admin` (a client of the admin API).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	// The zone database travels in the binary: SalesDash connectors read
	// local times in IANA zones, and slim images may lack /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/intakehq/intake/bench"
	"github.com/intakehq/intake/config"
	"go.temporal.io/sdk/client"
)

const usage = `intake: an integration hub on Temporal

Usage:
  intake dev [flags]       API, worker, embedded Temporal server and UI, SQLite: one process
  intake serve [flags]     the HTTP API, against TEMPORAL_ADDRESS and DATABASE_URL
  intake worker [flags]    the Temporal worker, against TEMPORAL_ADDRESS and DATABASE_URL
  intake admin ...         manage projects, keys and metrics through the API
  intake bench [flags]     measure a running intake against a bare Temporal workflow
  intake migrate up|status   apply or list the database migrations (DATABASE_URL)
  intake probe URL         exit 0 when GET URL answers 2xx (a container healthcheck)

Run 'intake <command> -h' for the flags; each is also an environment variable.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	command := args[0]
	if command == "probe" {
		return runProbe(ctx, args[1:], stderr)
	}
	var benchOpts bench.Options
	var extra []func(*flag.FlagSet)
	if command == "bench" {
		extra = append(extra, benchFlags(&benchOpts))
	}
	cfg, rest, err := config.Load(command, args[1:], getenv, stderr, extra...)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "intake %s: %v\n", command, err)
		return 2
	}
	var conn client.Options
	switch command {
	case "serve", "worker", "bench":
		if conn, err = temporalConnection(&cfg, getenv); err != nil {
			fmt.Fprintf(stderr, "intake %s: %v\n", command, err)
			return 2
		}
	case "dev":
		// The embedded server: a user's temporal.toml, perhaps pointing at
		// Temporal Cloud, has no say here.
		if cfg.TemporalNamespace == "" {
			cfg.TemporalNamespace = config.DefaultTemporalNamespace
		}
	}
	switch command {
	case "dev":
		err = runDev(ctx, cfg, stdout)
	case "serve":
		err = runServe(ctx, cfg, conn)
	case "worker":
		err = runWorker(ctx, cfg, conn)
	case "admin":
		err = runAdmin(ctx, cfg, rest, stdout)
	case "migrate":
		err = runMigrate(ctx, cfg, rest, stdout)
	case "bench":
		err = runBench(ctx, cfg, conn, benchOpts, stdout)
	default:
		fmt.Fprintf(stderr, "intake: unknown command %q\n\n%s", command, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "intake %s: %v\n", command, err)
		return 1
	}
	return 0
}
