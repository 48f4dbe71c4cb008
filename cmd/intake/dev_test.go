//go:build !nodev

package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intakehq/intake/devserver"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "intake-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "intake")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build intake:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t *testing.T) string {
	t.Helper()
	port, err := devserver.FreePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(port)
}

// devProcess is a running `intake dev` and what its banner said.
type devProcess struct {
	cmd                         *exec.Cmd
	api, ui, temporal, adminKey string
	stderr                      *bytes.Buffer
	exited                      chan error
}

// startDev starts `intake dev` on free ports and waits for its banner. A
// port can be taken between freePort and the bind by another package's
// test running at the same time; then it tries again on new ports.
func startDev(t *testing.T, args ...string) *devProcess {
	t.Helper()
	for attempt := 1; ; attempt++ {
		d, stderr := startDevOnce(t, args...)
		if d != nil {
			return d
		}
		if !strings.Contains(stderr, "in use") || attempt == 3 {
			t.Fatalf("intake dev exited before its banner: %s", stderr)
		}
	}
}

// startDevOnce returns the running process, or nil and its stderr when it
// exited before its banner.
func startDevOnce(t *testing.T, args ...string) (*devProcess, string) {
	t.Helper()
	httpPort, uiPort, temporalPort := freePort(t), freePort(t), freePort(t)
	args = append([]string{"dev", "--http-addr", "127.0.0.1:" + httpPort, "--ui-addr", "127.0.0.1:" + uiPort,
		"--temporal-port", temporalPort}, args...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "INTAKE_ADMIN_TOKEN=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	d := &devProcess{cmd: cmd, api: "http://127.0.0.1:" + httpPort, ui: "http://127.0.0.1:" + uiPort, temporal: "127.0.0.1:" + temporalPort,
		stderr: &bytes.Buffer{}, exited: make(chan error, 1)}
	cmd.Stderr = d.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-d.exited
		}
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(90 * time.Second)
	for d.adminKey == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				<-d.exited // stderr is complete once the process is reaped
				return nil, d.stderr.String()
			}
			if f := strings.Fields(line); len(f) == 3 && f[0] == "Admin" && f[1] == "key" {
				d.adminKey = f[2]
			}
		case <-timeout:
			t.Fatalf("no banner after 90s: %s", d.stderr)
		}
	}
	go func() {
		for range lines {
		}
	}()
	return d, ""
}

