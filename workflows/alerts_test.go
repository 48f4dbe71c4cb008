package workflows_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/notify"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/workflows"
	"go.temporal.io/sdk/testsuite"
)

// alertStore is one transition of an alert with two channels, and what
// the activities recorded of its delivery.
type alertStore struct {
	activities.AlertStore
	mu        sync.Mutex
	channels  string
	delivered map[string]bool
	finished  []string // "" for delivered, else the error
}

func (s *alertStore) AlertNotice(context.Context, store.AlertEventRef) (store.AlertNotice, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := 900.0
	done := map[string]bool{}
	for k, ok := range s.delivered {
		done[k] = ok
	}
	return store.AlertNotice{
		Event:     store.AlertEvent{ID: "alev_1", State: intake.AlertFiring, Value: &v, At: time.Now()},
		Alert:     store.Alert{ID: "al_1", Name: "Revenue", Condition: "value < 1000", Channels: s.channels},
		Metric:    store.Metric{ID: "m_1", Key: "revenue", Name: "Revenue", Unit: "USD", Value: v},
		Delivered: done,
	}, nil
}

func (s *alertStore) MarkDelivered(_ context.Context, _, ch string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delivered[ch] = true
	return nil
}

func (s *alertStore) FinishDelivery(_ context.Context, _ store.AlertEventRef, failure error, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := ""
	if failure != nil {
		msg = failure.Error()
	}
	s.finished = append(s.finished, msg)
	return nil
}

func notifyAlert(t *testing.T, st *alertStore, p notify.Policy) error {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Alerts{Store: st, Sender: notify.NewSender(p)})
	env.ExecuteWorkflow(workflows.NotifyAlert, workflows.NotifyAlertInput{Event: store.AlertEventRef{ProjectID: "p_1", EventID: "alev_1"}})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	return env.GetWorkflowError()
}

// TestNotifyAlertRetriesOnlyWhatFailed: of two channels, the one that
// answered is not sent to again while the other is retried.
func TestNotifyAlertRetriesOnlyWhatFailed(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	var slack string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		hits[r.URL.Path]++
		if r.URL.Path == "/flaky" {
			body, _ := io.ReadAll(r.Body)
			slack = string(body)
		}
		if r.URL.Path == "/flaky" && hits["/flaky"] < 3 {
			w.WriteHeader(503)
		}
	}))
	defer srv.Close()
	st := &alertStore{delivered: map[string]bool{},
		channels: `[{"type":"webhook","url":"` + srv.URL + `/ok"},{"type":"slack","url":"` + srv.URL + `/flaky"}]`}
	if err := notifyAlert(t, st, notify.Policy{AllowPrivate: true}); err != nil {
		t.Fatal(err)
	}
	if hits["/ok"] != 1 || hits["/flaky"] != 3 || len(st.finished) != 1 || st.finished[0] != "" {
		t.Fatalf("hits %v, finished %q", hits, st.finished)
	}
	if want := `{"text":"Alert \"Revenue\" is firing: Revenue is $900.00"}`; slack != want {
		t.Fatalf("the slack channel got %s, want %s", slack, want)
	}
}

// TestNotifyAlertGivesUpOnARefusedAddress: a channel the policy refuses
// fails at once, for good, and the transition is marked failed.
func TestNotifyAlertGivesUpOnARefusedAddress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("a refused address was reached")
	}))
	defer srv.Close()
	st := &alertStore{delivered: map[string]bool{}, channels: `[{"type":"webhook","url":"` + srv.URL + `/x"}]`}
	if err := notifyAlert(t, st, notify.Policy{}); err == nil {
		t.Fatal("the workflow succeeded")
	}
	if len(st.finished) != 1 || st.finished[0] == "" {
		t.Fatalf("finished %q, want one failure", st.finished)
	}
}

// TestNotifyAlertKnowsChannelsByAddress: a channel reached before its
// alert's channels were reordered is not sent to again.
func TestNotifyAlertKnowsChannelsByAddress(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		hits[r.URL.Path]++
	}))
	defer srv.Close()
	reached := notify.Channel{Type: "webhook", URL: srv.URL + "/reached"}
	st := &alertStore{delivered: map[string]bool{reached.Key(): true}, // when it was the first of the list
		channels: `[{"type":"webhook","url":"` + srv.URL + `/new"},{"type":"webhook","url":"` + reached.URL + `"}]`}
	if err := notifyAlert(t, st, notify.Policy{AllowPrivate: true}); err != nil {
		t.Fatal(err)
	}
	if hits["/new"] != 1 || hits["/reached"] != 0 {
		t.Fatalf("hits %v: want the new channel once and the one reached never", hits)
	}
}
