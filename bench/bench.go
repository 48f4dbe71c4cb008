// Package bench drives a running intake over HTTP and measures it against
// the floor Temporal itself sets: a bare workflow with one no-op local
// activity, started and awaited the same way on the same server.
package bench

import (
	"context"
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
	// Kinds to run: metric, batch, stripe, generic (bare always runs).
	Kinds []string
	// Sample is how many distinct workflows per kind have their history
	// read.
	Sample int
	// Eager starts bare workflows eagerly, as intake dev does.
	Eager bool
	// Rate, when set, paces requests to this many per second (overload).
	Rate float64
	// KeyLimit is the bench key's requests per minute; past it, 429.
	KeyLimit int
	// Verify polls every accepted call until it is done, counts the ones
	// that never are, and takes each call's own completion time for
	// applied/s.
	Verify bool
	// NoBare skips the bare baseline (overload runs).
	NoBare bool
	// Alerts is how many alerts watch the bench's metric: each is
	// evaluated on every point and never fires (value < 0), the cost
	// every call pays when a metric is watched.
	Alerts int
}

// Result is one kind's figures.
type Result struct {
	Kind          string
	Calls         int
	Metrics       int // metric updates per call
	Start         time.Time
	Elapsed       time.Duration
	P50, P95, P99 time.Duration
	Status        map[int]int
	Errors        int
	// EventsPerCall and TasksPerCall are the sampled workflows' history
	// events and workflow tasks over the calls they carried: under load
	// one workflow may carry several calls.
	EventsPerCall, TasksPerCall float64
	// Workflows is how many distinct workflows WorkflowCalls accepted
	// calls ran in.
	Workflows, WorkflowCalls int
	// RetryAfterMissing counts 429/503 answers without Retry-After.
	RetryAfterMissing int
	// PeakRSS is the most resident memory intake's /metrics reported
	// during the kind's run; 0 when it reports none.
	PeakRSS float64
	// Accepted counts 2xx answers; Lost those never done (with Verify).
	Accepted, Lost int
	Verified       bool
	// Applied counts accepted calls seen done (with Verify); LastDone is
	// the latest of their own completion times.
	Applied  int
	LastDone time.Time
	// Persistence is the embedded Temporal server's persistence requests
	// per operation from before the kind started until its workflow
	// writes settled, before verify; nil when the target's /metrics has
	// none (intake serve).
	Persistence map[string]float64
	// CPUSeconds is the CPU the target's process used over the same span
	// (its process_cpu_seconds_total); 0 when its /metrics has none.
	CPUSeconds float64
}

// CPUPerCall is the target's CPU per accepted call, in milliseconds; 0
// when not known.
func (r Result) CPUPerCall() float64 {
	if r.CPUSeconds <= 0 || r.Accepted == 0 {
		return 0
	}
	return r.CPUSeconds * 1000 / float64(r.Accepted)
}

// CallsPerSecond is the kind's throughput in answers, 2xx or not.
func (r Result) CallsPerSecond() float64 { return float64(r.Calls) / r.Elapsed.Seconds() }

// AcceptedPerSecond is the throughput in 2xx answers.
func (r Result) AcceptedPerSecond() float64 { return float64(r.Accepted) / r.Elapsed.Seconds() }

// AppliedPerSecond is the throughput in calls done: applied calls over the
// time from the first request until the last of them was done, by its own
// completion time; 0 when not known (no Verify).
func (r Result) AppliedPerSecond() float64 {
	d := r.LastDone.Sub(r.Start)
	if r.Applied == 0 || d <= 0 {
		return 0
	}
	return float64(r.Applied) / d.Seconds()
}

// CallsPerWorkflow is the mean number of accepted calls their workflows
// carried; 0 when none was resolved.
func (r Result) CallsPerWorkflow() float64 {
	if r.Workflows == 0 {
		return 0
	}
	return float64(r.WorkflowCalls) / float64(r.Workflows)
}

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

// outcome is one request's: its status, latency, the call's ingest ID and
// workflow (from the answer, or resolved later) and, once seen done, its
// own completion time.
type outcome struct {
	status     int
	latency    time.Duration
	ingestID   string
	workflowID string
	webhook    bool
	retryAfter bool
	done       time.Time
	err        error
}

// accepted reports a 2xx answer.
func (o outcome) accepted() bool { return o.err == nil && o.status >= 200 && o.status < 300 }

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
	res := Result{Kind: kind, Calls: n, Metrics: 1, Start: start, Elapsed: time.Since(start), Status: map[int]int{}}
	lat := make([]time.Duration, 0, n)
	for _, o := range outs {
		if o.err != nil {
			res.Errors++
			continue
		}
		res.Status[o.status]++
		lat = append(lat, o.latency)
		if o.accepted() {
			res.Accepted++
		}
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

// drain reads and closes an answer so its connection is reused.
func drain(r *http.Response) {
	_, _ = io.Copy(io.Discard, r.Body)
	_ = r.Body.Close()
}
