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
	"strings"
	"time"
)

// batchSize is the metrics per batch call: the API's maximum.
const batchSize = 100

// genericSize is the size of a generic event's body, in bytes.
const genericSize = 1024

// calls maps each kind to the function that makes its i-th call.
func (t target) calls() map[string]func(context.Context, int) outcome {
	return map[string]func(context.Context, int) outcome{KindMetric: t.metric, KindBatch: t.batch, KindStripe: t.stripe, KindGeneric: t.generic}
}

// post sends one call and reads from the answer its ingest ID and, when
// the answer names it, its workflow: a webhook's events each carry both.
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
		IngestID   string `json:"ingest_id"`
		WorkflowID string `json:"workflow_id"`
		Events     []struct {
			IngestID   string `json:"ingest_id"`
			WorkflowID string `json:"workflow_id"`
		} `json:"events"`
	}
	if json.NewDecoder(resp.Body).Decode(&answer) == nil {
		o.ingestID, o.workflowID = answer.IngestID, answer.WorkflowID
		if len(answer.Events) > 0 {
			o.webhook = true
			o.ingestID, o.workflowID = answer.Events[0].IngestID, answer.Events[0].WorkflowID
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

// generic delivers a ~1 KB JSON event, unique per call, signed as the
// generic connector checks: X-Signature is the hex HMAC-SHA256 of the body.
// The connector has no rules, so each event goes to the inbox.
func (t target) generic(ctx context.Context, i int) outcome {
	head := fmt.Sprintf(`{"id":"evt_bench_%s_%d","type":"bench.event","data":{"seq":%d,"source":"bench","padding":"`, t.run, i, i)
	const tail = `"}}`
	body := head + strings.Repeat("x", max(0, genericSize-len(head)-len(tail))) + tail
	mac := hmac.New(sha256.New, []byte(t.secret))
	mac.Write([]byte(body))
	h := http.Header{"X-Signature": {hex.EncodeToString(mac.Sum(nil))}}
	return t.post(ctx, t.genericURL, []byte(body), h)
}