// stop sends SIGINT and waits for a clean exit.
func (d *devProcess) stop(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.exited:
		if err != nil {
			t.Fatalf("intake dev exited with %v after SIGINT: %s", err, d.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("intake dev still running 30s after SIGINT")
	}
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	return send(t, "GET", url, token, "")
}

func send(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func TestDevRunsEverythingAndKeepsData(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	d := startDev(t, "--data-dir", dataDir)

	if code, body := get(t, d.api+"/readyz", ""); code != 200 {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	if code, body := get(t, d.ui+"/", ""); code != 200 || !strings.Contains(strings.ToLower(body), "<html") {
		t.Fatalf("Temporal UI: %d %.200s", code, body)
	}
	if code, body := send(t, "POST", d.api+"/api/admin/metrics", d.adminKey, `{"key":"revenue","name":"Revenue","unit":"USD"}`); code != 201 {
		t.Fatalf("create metric: %d %s", code, body)
	}
	code, body := send(t, "POST", d.api+"/api/ingest/metric", d.adminKey, `{"metric":"revenue","value":12345}`)
	if code != 200 || !strings.Contains(body, `"new_value":"$12,345.00"`) {
		t.Fatalf("push: %d %s", code, body)
	}
	var pushed struct {
		IngestID string `json:"ingest_id"`
	}
	_ = json.Unmarshal([]byte(body), &pushed)
	// The call is findable in the Temporal UI by its search attributes.
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, body := get(t, d.ui+"/api/v1/namespaces/default/workflows?query=IntakeKind%3D%22metric%22", "")
		if strings.Contains(body, pushed.IngestID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the UI does not list the call's workflow: %.300s", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, body := get(t, d.api+"/metrics", ""); code != 200 || !strings.Contains(body, "intake_http_requests_total") || !strings.Contains(body, "temporal_") {
		t.Fatalf("/metrics lacks intake or Temporal SDK metrics: %d", code)
	}

	admin := exec.Command(binary, "admin", "metrics", "list")
	admin.Env = append(os.Environ(), "INTAKE_URL="+d.api, "INTAKE_TOKEN="+d.adminKey)
	out, err := admin.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"display": "$12,345.00"`) {
		t.Fatalf("intake admin metrics list: %v\n%s", err, out)
	}

	// A second instance on the same ports says which port is taken.
	second := exec.Command(binary, "dev", "--data-dir", t.TempDir(), "--http-addr", strings.TrimPrefix(d.api, "http://"))
	if out, err := second.CombinedOutput(); err == nil || !strings.Contains(string(out), "in use") {
		t.Fatalf("second instance: %v\n%s", err, out)
	}

	d.stop(t)

	// Everything survives a restart on the same data dir.
	again := startDev(t, "--data-dir", dataDir)
	if again.adminKey != d.adminKey {
		t.Fatalf("admin key changed across restarts")
	}
	if code, body := get(t, again.api+"/api/ingest/"+pushed.IngestID, again.adminKey); code != 200 || !strings.Contains(body, `"status":"done"`) {
		t.Fatalf("call lost across restart: %d %s", code, body)
	}
	code, body = send(t, "POST", again.api+"/api/ingest/metric", again.adminKey, `{"metric":"revenue","value":1}`)
	if code != 200 || !strings.Contains(body, `"previous_value":"$12,345.00"`) {
		t.Fatalf("push after restart: %d %s", code, body)
	}
	again.stop(t)
}

func TestDevEphemeralKeepsNothing(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "never")
	d := startDev(t, "--data-dir", dataDir, "--ephemeral")
	if code, body := get(t, d.api+"/readyz", ""); code != 200 {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	if code, body := send(t, "POST", d.api+"/api/ingest/metric", d.adminKey, `{"metric":"x","value":1}`); code != 200 || !strings.Contains(body, `"inboxed":true`) {
		t.Fatalf("push: %d %s", code, body)
	}
	// intake probe, the healthcheck of images without a shell.
	for _, tt := range []struct {
		url  string
		exit int
	}{{d.api + "/readyz", 0}, {d.api + "/nowhere", 1}, {"http://127.0.0.1:1/readyz", 1}} {
		probe := exec.Command(binary, "probe", tt.url)
		out, _ := probe.CombinedOutput()
		if got := probe.ProcessState.ExitCode(); got != tt.exit {
			t.Errorf("intake probe %s: exit %d, want %d: %s", tt.url, got, tt.exit, out)
		}
	}
	d.stop(t)
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Fatalf("--ephemeral wrote %s", dataDir)
	}
}

// TestDevTracesACall: with an OTLP endpoint set, one call is one trace,
// continuing the caller's traceparent, from the HTTP request through the
// workflow start to the workflow and its activity.
func TestDevTracesACall(t *testing.T) {
	col := newCollector(t)
	for _, kv := range col.env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	d := startDev(t, "--ephemeral")
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest("POST", d.api+"/api/ingest/metric", strings.NewReader(`{"metric":"traced","value":1}`))
	req.Header.Set("Authorization", "Bearer "+d.adminKey)
	req.Header.Set("Traceparent", traceparent(traceID))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("push: %d", resp.StatusCode)
	}
	spans := col.trace(t, traceID, "POST /api/ingest/metric", "StartWorkflow:Ingest", "RunWorkflow:Ingest", "RunActivity:ApplyCalls")
	request := spanNamed(spans, "POST /api/ingest/metric")
	if request.parentID != strings.Repeat("ab", 8) {
		t.Errorf("the request's span is not the caller's child: parent %s", request.parentID)
	}
	if start := spanNamed(spans, "StartWorkflow:Ingest"); start.parentID != request.spanID {
		t.Errorf("the workflow start is not the request's child: %+v", start)
	}
	d.stop(t)
}
