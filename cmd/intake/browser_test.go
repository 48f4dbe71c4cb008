//go:build !nodev

package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium is the browser the UI tests drive: CHROMIUM, else Debian's
// package. A machine without it fails these tests rather than skipping
// them (.ci/run installs it).
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no Chromium at %s (apt-get install chromium, or set CHROMIUM): %v", path, err)
	}
	return path
}

// browser starts a headless Chromium with a fresh profile, without the
// background networking that stalls it on a machine without internet. The
// returned close ends it: Chromium keeps sockets open (preconnected ones
// that never send a request), which a server stopping gracefully waits for.
func browser(t *testing.T) (context.Context, func()) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	closeAll := func() { cancelTimeout(); cancel(); cancelAlloc() }
	t.Cleanup(closeAll)
	return ctx, closeAll
}

// screenshot saves the page (PNG) to INTAKE_SCREENSHOTS (else the test's temp
// dir) and logs where, so that a person can look at it.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	dir := os.Getenv("INTAKE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// TestDevUIShowsDecodedPayloads: the embedded Temporal UI shows a call's
// encrypted input decoded, through the codec endpoint intake dev gave it.
func TestDevUIShowsDecodedPayloads(t *testing.T) {
	ctx, closeBrowser := browser(t)
	d := startDev(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	canary := fmt.Sprintf("canary-%d@example.com", time.Now().UnixNano())
	_, ex := pushCanaryRun(t, d, canary)
	page := fmt.Sprintf("%s/namespaces/default/workflows/%s/%s/history", d.ui, url.PathEscape(ex.GetWorkflowId()), ex.GetRunId())
	if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.body.innerText.includes(%q)`, canary),
		chromedp.WithPollingTimeout(60*time.Second)))
	screenshot(t, ctx, "temporal-ui-decoded-input")
	if err != nil || !shown {
		t.Fatalf("the UI does not show the decoded input at %s: %v", page, err)
	}
	closeBrowser()
	d.stop(t)
}

// TestConsoleSignInInABrowser: an admin signs in to the console with the
// admin key intake dev printed and sees the project's metric with its
// value, in a browser that runs the page under its CSP.
func TestConsoleSignInInABrowser(t *testing.T) {
	ctx, closeBrowser := browser(t)
	const instanceToken = "it_browser_story_instance_token_0123456789"
	d := startDev(t, "--data-dir", filepath.Join(t.TempDir(), "data"), "--alerts-allow-private=true", "--admin-token", instanceToken)
	// Sign in, and create the metric in the console's form.
	err := chromedp.Do(ctx, chromedp.Navigate(d.api+"/console"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), d.adminKey),
		chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.CSS("header nav")), // the overview, after the sign-in's redirect
		chromedp.Navigate(d.api+"/console/metrics"),
		chromedp.WaitVisible(chromedp.ID("metric-key")),
		chromedp.SendKeys(chromedp.ID("metric-key"), "revenue"),
		chromedp.SendKeys(chromedp.ID("metric-name"), "Revenue"),
		chromedp.SendKeys(chromedp.ID("metric-unit"), "USD"),
		chromedp.Submit(chromedp.ID("metric-key")),
		chromedp.WaitVisible(chromedp.CSS("p.notice")))
	screenshot(t, ctx, "console-metrics")
	if err != nil {
		t.Fatalf("create the metric in the console: %v", err)
	}
	code, body := send(t, "POST", d.api+"/api/ingest/metric", d.adminKey, `{"metric":"revenue","value":12345,"metadata":{"order":"A-17"}}`)
	var pushed struct {
		IngestID string `json:"ingest_id"`
	}
	if _ = json.Unmarshal([]byte(body), &pushed); code != 200 || pushed.IngestID == "" {
		t.Fatalf("push: %d %s", code, body)
	}
	err = chromedp.Do(ctx, chromedp.Navigate(d.api+"/console"), chromedp.WaitVisible(chromedp.CSS("td.value")))
	if err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.body.innerText.includes("$12,345.00")`, chromedp.WithPollingTimeout(20*time.Second)))
	screenshot(t, ctx, "console-overview")
	if err != nil || !shown {
		t.Fatalf("the console does not show the metric after sign-in: %v", err)
	}
	// The call is on the calls page, linked to its workflow in the UI.
	if err := chromedp.Do(ctx, chromedp.Navigate(d.api+"/console/calls?kind=metric"), chromedp.WaitVisible(chromedp.CSS("td.status-done"))); err != nil {
		t.Fatalf("the calls page: %v", err)
	}
	linked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`[...document.querySelectorAll("td a")].some(a => a.href.startsWith(%q))`, d.ui+"/namespaces/default/workflows/ingest")))
	screenshot(t, ctx, "console-calls")
	if err != nil || !linked {
		t.Fatalf("no call links to its workflow in the Temporal UI: %v", err)
	}
	// The call's page shows the payload it carried, read from its
	// workflow's history (sealed there: intake dev encrypts), and its result.
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href="/console/calls/`+pushed.IngestID+`"]`)), chromedp.WaitVisible(chromedp.ID("call-input")))
	if err == nil {
		shown, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("#call-input").innerText.includes('"A-17"') &&
			document.querySelector("#call-result").innerText.includes("$12,345.00")`))
	}
	screenshot(t, ctx, "console-call")
	if err != nil || !shown {
		t.Fatalf("the call's page does not show its payload and result: %v", err)
	}
	// A payload that matched no rule is in the inbox, shown on its page.
	if code, body := send(t, "POST", d.api+"/api/ingest/data", d.adminKey, `{"source":"crm","customer":{"email":"ann@example.com"}}`); code != 200 {
		t.Fatalf("data call: %d %s", code, body)
	}
	err = chromedp.Do(ctx, chromedp.Navigate(d.api+"/console/inbox"), chromedp.Click(chromedp.CSS("td a")),
		chromedp.WaitVisible(chromedp.CSS("pre.payload")))
	screenshot(t, ctx, "console-inbox-item")
	if err != nil {
		t.Fatalf("the inbox item's page: %v", err)
	}
	if shown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("pre.payload").innerText.includes("ann@example.com")`)); err != nil || !shown {
		t.Fatalf("the item's page does not show its payload: %v", err)
	}
	// An alert fires on a push: its channel is notified (by intake dev's
	// worker), and the console shows it firing.
	// Assign a rule from an inbox item, in the page: a syntax error is
	// shown at its position as it is typed, the fixed rule's dry-run value
	// next, and saving resolves the item and moves the metric.
	code, body = send(t, "POST", d.api+"/api/ingest/data", d.adminKey, `{"source":"shop","total":1999}`)
	var inboxed struct {
		InboxID string `json:"inbox_id"`
	}
	if _ = json.Unmarshal([]byte(body), &inboxed); code != 200 || inboxed.InboxID == "" {
		t.Fatalf("shop call: %d %s", code, body)
	}
	err = chromedp.Do(ctx, chromedp.Navigate(d.api+"/console/inbox/"+inboxed.InboxID),
		chromedp.WaitVisible(chromedp.ID("rule-value")),
		chromedp.SendKeys(chromedp.ID("rule-metric"), "revenue"),
		chromedp.Click(chromedp.ID("rule-value")),
		chromedp.Click(chromedp.CSS(`button.path[data-path="payload.total"]`)),
		chromedp.SendKeys(chromedp.ID("rule-value"), " /"),
		chromedp.WaitVisible(chromedp.CSS(`li.compile-error[data-field="value"]`)))
	screenshot(t, ctx, "console-rule-error")
	if err != nil {
		t.Fatalf("a syntax error is not shown as it is typed: %v", err)
	}
	if located, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("li.compile-error").innerText.includes("line 1, column")`)); !located {
		t.Fatal("the syntax error has no position")
	}
	if err = chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("rule-value"), " 100")); err == nil {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector("td.dry-run") && document.querySelector("td.dry-run").innerText === "set 19.99"`,
			chromedp.WithPollingTimeout(20*time.Second)))
	}
	screenshot(t, ctx, "console-rule-dry-run")
	if err != nil {
		t.Fatalf("the fixed rule's dry run: %v", err)
	}
	var notice string
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#assign button.primary")), chromedp.WaitVisible(chromedp.CSS("p.notice")))
	if err == nil {
		notice, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("p.notice").innerText`))
	}
	if err == nil && !strings.Contains(notice, "is resolved") {
		err = fmt.Errorf("the page says %q", notice)
	}
	screenshot(t, ctx, "console-rule-saved")
	if err != nil {
		t.Fatalf("saving the rule does not resolve the item: %v", err)
	}
	if err = chromedp.Do(ctx, chromedp.Navigate(d.api+"/console?metric=revenue&range=24h")); err == nil {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.body.innerText.includes("$19.99") && !!document.querySelector("svg polyline")`,
			chromedp.WithPollingTimeout(20*time.Second)))
	}
	screenshot(t, ctx, "console-overview-chart")
	if err != nil {
		t.Fatalf("the overview does not show the metric's new value and chart: %v", err)
	}
	notified := make(chan string, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		notified <- string(body)
	}))
	defer receiver.Close()
	alert := fmt.Sprintf(`{"name":"Revenue floor","metric":"revenue","condition":"value < 10000","channels":[{"type":"webhook","url":%q}]}`, receiver.URL)
	if code, body := send(t, "POST", d.api+"/api/admin/alerts", d.adminKey, alert); code != 201 {
		t.Fatalf("create alert: %d %s", code, body)
	}
	if code, body := send(t, "POST", d.api+"/api/ingest/metric", d.adminKey, `{"metric":"revenue","value":5000}`); code != 200 {
		t.Fatalf("push: %d %s", code, body)
	}
	select {
	case body := <-notified:
		if !strings.Contains(body, `"alert.firing"`) {
			t.Fatalf("notification %s", body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the alert's channel was not notified")
	}
	err = chromedp.Do(ctx, chromedp.Navigate(d.api+"/console/alerts"), chromedp.WaitVisible(chromedp.CSS("span.status-failed")))
	screenshot(t, ctx, "console-alerts")
	if err != nil {
		t.Fatalf("the alerts page does not show the alert firing: %v", err)
	}
	err = chromedp.Do(ctx, chromedp.Navigate(d.api+"/console"), chromedp.WaitVisible(chromedp.CSS("a.status-failed")))
	screenshot(t, ctx, "console-overview-firing")
	if err != nil {
		t.Fatalf("the overview does not mark the firing metric: %v", err)
	}
	// The rule saved from the inbox is the shop source's, on its Rules page.
	err = chromedp.Do(ctx, chromedp.Navigate(d.api+"/console/rules"), chromedp.Click(chromedp.CSS(`a[href="/console/rules/source/shop"]`)),
		chromedp.WaitVisible(chromedp.ID("rule-editor")))
	if err == nil {
		shown, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.body.innerText.includes("payload.total / 100")`))
	}
	screenshot(t, ctx, "console-rules")
	if err != nil || !shown {
		t.Fatalf("the Rules page does not show the saved rule: %v", err)
	}
	// SalesDash: an activity names an agent nobody linked; the identities
	// page links it to a new agent in one step, and the aggregates count it.
	code, body = send(t, "POST", d.api+"/api/admin/connectors", d.adminKey, `{"type":"salesdash","name":"Dialer"}`)
	var dialer struct {
		ID         string `json:"id"`
		Key        string `json:"key"`
		WebhookURL string `json:"webhook_url"`
	}
	if _ = json.Unmarshal([]byte(body), &dialer); code != 201 || dialer.Key == "" {
		t.Fatalf("salesdash connector: %d %s", code, body)
	}
	activity := `{"id":"act-1","type":"Call","agent_id":"ag-17","agent_name":"Anna de Vries","moment":"` + time.Now().UTC().Format("2006-01-02 15:04:05") + `","value":1}`
	if code, body := send(t, "POST", dialer.WebhookURL, dialer.Key, activity); code != 200 {
		t.Fatalf("activity: %d %s", code, body)
	}
	err = chromedp.Do(ctx, chromedp.Navigate(d.api+"/console/salesdash/identities"), chromedp.WaitVisible(chromedp.CSS("#identities-agent button")))
	screenshot(t, ctx, "console-salesdash-identities")
	if err == nil {
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#identities-agent button")), chromedp.WaitVisible(chromedp.ID("notice")))
	}
	if err != nil {
		t.Fatalf("linking the agent: %v", err)
	}
	err = chromedp.Do(ctx, chromedp.Navigate(d.api+"/console/salesdash"), chromedp.WaitVisible(chromedp.CSS("table")))
	if err == nil {
		shown, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.body.innerText.includes("Anna de Vries")`))
	}
	screenshot(t, ctx, "console-salesdash")
	if err != nil || !shown {
		t.Fatalf("the aggregates do not count the linked agent: %v", err)
	}
	// A generic connector made in the form, its generated secret shown
	// once; the SalesDash connector's page lists the activity it delivered.
	err = chromedp.Do(ctx, chromedp.Navigate(d.api+"/console/connectors"),
		chromedp.WaitVisible(chromedp.ID("new-connector")),
		chromedp.SetValue(chromedp.CSS(`#new-connector select[name="type"]`), "generic"),
		chromedp.SendKeys(chromedp.CSS(`#new-connector input[name="name"]`), "Shop"),
		chromedp.Click(chromedp.CSS(`#new-connector input[name="generate"]`)),
		chromedp.Submit(chromedp.CSS(`#new-connector input[name="name"]`)),
		chromedp.WaitVisible(chromedp.ID("new-secret")))
	screenshot(t, ctx, "console-connectors")
	if err != nil {
		t.Fatalf("creating a connector in the console: %v", err)
	}
	err = chromedp.Do(ctx, chromedp.Navigate(d.api+"/console/connectors"), chromedp.Click(chromedp.CSS(`a[href="/console/connectors/`+dialer.ID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`td.status-done`)))
	screenshot(t, ctx, "console-connector")
	if err != nil {
		t.Fatalf("the SalesDash connector's deliveries: %v", err)
	}
	// The instance admin creates a project, its admin key shown once.
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action="/console/logout"] button`)),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), instanceToken),
		chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/console/projects"] input[name="name"]`)),
		chromedp.SendKeys(chromedp.CSS(`form[action="/console/projects"] input[name="name"]`), "Acme Sales"),
		chromedp.Submit(chromedp.CSS(`form[action="/console/projects"] input[name="name"]`)),
		chromedp.WaitVisible(chromedp.ID("new-key")))
	screenshot(t, ctx, "console-projects")
	if err != nil {
		t.Fatalf("the instance admin creating a project: %v", err)
	}
	closeBrowser()
	d.stop(t)
}
