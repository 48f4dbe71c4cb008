package faults_test

import (
	"net/url"
	"os"
	"testing"
	"time"

	"context"
	"github.com/intakehq/intake/store/storetest"
)

// TestWorkerStoppedMidStream stops the only worker a third of the way
// through a stream of calls and starts a new one two thirds through: calls
// are accepted throughout (202 while no worker runs), and each is applied
// exactly once.
func TestWorkerStoppedMidStream(t *testing.T) {
	s := newStack(t, "")
	const n = 60
	var ids []string
	hits, inboxed := 0, 0
	for i := range n {
		switch i {
		case n / 3:
			s.stopWorker()
		case 2 * n / 3:
			s.startWorker()
		}
		inbox := i%10 == 9
		ids = append(ids, s.push(inbox))
		if inbox {
			inboxed++
		} else {
			hits++
		}
	}
	s.settle(hits, inboxed, ids)
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
