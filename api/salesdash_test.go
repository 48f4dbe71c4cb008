package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/url"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/intakehq/intake/store"
)

// salesConnector is a SalesDash connector of p, with its own key.
type salesConnector struct {
	project
	id, key string
}

func newSalesConnector(t *testing.T, settings map[string]any) salesConnector {
	t.Helper()
	return salesConnectorIn(t, newProject(t), settings)
}

func salesConnectorIn(t *testing.T, p project, settings map[string]any) salesConnector {
	t.Helper()
	body := map[string]any{"type": "salesdash", "name": "CRM"}
	if settings != nil {
		body["settings"] = settings
	}
	r := do(t, "POST", "/api/admin/connectors", p.adminKey, body)
	want(t, r, 201)
	if r.str("key") == "" || r.str("sales_url") == "" {
		t.Fatalf("a salesdash connector shows its key and both URLs: %s", r.raw)
	}
	return salesConnector{project: p, id: r.str("id"), key: r.str("key")}
}

// encodings send one flat record as JSON, urlencoded and multipart form;
// nested JSON objects become name[field] form fields.
var encodings = map[string]func(fields map[string]any) (body []byte, contentType string){
	"json": func(fields map[string]any) ([]byte, string) {
		raw, _ := json.Marshal(fields)
		return raw, "application/json"
	},
	"urlencoded": func(fields map[string]any) ([]byte, string) {
		v := url.Values{}
		for k, s := range flatten(fields) {
			v.Set(k, s)
		}
		return []byte(v.Encode()), "application/x-www-form-urlencoded"
	},
	"multipart": func(fields map[string]any) ([]byte, string) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for k, s := range flatten(fields) {
			_ = w.WriteField(k, s)
		}
		_ = w.Close()
		return buf.Bytes(), w.FormDataContentType()
	},
}

