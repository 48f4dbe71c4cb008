//go:build !nodev

package main_test

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestBenchAgainstDev runs a small `intake bench` against `intake dev`:
// every kind and the bare baseline report their figures, nothing is lost,
// and each call costs at most the six history events and one workflow task
// of a lone call (calls may share a workflow), counted persistence requests
// and writes and the target's CPU per call included.
func TestBenchAgainstDev(t *testing.T) {
	d := startDev(t, "--ephemeral")
	cmd := exec.Command(binary, "bench", "--url", d.api, "--token", d.adminKey, "--temporal-address", d.temporal,
		"--requests", "30", "--concurrency", "4", "--sample", "5", "--verify")
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("intake bench: %v\n%s", err, out)
	}
	report := string(out)
	num := `(\d+\.\d+)`
	kinds := []string{"metric", "batch", "stripe", "generic", "bare"}
	for _, kind := range kinds {
		// kind calls/s accepted/s applied/s metrics/s p50 p95 p99 non2xx events/call tasks/call calls/workflow
		row := regexp.MustCompile(`(?m)^` + kind + `\s+` + num + `\s+` + num + `\s+` + num + `\s+` + num +
			`\s+\S+\s+\S+\s+\S+\s+0\s+` + num + `\s+` + num + `\s+` + num + `$`).FindStringSubmatch(report)
		if row == nil {
			t.Errorf("no %s row with 0 non-2xx and every figure:\n%s", kind, report)
			continue
		}
		f := func(i int) float64 { v, _ := strconv.ParseFloat(row[i], 64); return v }
		if applied, events, tasks, perWF := f(3), f(5), f(6), f(7); applied <= 0 || events <= 0 || events > 6 ||
			tasks <= 0 || tasks > 1 || perWF < 1 {
			t.Errorf("%s: applied/s %v, events/call %v (0–6), tasks/call %v (0–1), calls/workflow %v (≥ 1):\n%s",
				kind, applied, events, tasks, perWF, report)
		}
		persist := regexp.MustCompile(`(?m)^` + kind + `\s+` + num + ` requests/call\s+` + num + ` writes/call`).FindStringSubmatch(report)
		if persist == nil || persist[1] == "0.0" || persist[2] == "0.0" {
			t.Errorf("no %s persistence figures:\n%s", kind, report)
		}
		if cpu := regexp.MustCompile(`(?m)^` + kind + `\s+(\d+\.\d+) ms/call$`).FindStringSubmatch(report); cpu == nil || cpu[1] == "0.000" {
			t.Errorf("no %s CPU per call:\n%s", kind, report)
		}
	}
	if strings.Count(report, "30 accepted, 0 lost") != 4 || !regexp.MustCompile(`(?m)^generic\s.*× applied/s .*\d× calls/CPU-s$`).MatchString(report) {
		t.Fatalf("report:\n%s", report)
	}
}
