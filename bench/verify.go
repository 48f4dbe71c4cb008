package bench

import (
	"bufio"
	"context"
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

// verify waits for every accepted call to be done: an accepted call that
// never is, was lost. Ingest calls are polled through intake; webhook
// deliveries carry no ingest ID, so their workflows are asked directly.
func (t target) verify(ctx context.Context, tc client.Client, res *Result, outs []outcome) error {
	res.Verified = true
	var pending []string
	for _, o := range outs {
		if o.status >= 200 && o.status < 300 {
			res.Accepted++
			pending = append(pending, o.workflowID)
		}
	}
	deadline := time.Now().Add(verifyTimeout)
	for len(pending) > 0 && time.Now().Before(deadline) {
		var still []string
		for _, id := range pending {
			done, err := t.done(ctx, tc, id)
			if err != nil {
				return err
			}
			if !done {
				still = append(still, id)
			}
		}
		pending = still
		if len(pending) > 0 {
			time.Sleep(time.Second)
		}
	}
	res.Lost = len(pending)
	return nil
}

// done reports whether a call has finished: id is its ingest ID or, for a
// webhook delivery, its workflow ID.
func (t target) done(ctx context.Context, tc client.Client, id string) (bool, error) {
	if strings.HasPrefix(id, "ing_") {
		st, ok, err := t.status(ctx, id)
		return ok && st.Status == "done", err
	}
	desc, err := tc.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return false, nil // not visible yet, or Temporal is busy: ask again
	}
	return desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, nil
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
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/metrics", nil)
	resp, err := hc.Do(req)
	if err != nil {
		return 0
	}
	defer drain(resp)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_resident_memory_bytes "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}
