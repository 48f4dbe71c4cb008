package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// verifyTimeout is how long accepted calls get to finish after a run.
const verifyTimeout = 5 * time.Minute

// callState is what a poll learnt of one call.
type callState int

const (
	callPending callState = iota
	callDone
	callFailed // failed for good: never done, so lost
)

// verify waits for every accepted call to be done: an accepted call that
// never is, or that failed, was lost. Each done call keeps its own
// completion time, for applied/s.
func (t target) verify(ctx context.Context, tc client.Client, res *Result, outs []outcome) error {
	res.Verified = true
	var pending []int
	for i, o := range outs {
		if o.accepted() {
			pending = append(pending, i)
		}
	}
	failed := 0
	deadline := time.Now().Add(verifyTimeout)
	for len(pending) > 0 && time.Now().Before(deadline) {
		var still []int
		for _, i := range pending {
			switch t.done(ctx, tc, &outs[i]) {
			case callPending:
				still = append(still, i)
			case callFailed:
				failed++
			}
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	res.Lost = failed + len(pending)
	applied(res, outs)
	return nil
}

// applied counts the calls seen done and the latest completion time.
func applied(res *Result, outs []outcome) {
	for _, o := range outs {
		if o.done.IsZero() {
			continue
		}
		res.Applied++
		if o.done.After(res.LastDone) {
			res.LastDone = o.done
		}
	}
}

// done asks whether a call has finished and, if so, records when and in
// which workflow. GET /api/ingest/{id} answers first, with completed_at;
// a webhook event's ingest ID it does not know (404) is asked of Temporal:
// its workflow's close time.
func (t target) done(ctx context.Context, tc client.Client, o *outcome) callState {
	if o.ingestID != "" {
		st, code, err := t.status(ctx, o.ingestID)
		switch {
		case err != nil:
			return callPending // busy: ask again
		case code == 200 && st.Status == "done":
			o.done = time.Now()
			if st.CompletedAt != nil {
				o.done = *st.CompletedAt
			}
			if st.WorkflowID != "" {
				o.workflowID = st.WorkflowID
			}
			return callDone
		case code == 200 && st.Status == "failed":
			return callFailed
		case code != 404 || !o.webhook:
			return callPending // processing, or 429/503 while intake catches up
		}
	}
	if o.workflowID == "" {
		return callFailed // accepted without saying where it runs
	}
	desc, err := tc.DescribeWorkflowExecution(ctx, o.workflowID, "")
	if err != nil {
		return callPending // not visible yet, or Temporal is busy: ask again
	}
	info := desc.GetWorkflowExecutionInfo()
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		o.done = info.GetCloseTime().AsTime()
		return callDone
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return callPending
	default:
		return callFailed
	}
}

// callStatus is what GET /api/ingest/{id} says of a call.
type callStatus struct {
	Status      string     `json:"status"`
	WorkflowID  string     `json:"workflow_id"`
	CompletedAt *time.Time `json:"completed_at"`
}

// status asks intake for a call's status, the workflow it ran in and when
// it was done, with the answer's HTTP status.
func (t target) status(ctx context.Context, ingestID string) (st callStatus, code int, err error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", t.url+"/api/ingest/"+ingestID, nil)
	req.Header = t.bearer()
	resp, err := t.http.Do(req)
	if err != nil {
		return st, 0, err
	}
	defer drain(resp)
	if resp.StatusCode == 200 {
		err = json.NewDecoder(resp.Body).Decode(&st)
	}
	return st, resp.StatusCode, err
}

// watchRSS samples intake's process_resident_memory_bytes from /metrics
// until the returned func is called, which gives the peak.
func watchRSS(ctx context.Context, hc *http.Client, url string) func() float64 {
	ctx, cancel := context.WithCancel(ctx)
	var mu sync.Mutex
	var peak float64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			if v := readRSS(ctx, hc, url); v > 0 {
				mu.Lock()
				peak = max(peak, v)
				mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() float64 {
		cancel()
		wg.Wait()
		return peak
	}
}

func readRSS(ctx context.Context, hc *http.Client, url string) float64 {
	var rss float64
	_ = scrape(ctx, hc, url, func(line string) {
		if v, ok := strings.CutPrefix(line, "process_resident_memory_bytes "); ok {
			rss, _ = strconv.ParseFloat(v, 64)
		}
	})
	return rss
}

// scrape reads intake's /metrics and hands each line to fn.
func scrape(ctx context.Context, hc *http.Client, url string, fn func(line string)) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/metrics", nil)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer drain(resp)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fn(sc.Text())
	}
	return sc.Err()
}
