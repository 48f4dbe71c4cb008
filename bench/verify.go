package bench

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// verifyTimeout is how long accepted calls get to finish after a run.
const verifyTimeout = 5 * time.Minute

// verify polls every accepted call's status until it is done: an accepted
// call that never is, was lost. Webhook deliveries carry no ingest ID to
// poll and are counted as accepted only.
func (t target) verify(ctx context.Context, res *Result, outs []outcome) error {
	res.Verified = true
	var pending []string
	for _, o := range outs {
		if o.status >= 200 && o.status < 300 {
			res.Accepted++
			if strings.HasPrefix(o.workflowID, "ing_") {
				pending = append(pending, o.workflowID)
			}
		}
	}
	deadline := time.Now().Add(verifyTimeout)
	for len(pending) > 0 && time.Now().Before(deadline) {
		var still []string
		for _, id := range pending {
			done, err := t.done(ctx, id)
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

func (t target) done(ctx context.Context, ingestID string) (bool, error) {
	st, ok, err := t.status(ctx, ingestID)
	return ok && st.Status == "done", err
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
