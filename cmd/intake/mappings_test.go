//go:build !nodev

// The binary these tests run is built by TestMain in dev_test.go.

package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestAdminMappingsTestOffline(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sample := write("sample.json", `{"TotalIncome": 85000, "TotalExpenses": 60000}`)
	tests := []struct {
		name     string
		rules    string
		wantErr  bool
		wantText []string
	}{
		{"matches", `
source: quickbooks
rules:
  - sourceField: TotalIncome
    metricId: monthly_revenue
  - name: Net margin
    when: payload.TotalIncome > 0
    metric: net_margin
    value: (payload.TotalIncome - payload.TotalExpenses) / payload.TotalIncome * 100
`, false, []string{`"metric": "monthly_revenue"`, `"value": 85000`, `"matched": true`, `"rule": "Net margin"`}},
		{"compile error", `
rules:
  - name: typo
    metric: m
    value: paylod.TotalIncome
`, true, []string{`rule "typo", value:1:1: unknown name paylod`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(binary, "admin", "mappings", "test", "--file", write("rules.yaml", tt.rules), "--payload", sample)
			cmd.Env = append(os.Environ(), "INTAKE_TOKEN=", "INTAKE_ADMIN_TOKEN=")
			out, err := cmd.CombinedOutput()
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v\n%s", err, tt.wantErr, out)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(string(out), want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
