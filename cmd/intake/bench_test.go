//go:build !nodev

package main_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestBenchAgainstDev runs a small `intake bench` against `intake dev`:
// every kind and the bare baseline report their figures, the histories
// read back are six events and one workflow task, and nothing is lost.
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
	for _, kind := range []string{"metric", "batch", "stripe", "bare"} {
		row := regexp.MustCompile(`(?m)^` + kind + `\s+[\d.]+\s+[\d.]+\s+\S+\s+\S+\s+\S+\s+0\s+6\.0\s+1\.0$`)
		if !row.MatchString(report) {
			t.Errorf("no %s row with 0 non-2xx, 6 events and 1 workflow task per call:\n%s", kind, report)
		}
	}
	if strings.Count(report, "30 accepted, 0 lost") != 3 || !strings.Contains(report, "intake ÷ bare") {
		t.Fatalf("report:\n%s", report)
	}
}
