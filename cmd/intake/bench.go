package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"strings"

	"github.com/intakehq/intake/bench"
	"github.com/intakehq/intake/config"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

// benchFlags adds the bench's own flags to the settings' flag set. The
// token is a project admin key: the bench makes its own ingest key, metric
// and Stripe and generic connectors in that project.
func benchFlags(o *bench.Options) func(*flag.FlagSet) {
	return func(fs *flag.FlagSet) {
		fs.IntVar(&o.Requests, "requests", 1000, "bench: calls per kind")
		fs.IntVar(&o.Concurrency, "concurrency", 64, "bench: calls in flight at once; 64 is what the README's figures use")
		fs.Func("kinds", `bench: kinds of call, comma-separated (default "metric,batch,stripe,generic")`, func(v string) error {
			o.Kinds = strings.Split(v, ",")
			return nil
		})
		fs.IntVar(&o.Sample, "sample", 20, "bench: distinct workflows whose histories are read per kind")
		fs.BoolVar(&o.Eager, "eager", true, "bench: start bare workflows eagerly, as intake dev does (false against intake serve)")
		fs.Float64Var(&o.Rate, "rate", 0, "bench: pace calls to this many per second (0: as fast as answered)")
		fs.IntVar(&o.KeyLimit, "key-limit", 1_000_000, "bench: requests per minute of the bench's own key; past it 429")
		fs.IntVar(&o.Alerts, "alerts", 0, "bench: alerts watching the bench's metric, evaluated on every point (they never fire)")
		fs.BoolVar(&o.NoBare, "no-bare", false, "bench: skip the bare baseline (overload runs)")
		fs.BoolVar(&o.Verify, "verify", false, "bench: after each kind, poll every accepted call until done, count the lost "+
			"and report applied/s from each call's own completion time")
	}
}

// runBench runs `intake bench`: metric, batch, signed Stripe and signed
// generic calls over HTTP, between two runs of the bare Temporal baseline
// on the same server (bench.Report documents the output).
func runBench(ctx context.Context, cfg config.Config, conn client.Options, o bench.Options, stdout io.Writer) error {
	o.URL, o.Token = strings.TrimRight(cfg.APIURL, "/"), cfg.Token
	if o.Token == "" {
		return errors.New("--token (INTAKE_TOKEN): a project admin key is required")
	}
	if o.Requests < 1 || o.Concurrency < 1 {
		return errors.New("--requests and --concurrency must be at least 1")
	}
	if len(o.Kinds) == 0 {
		o.Kinds = bench.DefaultKinds
	}
	conn.Logger = sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	tc, err := client.DialContext(ctx, conn)
	if err != nil {
		return err
	}
	defer tc.Close()
	results, err := bench.Run(ctx, o, tc)
	if err != nil {
		return err
	}
	bench.Report(stdout, o, results)
	return nil
}
