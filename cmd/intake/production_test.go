//go:build !nodev

package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intakehq/intake/devserver"
	"github.com/intakehq/intake/encryption"
	"github.com/intakehq/intake/internal/testca"
	"github.com/intakehq/intake/store/storetest"
)

// proc is a running intake subprocess.
type proc struct {
	cmd    *exec.Cmd
	out    *bytes.Buffer
	exited chan error
}

func startProc(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(binary, args...), out: &bytes.Buffer{}, exited: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

func (p *proc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("%v exited with %v: %s", p.cmd.Args, err, p.out)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%v still running 30s after SIGTERM", p.cmd.Args)
	}
}

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !f(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestServeAndWorkerProcesses runs the production topology: `intake serve`
// and `intake worker` as separate processes against a Temporal server that
// requires mutual TLS, as a cluster or Temporal Cloud does, and PostgreSQL.
// The API accepts a call before any worker runs (202), and the worker
// started later completes it.
func TestServeAndWorkerProcesses(t *testing.T) {
	if os.Getenv(storetest.EnvURL) == "" {
		t.Skipf("serve and worker need PostgreSQL: set %s", storetest.EnvURL)
	}
	ca, err := testca.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// No search attributes: serve and worker register them.
	ts, err := devserver.Start(devserver.Options{LogLevel: "error", TLS: ca.DevServer()})
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Stop()
	dsn, drop, err := storetest.PostgresSchema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	addr := "127.0.0.1:" + freePort(t)
	redisURL := os.Getenv("INTAKE_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "memory"
	}
	key, err := encryption.NewKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	// serve and worker share the encryption keys, as they must, and reach
	// Temporal with the temporal CLI's variables.
	env := []string{"DATABASE_URL=" + dsn, "TEMPORAL_ADDRESS=" + ts.FrontendAddress(), "INTAKE_LOG_LEVEL=warn", "INTAKE_REDIS_URL=" + redisURL,
		"INTAKE_ENCRYPTION_KEYS=" + key, "TEMPORAL_TLS_SERVER_CA_CERT_PATH=" + ca.CA,
		"TEMPORAL_TLS_CLIENT_CERT_PATH=" + ca.ClientCert, "TEMPORAL_TLS_CLIENT_KEY_PATH=" + ca.ClientKey}
	col := newCollector(t)
	env = append(env, col.env()...)
	const prodTrace = "0af7651916cd43dd8448eb211c80319c"
	api := "http://" + addr
	// serve and worker refuse a database whose schema is not the one they
	// need; intake migrate up, run once as a job, brings it there.
	for _, cmd := range []string{"serve", "worker"} {
		early := exec.Command(binary, cmd)
		early.Env = append(os.Environ(), append(env, "INTAKE_HTTP_ADDR="+addr, "INTAKE_WORKER_ADDR=off")...)
		if out, err := early.CombinedOutput(); err == nil || !strings.Contains(string(out), "run `intake migrate up`") {
			t.Fatalf("%s before migrating: %v\n%s", cmd, err, out)
		}
	}
	migrate := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(binary, append([]string{"migrate"}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("intake migrate %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	pending := regexp.MustCompile(`(?m)^1 +00001_baseline +pending\n2 +00002_connector_deliveries +pending$`)
	if out := migrate("status"); !strings.Contains(out, "schema at version 0; this intake needs 2") || !pending.MatchString(out) {
		t.Fatalf("migrate status before: %s", out)
	}
	if out := migrate("up"); !strings.Contains(out, "migrated from version 0 to 2") {
		t.Fatalf("migrate up: %s", out)
	}
	if out := migrate("up"); !strings.Contains(out, "nothing to do") {
		t.Fatalf("migrate up again: %s", out)
	}
	serve := startProc(t, append(env, "INTAKE_HTTP_ADDR="+addr, "INTAKE_ADMIN_TOKEN=it_prod_test_token", "INTAKE_SYNC_WAIT=1s"), "serve")
	eventually(t, "serve /readyz", func() bool {
		code, _ := tryGet(api + "/readyz")
		return code == 200
	})

	code, body := send(t, "POST", api+"/api/admin/projects", "it_prod_test_token", `{"name":"Prod"}`)
	if code != 201 {
		t.Fatalf("create project: %d %s", code, body)
	}
	var created struct {
		AdminKey string `json:"admin_key"`
	}
	_ = json.Unmarshal([]byte(body), &created)
	if code, body := send(t, "POST", api+"/api/admin/metrics", created.AdminKey, `{"key":"mrr","name":"MRR","unit":"EUR"}`); code != 201 {
		t.Fatalf("create metric: %d %s", code, body)
	}

	// No worker yet: the call is accepted durably and answered 202.
	var accepted struct {
		IngestID string `json:"ingest_id"`
	}
	eventually(t, "search attributes registered by serve", func() bool {
		code, body = send(t, "POST", api+"/api/ingest/metric", created.AdminKey, `{"metric":"mrr","value":2500}`)
		return code == 202
	})
	_ = json.Unmarshal([]byte(body), &accepted)
	if code, body := get(t, api+"/api/ingest/"+accepted.IngestID, created.AdminKey); code != 200 || !strings.Contains(body, `"status":"processing"`) {
		t.Fatalf("status before the worker: %d %s", code, body)
	}

	ops := "127.0.0.1:" + freePort(t)
	worker := startProc(t, append(env, "INTAKE_WORKER_ADDR="+ops), "worker")
	// The worker has its own probes and metrics.
	eventually(t, "worker /readyz", func() bool {
		code, _ := tryGet("http://" + ops + "/readyz")
		return code == 200
	})
	if code, _ := get(t, "http://"+ops+"/healthz", ""); code != 200 {
		t.Fatalf("worker /healthz: %d", code)
	}
	eventually(t, "the worker to finish the accepted call", func() bool {
		_, body := get(t, api+"/api/ingest/"+accepted.IngestID, created.AdminKey)
		return strings.Contains(body, `"status":"done"`)
	})
	code, body = sendTraced(t, api+"/api/ingest/metric", created.AdminKey, `{"metric":"mrr","value":3000}`, traceparent(prodTrace))
	if code != 200 || !strings.Contains(body, `"previous_value":"€2,500.00"`) || !strings.Contains(body, `"new_value":"€3,000.00"`) {
		t.Fatalf("push with a worker running: %d %s", code, body)
	}
	if code, body := get(t, "http://"+ops+"/metrics", ""); code != 200 || !strings.Contains(body, "temporal_") {
		t.Fatalf("worker /metrics lacks the SDK's metrics: %d", code)
	}
	// One trace spans both processes: the request in serve, the workflow
	// and its activity in the worker.
	spans := col.trace(t, prodTrace, "POST /api/ingest/metric", "StartWorkflow:Ingest", "RunWorkflow:Ingest", "RunActivity:ApplyCalls")
	for name, service := range map[string]string{"POST /api/ingest/metric": "intake-serve", "StartWorkflow:Ingest": "intake-serve",
		"RunWorkflow:Ingest": "intake-worker", "RunActivity:ApplyCalls": "intake-worker"} {
		if got := spanNamed(spans, name).service; got != service {
			t.Errorf("span %s from %q, want %s", name, got, service)
		}
	}
	worker.stop(t)
	serve.stop(t)

	// Without a shared rate-limit store, serve refuses to start.
	refused := exec.Command(binary, "serve")
	refused.Env = append(os.Environ(), "DATABASE_URL="+dsn, "TEMPORAL_ADDRESS="+ts.FrontendAddress(), "INTAKE_REDIS_URL=")
	if out, err := refused.CombinedOutput(); err == nil || !strings.Contains(string(out), "INTAKE_REDIS_URL is required") {
		t.Fatalf("serve without INTAKE_REDIS_URL: %v\n%s", err, out)
	}
}

func tryGet(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func sendTraced(t *testing.T, url, key, body, parent string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Traceparent", parent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}
