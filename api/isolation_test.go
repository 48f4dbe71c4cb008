package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/api"
	"github.com/intakehq/intake/store"
)

// tenant is a project with one of everything, named with a marker that no
// other tenant's answers may ever contain.
type tenant struct {
	salesConnector
	marker  string
	ids     map[string]string // what → id
	generic string            // generic connector
}

func newTenant(t *testing.T, marker string) tenant {
	t.Helper()
	tn := tenant{salesConnector: salesConnectorIn(t, newProjectLimited(t, 1_000_000), nil), marker: marker, ids: map[string]string{}}
	k := tn.adminKey
	add := func(what string, r response, status int, field string) {
		t.Helper()
		want(t, r, status)
		tn.ids[what] = r.str(field)
	}
	tn.ids["project"], tn.ids["metric"], tn.ids["salesdash"] = tn.project.id, tn.metricID, tn.id
	add("metric2", do(t, "POST", "/api/admin/metrics", k, map[string]any{"key": "secret_" + strings.ToLower(strings.ReplaceAll(marker, "-", "_")), "name": marker}), 201, "id")
	add("key", do(t, "POST", "/api/admin/keys", k, map[string]any{"name": marker}), 201, "id")
	r := do(t, "POST", "/api/admin/connectors", k, map[string]any{"type": "generic", "name": marker, "secret": marker + "-secret"})
	add("generic", r, 201, "id")
	tn.generic = tn.ids["generic"]
	r = do(t, "POST", "/api/admin/mappings", k, map[string]any{"source": marker, "rules": []map[string]any{
		{"name": marker, "metric": tn.metricID, "value": "payload.total"}}})
	want(t, r, 201)
	tn.ids["rule"], _ = r.body["rules"].([]any)[0].(map[string]any)["id"].(string)
	add("inbox", do(t, "POST", "/api/ingest/metric", tn.ingestKey, map[string]any{"metric": marker + " unknown", "value": 1}), 200, "inbox_id")
	add("ingest", do(t, "POST", "/api/ingest/metric", tn.ingestKey, map[string]any{"metric": "revenue", "value": 5, "source": marker}), 200, "ingest_id")
	want(t, do(t, "POST", "/api/ingest/tasks", tn.ingestKey, map[string]any{"source": marker, "tasks": []map[string]any{{"id": marker, "text": marker}}}), 200)
	add("activity", tn.send(t, "activities", "json", activityFields(marker)), 200, "id")
	add("sale", tn.send(t, "sales", "json", saleFields(marker)), 200, "id")
	add("alert", do(t, "POST", "/api/admin/alerts", k, map[string]any{"name": marker, "metric": "revenue", "condition": "value < -1",
		"channels": []map[string]any{{"type": "webhook", "url": "https://93.184.216.34/" + marker}}}), 201, "id")
	add("agent", do(t, "POST", "/api/admin/agents", k, map[string]any{"name": marker}), 201, "id")
	add("team", do(t, "POST", "/api/admin/teams", k, map[string]any{"name": marker}), 201, "id")
	add("proposition", do(t, "POST", "/api/admin/propositions", k, map[string]any{"name": marker}), 201, "id")
	idns, _, _ := e2e.store.ListIdentities(context.Background(), tn.project.id, store.IdentityFilter{}, store.Page{})
	for _, i := range idns {
		tn.ids["identity_"+i.Kind] = i.ID
	}
	tasks, _, _ := e2e.store.ListTasks(context.Background(), tn.project.id, "", store.Page{})
	tn.ids["task"] = tasks[0].ID
	users, _, _ := e2e.store.ListUsers(context.Background(), tn.project.id, store.Page{})
	tn.ids["user"] = users[0].ID
	for what, id := range tn.ids {
		if id == "" {
			t.Fatalf("set-up made no %s", what)
		}
	}
	return tn
}

// snapshot is everything a tenant has, to compare before and after.
func (tn tenant) snapshot(t *testing.T) string {
	t.Helper()
	ctx, id, pg := context.Background(), tn.project.id, store.Page{Limit: store.MaxPageLimit}
	var parts []any
	add := func(rows any, _ string, err error) {
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, rows)
	}
	add(e2e.store.ListMetrics(ctx, id, pg))
	add(e2e.store.ListAPIKeys(ctx, id, pg))
	add(e2e.store.ListConnectors(ctx, id, pg))
	add(e2e.store.ListInbox(ctx, id, store.InboxFilter{}, pg))
	add(e2e.store.ListTasks(ctx, id, "", pg))
	add(e2e.store.ListCalls(ctx, id, store.CallFilter{}, pg))
	add(e2e.store.ListIdentities(ctx, id, store.IdentityFilter{}, pg))
	add(e2e.store.ListActivities(ctx, id, store.RecordFilter{}, pg))
	add(e2e.store.ListSales(ctx, id, store.RecordFilter{}, pg))
	add(e2e.store.ListUsers(ctx, id, pg))
	add(e2e.store.ListAlerts(ctx, id, pg))
	add(e2e.store.ListAlertEvents(ctx, id, tn.ids["alert"], pg))
	for _, kind := range []string{"agent", "team", "proposition"} {
		add(e2e.store.ListEntities(ctx, id, kind, pg))
	}
	add(e2e.store.ListPoints(ctx, id, tn.metricID, store.PointRange{}, pg))
	rules, version, err := e2e.store.LatestRules(ctx, store.RuleScope{ProjectID: id, Source: tn.marker})
	add([]any{rules, version}, "", err)
	var b strings.Builder
	dump(&b, reflect.ValueOf(parts))
	return b.String()
}