func flatten(fields map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range fields {
		switch v := v.(type) {
		case map[string]any:
			for sk, sv := range v {
				out[k+"["+sk+"]"] = fmt.Sprint(sv)
			}
		case nil:
			out[k] = ""
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

func (sc salesConnector) send(t *testing.T, kind, enc string, fields map[string]any, headers ...string) response {
	t.Helper()
	body, ct := encodings[enc](fields)
	return do(t, "POST", "/api/connectors/"+sc.id+"/"+kind, sc.key, body, append([]string{"Content-Type", ct}, headers...)...)
}

func activityFields(id string) map[string]any {
	return map[string]any{
		"id": id, "type": "Sale", "agent_id": "ag-17", "moment": "2026-03-02 09:15:00",
		"agent_name": "Anna de Vries", "agent_email": "Anna@Example.com", "agent_team_id": "t-north", "agent_team_name": "North",
		"contact_key": "cust-881", "value": 149.5, "value_is_money": true,
	}
}

func saleFields(id string) map[string]any {
	return map[string]any{
		"id": id, "agent_id": "ag-17", "proposition_id": "p-green", "sold_at": "2026-07-10",
		"agent_name": "Anna de Vries", "proposition_name": "Green Energy 3y", "cancelled_at": nil,
		"is_retention": false, "contract_value": 1250.75, "contact_key": "cust-881",
		"energy_meta": map[string]any{"electricity_usage": 3100, "electricity_return": 450.5, "gas_usage": 1200, "connection_count": 2},
	}
}

// sameRecord blanks what differs between two calls' rows of one record.
func sameRecord[T any](row T) T {
	v := reflect.ValueOf(&row).Elem()
	for _, f := range []string{"ID", "ExternalID", "CallID", "CreatedAt", "UpdatedAt"} {
		v.FieldByName(f).SetZero()
	}
	return row
}

func TestSalesDashEncodingsGiveIdenticalRows(t *testing.T) {
	sc := newSalesConnector(t, nil)
	ctx := context.Background()
	var activities []store.Activity
	var sales []store.Sale
	for _, enc := range []string{"json", "urlencoded", "multipart"} {
		r := sc.send(t, "activities", enc, activityFields("act-"+enc))
		want(t, r, 200)
		a, err := e2e.store.GetActivity(ctx, sc.project.id, r.str("id"))
		if err != nil {
			t.Fatal(err)
		}
		activities = append(activities, sameRecord(a))
		r = sc.send(t, "sales", enc, saleFields("sale-"+enc))
		want(t, r, 200)
		s, err := e2e.store.GetSale(ctx, sc.project.id, r.str("id"))
		if err != nil {
			t.Fatal(err)
		}
		sales = append(sales, sameRecord(s))
	}
	for i := 1; i < 3; i++ {
		if !reflect.DeepEqual(activities[0], activities[i]) {
			t.Errorf("activity rows differ by encoding:\n%+v\n%+v", activities[0], activities[i])
		}
		if !reflect.DeepEqual(sales[0], sales[i]) {
			t.Errorf("sale rows differ by encoding:\n%+v\n%+v", sales[0], sales[i])
		}
	}
	a, s := activities[0], sales[0]
	if a.Type != "Sale" || *a.Value != 149.5 || !a.ValueIsMoney || a.ContactKey != "cust-881" || a.Day != "2026-03-02" ||
		!a.Moment.Equal(time.Date(2026, 3, 2, 8, 15, 0, 0, time.UTC)) {
		t.Errorf("activity row: %+v", a)
	}
	if s.CancelledAt != nil || *s.ContractValue != 1250.75 || *s.GasUsage != 1200 || *s.ConnectionCount != 2 ||
		*s.ElectricityReturn != 450.5 || !s.SoldAt.Equal(time.Date(2026, 7, 10, 4, 0, 0, 0, time.UTC)) {
		t.Errorf("sale row: %+v", s)
	}
	// One agent, team and proposition identity, one user, whatever the encoding.
	idns, _, _ := e2e.store.ListIdentities(ctx, sc.project.id, store.IdentityFilter{}, store.Page{})
	if len(idns) != 3 {
		t.Fatalf("%d identities, want agent, team, proposition: %+v", len(idns), idns)
	}
	users := do(t, "GET", "/api/admin/users", sc.adminKey, nil)
	if data, _ := users.body["data"].([]any); len(data) != 1 || data[0].(map[string]any)["email"] != "anna@example.com" {
		t.Fatalf("users: %s", users.raw)
	}
}

func TestSalesDashTypeOverwriteMovesTheAggregate(t *testing.T) {
	sc := newSalesConnector(t, nil)
	count := func(path string) (int, float64) {
		t.Helper()
		r := do(t, "GET", path, sc.adminKey, nil)
		want(t, r, 200)
		total := r.body["total"].(map[string]any)
		return int(total["count"].(float64)), total["sum"].(float64)
	}
	fields := activityFields("a-1")
	want(t, sc.send(t, "activities", "json", fields), 200)
	if n, sum := count("/api/admin/activities/aggregate?type=Sale"); n != 1 || sum != 149.5 {
		t.Fatalf("Sale before overwrite: %d, %v", n, sum)
	}
	fields["type"] = "Sale - Cancelled"
	delete(fields, "agent_name")
	want(t, sc.send(t, "activities", "json", fields), 200)
	if n, _ := count("/api/admin/activities/aggregate?type=Sale"); n != 0 {
		t.Fatalf("Sale after overwrite counts %d", n)
	}
	if n, sum := count("/api/admin/activities/aggregate?type=Sale%20-%20Cancelled"); n != 1 || sum != 149.5 {
		t.Fatalf("Sale - Cancelled after overwrite: %d, %v", n, sum)
	}

	sale := saleFields("s-1")
	want(t, sc.send(t, "sales", "json", sale), 200)
	if n, sum := count("/api/admin/sales/aggregate"); n != 1 || sum != 1250.75 {
		t.Fatalf("sales: %d, %v", n, sum)
	}
	sale["cancelled_at"] = "2026-07-20"
	want(t, sc.send(t, "sales", "urlencoded", sale), 200)
	if n, _ := count("/api/admin/sales/aggregate"); n != 0 {
		t.Fatalf("a cancelled sale is counted: %d", n)
	}
	if n, _ := count("/api/admin/sales/aggregate?include_cancelled=true"); n != 1 {
		t.Fatalf("include_cancelled counts %d", n)
	}
	sale["cancelled_at"] = nil
	want(t, sc.send(t, "sales", "json", sale), 200)
	if n, _ := count("/api/admin/sales/aggregate"); n != 1 {
		t.Fatalf("a reinstated sale is not counted: %d", n)
	}

	r := do(t, "GET", "/api/admin/activities/aggregate?group_by=day&from=2026-03-01&to=2026-03-03", sc.adminKey, nil)
	want(t, r, 200)
	if data := r.body["data"].([]any); len(data) != 1 || data[0].(map[string]any)["group"] != "2026-03-02" {
		t.Fatalf("group_by day: %s", r.raw)
	}
	r = do(t, "GET", "/api/admin/activities/aggregate?from=2026-03-03", sc.adminKey, nil)
	if n := r.body["total"].(map[string]any)["count"].(float64); n != 0 {
		t.Fatalf("from after the activity counts %v", n)
	}
	want(t, do(t, "GET", "/api/admin/activities/aggregate?group_by=colour", sc.adminKey, nil), 400)
}

func TestSalesDashTimezones(t *testing.T) {
	sc := newSalesConnector(t, nil)
	tests := []struct {
		name, give, want, day string
	}{
		{"winter local time", "2026-01-15 14:30:00", "2026-01-15T13:30:00Z", "2026-01-15"},
		{"summer local time", "2026-07-15T14:30:00", "2026-07-15T12:30:00Z", "2026-07-15"},
		{"time in the DST gap", "2026-03-29 02:30:00", "2026-03-29T01:30:00Z", "2026-03-29"},
		{"explicit offset kept", "2026-07-15T23:30:00-04:00", "2026-07-16T03:30:00Z", "2026-07-16"},
		{"date only is 06:00 Amsterdam", "2026-07-15", "2026-07-15T04:00:00Z", "2026-07-15"},
		{"date only in winter", "2026-12-01", "2026-12-01T05:00:00Z", "2026-12-01"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := activityFields(fmt.Sprintf("tz-%d", i))
			fields["moment"] = tt.give
			r := sc.send(t, "activities", "urlencoded", fields)
			want(t, r, 200)
			a, err := e2e.store.GetActivity(context.Background(), sc.project.id, r.str("id"))
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Moment.UTC().Format(time.RFC3339); got != tt.want || a.Day != tt.day {
				t.Fatalf("moment %q stored as %s on %s, want %s on %s", tt.give, got, a.Day, tt.want, tt.day)
			}
		})
	}

	ny := newSalesConnector(t, map[string]any{"timezone": "America/New_York"})
	fields := activityFields("ny-1")
	fields["moment"] = "2026-07-15"
	r := ny.send(t, "activities", "json", fields)
	want(t, r, 200)
	a, _ := e2e.store.GetActivity(context.Background(), ny.project.id, r.str("id"))
	if got := a.Moment.UTC().Format(time.RFC3339); got != "2026-07-15T10:00:00Z" {
		t.Fatalf("a New York connector reads a date as %s", got)
	}
}

func TestSalesDashUnknownIdentityIs400AndWritesNothing(t *testing.T) {
	sc := newSalesConnector(t, nil)
	ctx := context.Background()
	act := activityFields("a-1")
	delete(act, "agent_name")
	r := sc.send(t, "activities", "multipart", act)
	want(t, r, 400)
	if d, _ := r.body["details"].(map[string]any); d["field"] != "agent_id" {
		t.Fatalf("400 does not name agent_id: %s", r.raw)
	}
	sale := saleFields("s-1")
	delete(sale, "proposition_name")
	r = sc.send(t, "sales", "json", sale)
	want(t, r, 400)
	if d, _ := r.body["details"].(map[string]any); d["field"] != "proposition_id" {
		t.Fatalf("400 does not name proposition_id: %s", r.raw)
	}
	if idns, _, _ := e2e.store.ListIdentities(ctx, sc.project.id, store.IdentityFilter{}, store.Page{}); len(idns) != 0 {
		t.Fatalf("refused calls wrote %d identities", len(idns))
	}
	if calls := sc.calls(t); len(calls) != 0 {
		t.Fatalf("refused calls wrote %d calls", len(calls))
	}
	// Required fields and types are refused by name, before any workflow.
	for field, bad := range map[string]any{"id": nil, "type": "", "moment": "yesterday", "value": "12,50", "value_is_money": "maybe", "agent_email": "not-an-email"} {
		f := activityFields("a-2")
		f[field] = bad
		r := sc.send(t, "activities", "json", f)
		want(t, r, 400)
		if d, _ := r.body["details"].(map[string]any); d["field"] != field {
			t.Errorf("%s=%v: 400 names %v", field, bad, d["field"])
		}
	}
	f := saleFields("s-2")
	f["energy_meta"] = map[string]any{"gas_usage": "lots"}
	r = sc.send(t, "sales", "urlencoded", f)
	want(t, r, 400)
	if d, _ := r.body["details"].(map[string]any); d["field"] != "energy_meta.gas_usage" {
		t.Errorf("energy_meta error names %v", d["field"])
	}
	if calls := sc.calls(t); len(calls) != 0 {
		t.Fatalf("refused calls wrote %d calls", len(calls))
	}
	// Once known, the agent needs no name.
	want(t, sc.send(t, "activities", "json", activityFields("a-3")), 200)
	want(t, sc.send(t, "activities", "json", act), 200)
}

func TestSalesDashIdentityUpsertThenLink(t *testing.T) {
	sc := newSalesConnector(t, nil)
	want(t, sc.send(t, "activities", "json", activityFields("a-1")), 200)
	other := activityFields("a-2")
	other["agent_id"], other["agent_name"], other["value"] = "ag-99", "A. de Vries (old CRM id)", 50
	want(t, sc.send(t, "activities", "json", other), 200)

	r := do(t, "GET", "/api/admin/identities?kind=agent&linked=false", sc.adminKey, nil)
	want(t, r, 200)
	data := r.body["data"].([]any)
	if len(data) != 2 {
		t.Fatalf("unlinked agents: %s", r.raw)
	}
	ids := map[string]string{}
	for _, d := range data {
		m := d.(map[string]any)
		ids[m["external_id"].(string)] = m["id"].(string)
	}
	r = do(t, "POST", "/api/admin/identities/"+ids["ag-17"]+"/link", sc.adminKey, map[string]any{"name": "Anna"})
	want(t, r, 200)
	agent := r.body["agent"].(map[string]any)
	if agent["name"] != "Anna" || agent["email"] != "anna@example.com" || agent["user_id"] == "" {
		t.Fatalf("created agent: %s", r.raw)
	}
	agentID := agent["id"].(string)
	want(t, do(t, "POST", "/api/admin/identities/"+ids["ag-99"]+"/link", sc.adminKey, map[string]any{"target_id": agentID}), 200)

	r = do(t, "GET", "/api/admin/identities?kind=agent&linked=false", sc.adminKey, nil)
	if data := r.body["data"].([]any); len(data) != 0 {
		t.Fatalf("still unlinked: %s", r.raw)
	}
	r = do(t, "GET", "/api/admin/activities/aggregate?group_by=agent", sc.adminKey, nil)
	want(t, r, 200)
	groups := r.body["data"].([]any)
	if len(groups) != 1 || groups[0].(map[string]any)["group"] != agentID || groups[0].(map[string]any)["sum"] != 199.5 {
		t.Fatalf("linked identities aggregate as one agent: %s", r.raw)
	}
	r = do(t, "GET", "/api/admin/activities/aggregate?group_by=team", sc.adminKey, nil)
	if groups := r.body["data"].([]any); len(groups) != 1 || groups[0].(map[string]any)["name"] != "North" {
		t.Fatalf("by team: %s", r.raw)
	}

	// A team identity links to a team made through the CRUD, which a wrong
	// kind of target cannot take.
	team := do(t, "POST", "/api/admin/teams", sc.adminKey, map[string]any{"name": "Team North"})
	want(t, team, 201)
	r = do(t, "GET", "/api/admin/identities?kind=team", sc.adminKey, nil)
	teamIdn := r.body["data"].([]any)[0].(map[string]any)["id"].(string)
	want(t, do(t, "POST", "/api/admin/identities/"+teamIdn+"/link", sc.adminKey, map[string]any{"target_id": agentID}), 400)
	want(t, do(t, "POST", "/api/admin/identities/"+teamIdn+"/link", sc.adminKey, map[string]any{"target_id": team.str("id")}), 200)
	want(t, do(t, "PATCH", "/api/admin/agents/"+agentID, sc.adminKey, map[string]any{"team_id": team.str("id")}), 200)
	want(t, do(t, "PATCH", "/api/admin/agents/"+agentID, sc.adminKey, map[string]any{"team_id": "team_nope"}), 400)
	want(t, do(t, "DELETE", "/api/admin/teams/"+team.str("id"), sc.adminKey, nil), 409)
	r = do(t, "GET", "/api/admin/agents", sc.adminKey, nil)
	if data := r.body["data"].([]any); len(data) != 1 || data[0].(map[string]any)["team_id"] != team.str("id") {
		t.Fatalf("agents: %s", r.raw)
	}
	prop := do(t, "POST", "/api/admin/propositions", sc.adminKey, map[string]any{"name": "Solar"})
	want(t, prop, 201)
	want(t, do(t, "DELETE", "/api/admin/propositions/"+prop.str("id"), sc.adminKey, nil), 204)
	want(t, do(t, "GET", "/api/admin/propositions/"+prop.str("id"), sc.adminKey, nil), 404)
}

func TestSalesDashSameCallTwiceIsOneRow(t *testing.T) {
	sc := newSalesConnector(t, nil)
	first := sc.send(t, "sales", "json", saleFields("s-1"), "Idempotency-Key", "sale-s-1")
	want(t, first, 200)
	again := sc.send(t, "sales", "json", saleFields("s-1"), "Idempotency-Key", "sale-s-1")
	want(t, again, 200)
	if again.str("ingest_id") != first.str("ingest_id") || again.body["created"] != true {
		t.Fatalf("a retried call answers differently: %s vs %s", again.raw, first.raw)
	}
	// Without a key the second call is a second call, and still one row.
	want(t, sc.send(t, "sales", "multipart", saleFields("s-1")), 200)
	rows, _, err := e2e.store.ListSales(context.Background(), sc.project.id, store.RecordFilter{}, store.Page{})
	if err != nil || len(rows) != 1 {
		t.Fatalf("%d rows, %v; want 1", len(rows), err)
	}
	r := do(t, "GET", "/api/admin/calls", sc.adminKey, nil)
	calls := r.body["data"].([]any)
	if len(calls) != 2 {
		t.Fatalf("calls: %s", r.raw)
	}
	kinds := []string{}
	for _, c := range calls {
		m := c.(map[string]any)
		kinds = append(kinds, m["kind"].(string)+"/"+m["connector_id"].(string))
	}
	sort.Strings(kinds)
	if kinds[0] != "sale/"+sc.id {
		t.Fatalf("calls are not logged with kind and connector: %v", kinds)
	}
	st := do(t, "GET", "/api/ingest/"+first.str("ingest_id"), sc.key, nil)
	want(t, st, 200)
	if st.str("status") != "done" || st.body["result"].(map[string]any)["id"] != first.str("id") {
		t.Fatalf("ingest status: %s", st.raw)
	}
	desc, err := e2e.temporal.DescribeWorkflowExecution(context.Background(), st.str("workflow_id"), "")
	if err != nil {
		t.Fatal(err)
	}
	sa := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
	if got := string(sa["IntakeEventType"].GetData()); got != `"sale"` {
		t.Fatalf("IntakeEventType = %s", got)
	}
}

func TestSalesDashNeedsTheConnectorsOwnKey(t *testing.T) {
	sc := newSalesConnector(t, nil)
	r := do(t, "POST", "/api/connectors/"+sc.id+"/activities", sc.ingestKey, activityFields("a-1"))
	want(t, r, 403)
	other := newSalesConnector(t, nil)
	want(t, do(t, "POST", "/api/connectors/"+sc.id+"/activities", other.key, activityFields("a-1")), 404)
	want(t, do(t, "POST", "/api/connectors/"+sc.id+"/activities", "", activityFields("a-1")), 401)
	r = do(t, "POST", "/api/connectors/"+sc.id+"/activities", sc.key, "<xml/>", "Content-Type", "text/xml")
	want(t, r, 400)
}

// TestSalesDashKeyRateLimit: a bulk sender's connector key takes its own
// limit at creation; connectors without a key refuse one.
func TestSalesDashKeyRateLimit(t *testing.T) {
	p := newProject(t)
	r := do(t, "POST", "/api/admin/connectors", p.adminKey, map[string]any{"type": "salesdash", "name": "CRM", "rate_limit": 5000})
	want(t, r, 201)
	sc := salesConnector{project: p, id: r.str("id"), key: r.str("key")}
	got := sc.send(t, "activities", "json", activityFields("a-1"))
	want(t, got, 200)
	if limit := got.header.Get("X-RateLimit-Limit"); limit != "5000" {
		t.Fatalf("X-RateLimit-Limit %q, want 5000", limit)
	}
	r = do(t, "POST", "/api/admin/connectors", p.adminKey, map[string]any{"type": "stripe", "name": "S", "secret": "whsec_x", "rate_limit": 5000})
	want(t, r, 400)
}

// TestConnectorKeysCallOnlyTheirConnector: a connector's key may call its
// connector's URLs and read its connector's calls, nothing else; rotating
// it issues a new key (the previous one works for the overlap given, none
// by default) and the connector keeps its identities.
func TestConnectorKeysCallOnlyTheirConnector(t *testing.T) {
	sc := newSalesConnector(t, nil)
	first := sc.send(t, "activities", "json", activityFields("a-1"))
	want(t, first, 200)
	for _, r := range []response{
		do(t, "POST", "/api/ingest/metric", sc.key, `{"metric": "revenue", "value": 999999}`),
		do(t, "POST", "/api/ingest/data", sc.key, `{"source": "x", "n": 1}`),
		do(t, "GET", "/api/admin/metrics", sc.key, nil),
	} {
		if r.status != 403 || r.str("error") != "forbidden" {
			t.Fatalf("a connector's key elsewhere: %d %s", r.status, r.raw)
		}
	}
	apiCall := do(t, "POST", "/api/ingest/metric", sc.ingestKey, `{"metric": "revenue", "value": 1}`)
	want(t, apiCall, 200)
	want(t, do(t, "GET", "/api/ingest/"+apiCall.str("ingest_id"), sc.key, nil), 404)
	want(t, do(t, "GET", "/api/ingest/"+first.str("ingest_id"), sc.key, nil), 200)
	if n := len(sc.points(t)); n != 1 {
		t.Fatalf("%d points: the connector's key wrote a metric", n)
	}

	// Rotation with an overlap: both keys work; the connector is the same.
	rotated := do(t, "POST", "/api/admin/connectors/"+sc.id+"/rotate-key", sc.adminKey, map[string]any{"overlap": "1h"})
	want(t, rotated, 200)
	next := salesConnector{project: sc.project, id: sc.id, key: rotated.str("key")}
	if next.key == "" || next.key == sc.key || rotated.str("id") != sc.id {
		t.Fatalf("rotated %s", rotated.raw)
	}
	want(t, sc.send(t, "activities", "json", activityFields("a-2")), 200)
	want(t, next.send(t, "activities", "json", activityFields("a-3")), 200) // the same agent, still known
	// Without an overlap the previous key stops at once.
	again := do(t, "POST", "/api/admin/connectors/"+sc.id+"/rotate-key", sc.adminKey, nil)
	want(t, again, 200)
	want(t, next.send(t, "activities", "json", activityFields("a-4")), 401)
	last := salesConnector{project: sc.project, id: sc.id, key: again.str("key")}
	want(t, last.send(t, "activities", "json", activityFields("a-5")), 200)
	stripe := newConnector(t, sc.project, "stripe", fixtureSecrets["stripe"], nil)
	want(t, do(t, "POST", "/api/admin/connectors/"+stripe["id"].(string)+"/rotate-key", sc.adminKey, nil), 409)
}
