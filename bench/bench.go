// Package bench drives a running intake over HTTP and measures it against
// the floor Temporal itself sets: a bare workflow with one no-op local
// activity, started and awaited the same way on the same server.
package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Options are one bench run's settings.
type Options struct {
	// URL is intake's base URL; Token a project admin key.
	URL, Token string
	// Requests per kind, sent by Concurrency workers.
	Requests, Concurrency int
	// Kinds to run: metric, batch, stripe (bare always runs).
	Kinds []string
	// Sample is how many calls per kind have their history read.
	Sample int
	// Eager starts bare workflows eagerly, as intake dev does.
	Eager bool
	// Rate, when set, paces requests to this many per second (overload).
	Rate float64
	// KeyLimit is the bench key's requests per minute; past it, 429.
	KeyLimit int
	// Verify polls every accepted call until it is done and counts the
	// ones that never are.
	Verify bool
	// NoBare skips the bare baseline (overload runs).
	NoBare bool
}

// Result is one kind's figures.
type Result struct {
	Kind          string
	Calls         int
	Metrics       int // metric updates per call
	Elapsed       time.Duration
	P50, P95, P99 time.Duration
	Status        map[int]int
	Errors        int
	// EventsPerCall and TasksPerCall are medians over the sampled
	// histories.
	EventsPerCall, TasksPerCall float64
	// RetryAfterMissing counts 429/503 answers without Retry-After.
	RetryAfterMissing int
	// PeakRSS is the most resident memory intake's /metrics reported
	// during the kind's run; 0 when it reports none.
	PeakRSS float64
	// Accepted counts 2xx answers; Lost those never done (with Verify).
	Accepted, Lost int
	Verified       bool
}

// CallsPerSecond is the kind's throughput.
func (r Result) CallsPerSecond() float64 { return float64(r.Calls) / r.Elapsed.Seconds() }

// MetricsPerSecond is the throughput in metric updates.
func (r Result) MetricsPerSecond() float64 { return r.CallsPerSecond() * float64(r.Metrics) }

// Non2xx counts answers that were not 2xx, transport errors included.
func (r Result) Non2xx() int {
	n := r.Errors
	for code, c := range r.Status {
		if code < 200 || code > 299 {
			n += c
		}
	}
	return n
}

// outcome is one request's: its status, latency and the workflow it
// started (from the answer), for sampling.
type outcome struct {
	status     int
	latency    time.Duration
	workflowID string
	retryAfter bool
	err        error
}

// drive runs n calls of one through concurrency workers, paced to rate
// per second when rate > 0, and gathers the figures.
func drive(ctx context.Context, kind string, n, concurrency int, rate float64, one func(ctx context.Context, i int) outcome) (Result, []outcome) {
	outs := make([]outcome, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if rate > 0 {
					due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
					time.Sleep(time.Until(due))
				}
				t0 := time.Now()
				o := one(ctx, i)
				o.latency = time.Since(t0)
				outs[i] = o
			}
		}()
	}
	wg.Wait()
	res := Result{Kind: kind, Calls: n, Metrics: 1, Elapsed: time.Since(start), Status: map[int]int{}}
	lat := make([]time.Duration, 0, n)
	for _, o := range outs {
		if o.err != nil {
			res.Errors++
			continue
		}
		res.Status[o.status]++
		lat = append(lat, o.latency)
		if (o.status == 429 || o.status == 503) && !o.retryAfter {
			res.RetryAfterMissing++
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res.P50, res.P95, res.P99 = quantile(lat, 0.50), quantile(lat, 0.95), quantile(lat, 0.99)
	return res, outs
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(q*float64(len(sorted)-1))]
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	return v[len(v)/2]
}

// Report prints the results as a table, then intake ÷ bare.
func Report(w io.Writer, o Options, results []Result) {
	fmt.Fprintf(w, "%d requests per kind, concurrency %d, bare eager start %v\n\n", o.Requests, o.Concurrency, o.Eager)
	fmt.Fprintf(w, "%-8s %9s %10s %9s %9s %9s %7s %12s %10s\n", "kind", "calls/s", "metrics/s", "p50", "p95", "p99", "non2xx",
		"events/call", "tasks/call")
	var bares []Result
	for _, r := range results {
		if r.Kind == KindBare {
			bares = append(bares, r)
		}
		fmt.Fprintf(w, "%-8s %9.1f %10.1f %9s %9s %9s %7d %12.1f %10.1f\n", r.Kind, r.CallsPerSecond(), r.MetricsPerSecond(),
			round(r.P50), round(r.P95), round(r.P99), r.Non2xx(), r.EventsPerCall, r.TasksPerCall)
	}
	for _, r := range results {
		if r.PeakRSS > 0 || r.Verified {
			fmt.Fprintf(w, "%-8s answers %v, %d without Retry-After; peak RSS %.0f MB", r.Kind, r.Status, r.RetryAfterMissing, r.PeakRSS/(1<<20))
			if r.Verified {
				fmt.Fprintf(w, "; %d accepted, %d lost", r.Accepted, r.Lost)
			}
			fmt.Fprintln(w)
		}
	}
	if len(bares) == 0 {
		return
	}
	var bareRate, bareP50 float64
	for _, b := range bares {
		bareRate += b.CallsPerSecond() / float64(len(bares))
		bareP50 += float64(b.P50) / float64(len(bares))
	}
	fmt.Fprintf(w, "\nintake ÷ bare (throughput; latency p50; bare is the mean of its runs first and last)\n")
	for _, r := range results {
		if r.Kind != KindBare {
			fmt.Fprintf(w, "%-8s %6.2f× calls/s   %6.2f× p50\n", r.Kind, r.CallsPerSecond()/bareRate, float64(r.P50)/bareP50)
		}
	}
}

func round(d time.Duration) time.Duration {
	if d > 10*time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}

// drain reads and closes an answer so its connection is reused.
func drain(r *http.Response) {
	_, _ = io.Copy(io.Discard, r.Body)
	_ = r.Body.Close()
}