// dump writes every exported field of v, whatever its JSON tags say (they
// hide secrets, settings, payloads and results, which must not change
// either), with pointers followed and map keys sorted, so that two dumps
// of the same rows are equal.
func dump(b *strings.Builder, v reflect.Value) {
	switch v.Kind() {
	case reflect.Invalid:
		b.WriteString("nil")
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		dump(b, v.Elem())
	case reflect.Struct:
		if tm, ok := v.Interface().(time.Time); ok {
			b.WriteString(tm.UTC().Format(time.RFC3339Nano))
			return
		}
		b.WriteString(v.Type().Name() + "{")
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				b.WriteString(f.Name + ":")
				dump(b, v.Field(i))
				b.WriteString(" ")
			}
		}
		b.WriteString("}")
	case reflect.Slice, reflect.Array:
		b.WriteString("[")
		for i := range v.Len() {
			dump(b, v.Index(i))
			b.WriteString(",")
		}
		b.WriteString("]")
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		b.WriteString("map[")
		for _, k := range keys {
			b.WriteString(fmt.Sprint(k) + ":")
			dump(b, v.MapIndex(k))
			b.WriteString(",")
		}
		b.WriteString("]")
	default:
		fmt.Fprintf(b, "%q", fmt.Sprint(v.Interface()))
	}
}

// TestTenantIsolation calls every admin and ingest route with one
// project's keys and the other project's ids: no answer shows the other's
// data, and nothing of it changes.
func TestTenantIsolation(t *testing.T) {
	a, b := newTenant(t, "TENANT-A-7c1f"), newTenant(t, "TENANT-B-93ad")
	before := b.snapshot(t)
	// A leak is B's marker in an answer to a request that did not carry
	// it; ids A sends may be echoed back (in errors, or in A's own inbox
	// payloads), so for them the status is what counts.
	leaks := func(sent string, r response) bool {
		return !strings.Contains(sent, b.marker) && strings.Contains(string(r.raw), b.marker)
	}
	// One body for every write, naming B's things wherever a field can.
	body := map[string]any{
		"metric": b.metricID, "value": 1, "source": "made-by-a", "connector_id": b.generic, "inbox_id": b.ids["inbox"],
		"target_id": b.ids["agent"], "team_id": b.ids["team"], "projectId": b.ids["project"], "metricId": "secret_" + strings.ToLower(strings.ReplaceAll(b.marker, "-", "_")),
		"name": "made by A", "key": "made_by_a", "type": "generic", "ids": []string{b.ids["inbox"]},
		"rules":   []map[string]any{{"name": "x", "metric": b.metricID, "value": "1"}},
		"metrics": []map[string]any{{"metric": b.metricID, "value": 1}}, "tasks": []map[string]any{{"id": "made-by-a", "text": "x"}},
		"payload": map[string]any{"total": 1}, "secret": "new-secret", "id": "made-by-a", "agent_id": "ag-17", "moment": "2026-01-01",
		"proposition_id": "p-green", "sold_at": "2026-01-01",
	}
	param := regexp.MustCompile(`:(\w+)`)
	seen := map[string]bool{}
	requests := 0
	for _, rt := range api.New(nil, nil, api.Options{}).App().GetRoutes(true) {
		if rt.Method == "HEAD" || !strings.HasPrefix(rt.Path, "/api/") || strings.HasPrefix(rt.Path, "/api/admin/projects") ||
			rt.Path == "/api/openapi.json" || seen[rt.Method+rt.Path] {
			continue
		}
		seen[rt.Method+rt.Path] = true
		var paths []string
		switch {
		case strings.Contains(rt.Path, ":provider"):
			for _, p := range []string{"generic", "stripe"} {
				paths = append(paths, strings.Replace(rt.Path, ":provider", p, 1)+"?connector_id="+url.QueryEscape(b.generic))
			}
		case strings.Contains(rt.Path, ":id"):
			for _, id := range b.ids {
				paths = append(paths, param.ReplaceAllString(rt.Path, id))
			}
		default:
			paths = append(paths, rt.Path, rt.Path+"?source="+url.QueryEscape(b.marker)+"&connector_id="+b.generic+"&metric_id="+b.metricID)
		}
		for _, path := range paths {
			for _, key := range []string{a.adminKey, a.ingestKey, a.key} {
				var payload any
				if rt.Method != "GET" && rt.Method != "DELETE" {
					payload = body
				}
				r := do(t, rt.Method, path, key, payload, "Content-Type", "application/json")
				requests++
				if r.status == 429 {
					t.Fatalf("rate limited: the test would check nothing")
				}
				sent, _ := json.Marshal(payload)
				if leaks(path+string(sent), r) {
					t.Errorf("%s %s with A's key shows B's data: %.300s", rt.Method, path, r.raw)
				}
				if strings.Contains(rt.Path, ":") && r.status < 300 {
					t.Errorf("%s %s with A's key answered %d for B's id: %.300s", rt.Method, path, r.status, r.raw)
				}
			}
		}
	}
	if after := b.snapshot(t); after != before {
		t.Errorf("B's data changed during A's %d requests:\nbefore %s\nafter  %s", requests, before, after)
	}
	// B's own keys still work, and see B's data.
	r := do(t, "GET", "/api/admin/metrics", b.adminKey, nil)
	want(t, r, 200)
	if !strings.Contains(string(r.raw), b.marker) {
		t.Fatalf("B cannot see its own metrics: %s", r.raw)
	}
	want(t, b.send(t, "activities", "json", activityFields(b.marker)), 200)
	t.Logf("%d requests across %d routes", requests, len(seen))
}
