package bench

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// Kinds of call the bench makes.
const (
	KindMetric = "metric"
	KindBatch  = "batch"
	KindStripe = "stripe"
	KindBare   = "bare"
)

// batchSize is the metrics per batch call: the API's maximum.
const batchSize = 100

// target is what a run sets up in the project behind the token: its own
// unthrottled ingest key, a metric, and a Stripe connector it can sign for.
type target struct {
	http      *http.Client
	url       string
	ingestKey string
	stripeURL string
	secret    string
	run       string
}

func setup(ctx context.Context, o Options, hc *http.Client) (target, error) {
	t := target{http: hc, url: o.URL, run: strconv.FormatInt(time.Now().UnixNano(), 36), secret: "whsec_bench_" + intake.NewID("s")}
	var key struct{ Key string }
	if err := t.admin(ctx, o.Token, "/api/admin/keys", map[string]any{"name": "bench " + t.run, "scope": "ingest", "rate_limit": o.KeyLimit}, &key); err != nil {
		return t, err
	}
	t.ingestKey = key.Key
	if err := t.admin(ctx, o.Token, "/api/admin/metrics", map[string]any{"key": "bench_" + t.run, "name": "Bench " + t.run, "unit": "count"}, nil); err != nil {
		return t, err
	}
	var conn struct {
		WebhookURL string `json:"webhook_url"`
	}
	err := t.admin(ctx, o.Token, "/api/admin/connectors", map[string]any{"type": "stripe", "name": "bench " + t.run, "secret": t.secret}, &conn)
	t.stripeURL = conn.WebhookURL
	return t, err
}

func (t target) admin(ctx context.Context, token, path string, body, out any) error {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, "POST", t.url+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.http.Do(req)
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode != 201 {
		var e struct{ Message string }
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, e.Message)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

// post sends one call and reads the workflow it started from the answer.
func (t target) post(ctx context.Context, url string, body []byte, header http.Header) outcome {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return outcome{err: err}
	}
	req.Header = header
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.http.Do(req)
	if err != nil {
		return outcome{err: err}
	}
	defer drain(resp)
	o := outcome{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After") != ""}
	var answer struct {
		IngestID string `json:"ingest_id"`
		Events   []struct {
			WorkflowID string `json:"workflow_id"`
		} `json:"events"`
	}
	if json.NewDecoder(resp.Body).Decode(&answer) == nil {
		if len(answer.Events) > 0 {
			o.workflowID = answer.Events[0].WorkflowID
		} else {
			o.workflowID = answer.IngestID // resolved to a workflow ID when sampled
		}
	}
	return o
}

func (t target) bearer() http.Header {
	return http.Header{"Authorization": {"Bearer " + t.ingestKey}}
}

func (t target) metric(ctx context.Context, i int) outcome {
	body := fmt.Sprintf(`{"metric":"bench_%s","value":%d,"op":"add","source":"bench"}`, t.run, i)
	return t.post(ctx, t.url+"/api/ingest/metric", []byte(body), t.bearer())
}

func (t target) batch(ctx context.Context, i int) outcome {
	items := make([]map[string]any, batchSize)
	for j := range items {
		items[j] = map[string]any{"metric": "bench_" + t.run, "value": i*batchSize + j, "source": "bench"}
	}
	body, _ := json.Marshal(map[string]any{"metrics": items})
	return t.post(ctx, t.url+"/api/ingest/batch", body, t.bearer())
}

// stripe delivers a signed invoice.paid event with its own id.
func (t target) stripe(ctx context.Context, i int) outcome {
	now := time.Now().Unix()
	body := fmt.Sprintf(`{"id":"evt_bench_%s_%d","object":"event","type":"invoice.paid","created":%d,"livemode":false,`+
		`"data":{"object":{"id":"in_%d","object":"invoice","amount_paid":%d,"currency":"eur"}}}`, t.run, i, now, i, 1000+i)
	mac := hmac.New(sha256.New, []byte(t.secret))
	fmt.Fprintf(mac, "%d.%s", now, body)
	h := http.Header{"Stripe-Signature": {fmt.Sprintf("t=%d,v1=%s", now, hex.EncodeToString(mac.Sum(nil)))}}
	return t.post(ctx, t.stripeURL, []byte(body), h)
}

// Run sets up the project behind o.Token, runs each kind and the bare
// baseline, and reads a sample of each kind's histories from Temporal.
func Run(ctx context.Context, o Options, tc client.Client) ([]Result, error) {
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency * 2}}
	t, err := setup(ctx, o, hc)
	if err != nil {
		return nil, fmt.Errorf("set-up through the admin API: %w", err)
	}
	calls := map[string]func(context.Context, int) outcome{KindMetric: t.metric, KindBatch: t.batch, KindStripe: t.stripe}
	// The bare baseline runs first and last: Temporal slows as its store
	// grows over a run, and the mean of both is fair to every kind between.
	var results []Result
	if !o.NoBare {
		first, err := runBare(ctx, o, tc)
		if err != nil {
			return nil, fmt.Errorf("bare baseline: %w", err)
		}
		results = append(results, first)
	}
	for _, kind := range o.Kinds {
		one, ok := calls[kind]
		if !ok {
			return nil, fmt.Errorf("unknown kind %q (metric, batch, stripe)", kind)
		}
		rss := watchRSS(ctx, hc, o.URL)
		res, outs := drive(ctx, kind, o.Requests, o.Concurrency, o.Rate, one)
		res.PeakRSS = rss()
		if kind == KindBatch {
			res.Metrics = batchSize
		}
		if o.Verify {
			if err := t.verify(ctx, tc, &res, outs); err != nil {
				return nil, err
			}
		}
		if err := t.sample(ctx, tc, &res, outs, o.Sample); err != nil {
			return nil, err
		}
		results = append(results, res)
	}
	if o.NoBare {
		return results, nil
	}
	last, err := runBare(ctx, o, tc)
	if err != nil {
		return nil, fmt.Errorf("bare baseline: %w", err)
	}
	return append(results, last), nil
}

