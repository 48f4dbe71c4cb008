package faults_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/store/storetest"
)

// TestWorkerStoppedMidStream stops the only worker a third of the way
// through a stream of calls and starts a new one two thirds through: calls
// are accepted throughout (202 while no worker runs), arrive six at a time
// so that they share workflows, and each is applied exactly once.
func TestWorkerStoppedMidStream(t *testing.T) {
	s := newStack(t, "")
	const waves, width = 10, 6
	var ids []string
	hits, inboxed := 0, 0
	for w := range waves {
		switch w {
		case waves / 3:
			s.stopWorker()
		case 2 * waves / 3:
			s.startWorker()
		}
		var wg sync.WaitGroup
		got := make([]string, width)
		for i := range width {
			inbox := i == width-1
			if inbox {
				inboxed++
			} else {
				hits++
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i] = s.push(inbox)
			}()
		}
		wg.Wait()
		ids = append(ids, got...)
	}
	s.settle(hits, inboxed, ids)
}

// TestSharedWorkflowFoundBeforeItRuns: while no worker runs, calls that
// queued behind a running workflow start one together; before it runs,
// GET /api/ingest/{id} of any of them finds it (by IntakeIngestIDs) and
// says processing; then each is applied once.
func TestSharedWorkflowFoundBeforeItRuns(t *testing.T) {
	s := newStack(t, "")
	s.stopWorker()
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i] = s.push(false)
		}()
	}
	wg.Wait()
	shared := 0
	for _, id := range ids {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			st := s.do("GET", "/api/ingest/"+id, s.key, nil)
			if st.status == 200 && st.str("status") == "processing" && strings.HasPrefix(st.str("workflow_id"), "ingest/"+s.project+"/api/") {
				if strings.Contains(st.str("workflow_id"), "/grp_") {
					shared++
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("call %s: %d %s", id, st.status, st.raw)
			}
		}
	}
	if shared == 0 {
		t.Fatal("no call shared a workflow")
	}
	// The calls log lists them too, processing, each with its workflow
	// (recorded just after the start is acknowledged).
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		listed, missing := s.listCalls("processing"), ""
		for _, id := range ids {
			if !strings.HasPrefix(listed[id], "ingest/"+s.project+"/api/") {
				missing = id
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("call %s is not listed processing: %v", missing, listed)
		}
	}
	s.startWorker()
	s.settle(len(ids), 0, ids)
	done := s.listCalls("done")
	for _, id := range ids {
		if done[id] == "" {
			t.Fatalf("call %s is not listed done: %v", id, done)
		}
	}
	if n := len(s.listCalls("processing")); n != 0 {
		t.Fatalf("%d calls still listed processing", n)
	}
}

// listCalls returns the workflow id of each call GET /api/admin/calls
// lists with status, by ingest id.
func (s *stack) listCalls(status string) map[string]string {
	r := s.do("GET", "/api/admin/calls?limit=200&status="+status, s.key, nil)
	s.want(r, 200)
	out := map[string]string{}
	data, _ := r.body["data"].([]any)
	for _, d := range data {
		row, _ := d.(map[string]any)
		if row["status"] != status {
			s.t.Fatalf("GET /api/admin/calls?status=%s listed %v", status, row)
		}
		id, _ := row["ingest_id"].(string)
		out[id], _ = row["workflow_id"].(string)
	}
	return out
}

// TestDatabaseOutage cuts the API and worker off from PostgreSQL while
// calls keep coming: they are accepted (Temporal holds them), retried
// while the database is away, and applied once each when it returns.
func TestDatabaseOutage(t *testing.T) {
	base := os.Getenv(storetest.EnvURL)
	if base == "" {
		t.Skip("needs PostgreSQL behind a proxy: set " + storetest.EnvURL + " (CI does)")
	}
	dsn, drop, err := storetest.PostgresSchema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	u, _ := url.Parse(dsn)
	p := newProxy(t, u.Host)
	s := newStack(t, proxiedDSN(t, dsn, p))
	ids := []string{s.push(false)} // the key is now cached
	p.setDown(true)
	for range 15 {
		ids = append(ids, s.push(false))
	}
	ids = append(ids, s.push(true))
	time.Sleep(3 * time.Second) // the workers' writes fail and are retried
	p.setDown(false)
	s.settle(16, 1, ids)
}

// TestAPIRestartBetweenAcceptAndResult accepts a call while no worker
// runs, replaces the API process, and asks the new one for the outcome.
func TestAPIRestartBetweenAcceptAndResult(t *testing.T) {
	s := newStack(t, "")
	s.stopWorker()
	r := s.do("POST", "/api/ingest/metric", s.key, map[string]any{"metric": "hits", "value": 7})
	s.want(r, 202)
	id := r.str("ingest_id")
	s.want(s.do("GET", "/api/ingest/"+id, s.key, nil), 200)
	s.stopAPI()
	s.startAPI()
	s.startWorker()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := s.do("GET", "/api/ingest/"+id, s.key, nil)
		s.want(st, 200)
		if st.str("status") == "done" {
			res := st.body["result"].(map[string]any)
			if res["new_value"] != "7" {
				t.Fatalf("outcome after restart: %s", st.raw)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %s after 30 s: %s", st.str("status"), st.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
