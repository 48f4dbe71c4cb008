package api_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDashelloClients runs the Dashello docs' curl, Node.js and Python
// snippets against the real server: only the base URL changes.
func TestDashelloClients(t *testing.T) {
	tests := []struct {
		name string
		cmd  []string
	}{
		{"curl", []string{"curl", "-sS", "--fail-with-body", "-X", "POST", e2e.base + "/api/ingest/metric",
			"-H", "Authorization: Bearer $INTAKE_KEY", "-H", "Content-Type: application/json",
			"-d", `{"metric": "revenue", "value": 12345, "source": "api"}`}},
		{"node", []string{"node", filepath.Join("testdata", "compat", "dashello.mjs")}},
		{"python", []string{"python3", filepath.Join("testdata", "compat", "dashello.py")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The docs promise these clients work: a machine without them
			// cannot show it, and fails rather than skips (.ci/run
			// installs them when missing).
			if _, err := exec.LookPath(tt.cmd[0]); err != nil {
				t.Fatalf("%s is not installed: the Dashello client snippets need curl, node and python3 (apt-get install curl nodejs python3)", tt.cmd[0])
			}
			p := newProject(t)
			args := make([]string, len(tt.cmd))
			for i, a := range tt.cmd {
				args[i] = strings.ReplaceAll(a, "$INTAKE_KEY", p.ingestKey)
			}
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Env = append(os.Environ(), "INTAKE_URL="+e2e.base, "INTAKE_KEY="+p.ingestKey)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), `"new_value":"$12,345.00"`) {
				t.Fatalf("%s: %v\n%s", tt.name, err, out)
			}
			if pts := p.points(t); len(pts) != 1 || pts[0].Value != 12345 || pts[0].Source != "api" {
				t.Fatalf("points %+v", pts)
			}
		})
	}
}