// sample reads the histories of up to n successful calls.
func (t target) sample(ctx context.Context, tc client.Client, res *Result, outs []outcome, n int) error {
	var events, tasks []float64
	for _, o := range outs {
		if len(events) >= n {
			break
		}
		if o.status != 200 || o.workflowID == "" {
			continue
		}
		id := o.workflowID
		if strings.HasPrefix(id, "ing_") {
			st, ok, err := t.status(ctx, id)
			if err != nil || !ok {
				return fmt.Errorf("status of %s: %v", id, err)
			}
			id = st.WorkflowID
		}
		e, k, err := countHistory(ctx, tc, id)
		if err != nil {
			return fmt.Errorf("history of %s: %w", id, err)
		}
		events, tasks = append(events, e), append(tasks, k)
	}
	res.EventsPerCall, res.TasksPerCall = median(events), median(tasks)
	return nil
}

// callStatus is what GET /api/ingest/{id} says of a call.
type callStatus struct{ Status, WorkflowID string }

// status asks intake for a call's status and the workflow it ran as; ok
// is false when intake did not answer 200.
func (t target) status(ctx context.Context, ingestID string) (st callStatus, ok bool, err error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", t.url+"/api/ingest/"+ingestID, nil)
	req.Header = t.bearer()
	resp, err := t.http.Do(req)
	if err != nil {
		return st, false, err
	}
	defer drain(resp)
	var body struct {
		Status     string `json:"status"`
		WorkflowID string `json:"workflow_id"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&body) != nil {
		return st, false, nil // 429 or 503 while intake catches up: ask again
	}
	st.Status, st.WorkflowID = body.Status, body.WorkflowID
	return st, true, nil
}

// countHistory counts a closed workflow's events and workflow tasks.
func countHistory(ctx context.Context, tc client.Client, id string) (events, tasks float64, err error) {
	it := tc.GetWorkflowHistory(ctx, id, "", true, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return 0, 0, err
		}
		events++
		if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			tasks++
		}
	}
	return events, tasks, nil
}
