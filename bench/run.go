package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/intakehq/intake"
	"go.temporal.io/sdk/client"
)

// Kinds of call the bench makes.
const (
	KindMetric  = "metric"
	KindBatch   = "batch"
	KindStripe  = "stripe"
	KindGeneric = "generic"
	KindBare    = "bare"
)

// DefaultKinds are the kinds a run makes when none are named.
var DefaultKinds = []string{KindMetric, KindBatch, KindStripe, KindGeneric}

// target is what a run sets up in the project behind the token: its own
// unthrottled ingest key, a metric, and a Stripe and a generic connector it
// can sign for.
type target struct {
	http       *http.Client
	url        string
	ingestKey  string
	stripeURL  string
	genericURL string
	secret     string
	run        string
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
	for i := range o.Alerts {
		// A public address that is never posted to: the alert never fires.
		alert := map[string]any{"name": fmt.Sprintf("bench %s %d", t.run, i), "metric": "bench_" + t.run, "condition": "value < 0",
			"channels": []map[string]any{{"type": "webhook", "url": "https://93.184.216.34/bench"}}}
		if err := t.admin(ctx, o.Token, "/api/admin/alerts", alert, nil); err != nil {
			return t, err
		}
	}
	for _, c := range []struct {
		typ string
		url *string
	}{{"stripe", &t.stripeURL}, {"generic", &t.genericURL}} {
		var conn struct {
			WebhookURL string `json:"webhook_url"`
		}
		// No rules: every generic event goes to the inbox.
		body := map[string]any{"type": c.typ, "name": "bench " + c.typ + " " + t.run, "secret": t.secret}
		if err := t.admin(ctx, o.Token, "/api/admin/connectors", body, &conn); err != nil {
			return t, err
		}
		*c.url = conn.WebhookURL
	}
	return t, nil
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

// Run sets up the project behind o.Token, runs each kind and the bare
// baseline, and reads a sample of each kind's histories from Temporal.
func Run(ctx context.Context, o Options, tc client.Client) ([]Result, error) {
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency * 2}}
	for _, kind := range o.Kinds {
		if _, ok := (target{}).calls()[kind]; !ok {
			return nil, fmt.Errorf("unknown kind %q (metric, batch, stripe, generic)", kind)
		}
	}
	t, err := setup(ctx, o, hc)
	if err != nil {
		return nil, fmt.Errorf("set-up through the admin API: %w", err)
	}
	// The bare baseline runs first and last: Temporal slows as its store
	// grows over a run, and the mean of both is fair to every kind between.
	var results []Result
	if !o.NoBare {
		first, err := t.bare(ctx, o, tc)
		if err != nil {
			return nil, fmt.Errorf("bare baseline: %w", err)
		}
		results = append(results, first)
	}
	for _, kind := range o.Kinds {
		res, err := t.runKind(ctx, o, tc, kind)
		if err != nil {
			return nil, err
		}
		results = append(results, res)
	}
	if o.NoBare {
		return results, nil
	}
	last, err := t.bare(ctx, o, tc)
	if err != nil {
		return nil, fmt.Errorf("bare baseline: %w", err)
	}
	return append(results, last), nil
}

// runKind drives one kind, counts the Temporal persistence requests and
// the target's CPU from its first request until Temporal's workflow
// writes settle, then waits for its calls with o.Verify and reads its
// sampled histories: the reads of both are not counted.
func (t target) runKind(ctx context.Context, o Options, tc client.Client, kind string) (Result, error) {
	before := t.read(ctx)
	rss := watchRSS(ctx, t.http, o.URL)
	res, outs := drive(ctx, kind, o.Requests, o.Concurrency, o.Rate, t.calls()[kind])
	res.PeakRSS = rss()
	if kind == KindBatch {
		res.Metrics = batchSize
	}
	after := t.settled(ctx)
	res.Persistence, res.CPUSeconds = persistenceDelta(before.ops, after.ops), cpuDelta(before.cpu, after.cpu)
	if o.Verify {
		if err := t.verify(ctx, tc, &res, outs); err != nil {
			return res, err
		}
	}
	if err := t.sample(ctx, tc, &res, outs, o.Sample); err != nil {
		return res, err
	}
	return res, nil
}

// bare runs the bare baseline with the same figures as a kind: each
// workflow is done when its result is back.
func (t target) bare(ctx context.Context, o Options, tc client.Client) (Result, error) {
	before := t.read(ctx)
	res, outs, err := runBare(ctx, o, tc)
	if err != nil {
		return res, err
	}
	applied(&res, outs)
	after := t.settled(ctx)
	res.Persistence, res.CPUSeconds = persistenceDelta(before.ops, after.ops), cpuDelta(before.cpu, after.cpu)
	return res, t.sample(ctx, tc, &res, outs, o.Sample)
}
