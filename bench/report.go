package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// topWrites is how many write (and read) operations a persistence row
// names.
const topWrites = 6

// Report prints the results: a table, one line per verified kind, the
// Temporal persistence requests per call, then intake ÷ bare.
//
// Table columns, one row per kind and bare run:
//   - calls/s: answers (2xx or not) per second of the kind's run;
//     accepted/s: 2xx answers per second
//   - applied/s: calls done per second, from the kind's first request to
//     the last call's own completion (completed_at, or its workflow's close
//     time); "-" without --verify
//   - metrics/s: metric updates per second (calls/s × updates per call)
//   - p50, p95, p99: answer latency; non2xx: answers not 2xx and
//     transport errors
//   - events/call, tasks/call: history events and workflow tasks of up to
//     --sample distinct workflows over the calls they carried (two
//     decimals: a shared workflow's share of one task is small)
//   - calls/workflow: accepted calls over the distinct workflows they ran in
//
// A verified kind's line: its answers by status, those without
// Retry-After, peak RSS, "N accepted, M lost" and the workflows they ran in.
//
// Persistence rows: persistence requests of the embedded Temporal server
// per accepted call from before the kind's first request until its
// workflow writes had stopped for a second (before verify, whose reads are
// left out), all and writes only (writeOps); under each, the write and the
// read operations most made (0.01 per call or more). "n/a" when the
// target's /metrics does not count them (intake serve). Background work
// (task-queue polls, shard updates, membership) is counted too, so some
// reads grow with the run's length.
//
// CPU rows: the CPU of the target's process (process_cpu_seconds_total on
// its /metrics) per accepted call over the span the persistence requests
// are counted in. Against intake dev it is every part of intake and of its
// Temporal server, and none of the bench's own. Against intake serve it is
// the API's alone.
//
// Ratio rows: calls/s and applied/s over bare's calls/s, p50 over bare's
// p50, and calls per CPU second over bare's (bare's CPU per call over the
// kind's), bare being the mean of its runs first and last.
func Report(w io.Writer, o Options, results []Result) {
	fmt.Fprintf(w, "%d requests per kind, concurrency %d, bare eager start %v\n\n", o.Requests, o.Concurrency, o.Eager)
	fmt.Fprintf(w, "%-8s %9s %10s %9s %10s %9s %9s %9s %7s %12s %10s %14s\n", "kind", "calls/s", "accepted/s", "applied/s",
		"metrics/s", "p50", "p95", "p99", "non2xx", "events/call", "tasks/call", "calls/workflow")
	for _, r := range results {
		fmt.Fprintf(w, "%-8s %9.1f %10.1f %9s %10.1f %9s %9s %9s %7d %12.2f %10.2f %14.1f\n", r.Kind, r.CallsPerSecond(),
			r.AcceptedPerSecond(), rate(r.AppliedPerSecond()), r.MetricsPerSecond(), round(r.P50), round(r.P95), round(r.P99),
			r.Non2xx(), r.EventsPerCall, r.TasksPerCall, r.CallsPerWorkflow())
	}
	for _, r := range results {
		if r.PeakRSS > 0 || r.Verified {
			fmt.Fprintf(w, "%-8s answers %v, %d without Retry-After; peak RSS %.0f MB", r.Kind, r.Status, r.RetryAfterMissing, r.PeakRSS/(1<<20))
			if r.Verified {
				fmt.Fprintf(w, "; %d accepted, %d lost; %d workflows", r.Accepted, r.Lost, r.Workflows)
			}
			fmt.Fprintln(w)
		}
	}
	reportPersistence(w, results)
	reportCPU(w, results)
	reportRatios(w, results)
}

// reportCPU prints the target's CPU per accepted call, when its /metrics
// tells it.
func reportCPU(w io.Writer, results []Result) {
	header := false
	for _, r := range results {
		if r.CPUPerCall() == 0 {
			continue
		}
		if !header {
			fmt.Fprintf(w, "\nCPU of the target's process per accepted call (from the first request until Temporal settled)\n")
			header = true
		}
		fmt.Fprintf(w, "%-8s %8.3f ms/call\n", r.Kind, r.CPUPerCall())
	}
}

// reportPersistence prints each result's persistence requests per call,
// then the write and the read operations most made.
func reportPersistence(w io.Writer, results []Result) {
	fmt.Fprintf(w, "\nTemporal persistence requests per accepted call (all; writes; the writes and the reads most made)\n")
	for _, r := range results {
		requests, writes, ok := r.PersistencePerCall()
		if !ok {
			fmt.Fprintf(w, "%-8s %8s requests/call %6s writes/call\n", r.Kind, "n/a", "n/a")
			continue
		}
		fmt.Fprintf(w, "%-8s %8.1f requests/call %6.1f writes/call\n", r.Kind, requests, writes)
		fmt.Fprintf(w, "%-8s writes: %s\n%-8s reads:  %s\n", "", topOps(r.opsPerCall(true)), "", topOps(r.opsPerCall(false)))
	}
}

// topOps names the first topWrites operations with their counts per call.
func topOps(ops []opCount) string {
	var s []string
	for i, c := range ops {
		if i == topWrites {
			break
		}
		s = append(s, fmt.Sprintf("%s %.2f", c.op, c.n))
	}
	return strings.Join(s, ", ")
}

// reportRatios prints intake ÷ bare, when bare ran.
func reportRatios(w io.Writer, results []Result) {
	var bares []Result
	for _, r := range results {
		if r.Kind == KindBare {
			bares = append(bares, r)
		}
	}
	if len(bares) == 0 {
		return
	}
	var bareRate, bareP50, bareCPU float64
	for _, b := range bares {
		bareRate += b.CallsPerSecond() / float64(len(bares))
		bareP50 += float64(b.P50) / float64(len(bares))
		bareCPU += b.CPUPerCall() / float64(len(bares))
	}
	fmt.Fprintf(w, "\nintake ÷ bare (throughput; latency p50; calls per CPU second of the target; bare is the mean of its runs first and last)\n")
	for _, r := range results {
		if r.Kind == KindBare {
			continue
		}
		applied := "-"
		if a := r.AppliedPerSecond(); a > 0 {
			applied = fmt.Sprintf("%.2f×", a/bareRate)
		}
		cpu := "-"
		if c := r.CPUPerCall(); c > 0 && bareCPU > 0 {
			cpu = fmt.Sprintf("%.2f×", bareCPU/c)
		}
		fmt.Fprintf(w, "%-8s %6.2f× calls/s   %7s applied/s   %6.2f× p50   %7s calls/CPU-s\n", r.Kind, r.CallsPerSecond()/bareRate, applied,
			float64(r.P50)/bareP50, cpu)
	}
}

// rate formats a per-second figure; "-" when unknown.
func rate(v float64) string {
	if v <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}

func round(d time.Duration) time.Duration {
	if d > 10*time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}
