package connectors

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/intakehq/intake"
)

// QuickBooks verifies intuit-signature (base64 HMAC-SHA256 of the body with
// the verifier token) and reads both the legacy eventNotifications format
// and CloudEvents arrays into events typed "<entity>.<past-tense op>".
// Events name an entity and an operation only: intake never calls back.
var QuickBooks = Provider{
	Name:      "quickbooks",
	Verify:    verifyQuickBooks,
	Normalize: normalizeQuickBooks,
	Rules: []intake.Rule{
		ruleFor("qbo_invoice_created", "Invoices Created", `event.type == "invoice.created"`, "Invoices Created", `1`, intake.OpAdd, "count"),
		ruleFor("qbo_payment_created", "Payments Received", `event.type == "payment.created"`, "Payments Received", `1`, intake.OpAdd, "count"),
		ruleFor("qbo_customer_created", "New Customers", `event.type == "customer.created"`, "New Customers", `1`, intake.OpAdd, "count"),
		ruleFor("qbo_invoice_voided", "Invoices Voided", `event.type == "invoice.voided"`, "Invoices Voided", `1`, intake.OpAdd, "count"),
		// Report-style pushes arrive at /api/ingest/data with source "quickbooks".
		ruleFor("qbo_total_income", "Monthly Revenue", `payload.TotalIncome != nil`, "Monthly Revenue", `num(payload.TotalIncome)`, intake.OpSet, ""),
	},
}

func verifyQuickBooks(secret []byte, r Request, _ time.Time) error {
	sent, err := base64.StdEncoding.DecodeString(r.Header.Get("intuit-signature"))
	if err != nil || len(sent) == 0 {
		return fail("missing intuit-signature header")
	}
	if !equal(hmacSHA256(secret, string(r.Body)), sent) {
		return fail("intuit-signature does not match")
	}
	return nil
}

var pastTense = map[string]string{
	"create": "created", "update": "updated", "delete": "deleted", "merge": "merged", "void": "voided", "emailed": "emailed",
}

func normalizeQuickBooks(r Request) ([]intake.Event, error) {
	body := strings.TrimSpace(string(r.Body))
	if strings.HasPrefix(body, "[") {
		return normalizeCloudEvents(r.Body)
	}
	var legacy struct {
		EventNotifications []struct {
			RealmID         string `json:"realmId"`
			DataChangeEvent struct {
				Entities []map[string]any `json:"entities"`
			} `json:"dataChangeEvent"`
		} `json:"eventNotifications"`
	}
	if err := json.Unmarshal(r.Body, &legacy); err != nil || len(legacy.EventNotifications) == 0 {
		return nil, fmt.Errorf("not a QuickBooks delivery (eventNotifications or CloudEvents)")
	}
	var events []intake.Event
	for _, n := range legacy.EventNotifications {
		for _, e := range n.DataChangeEvent.Entities {
			name, _ := e["name"].(string)
			op, _ := e["operation"].(string)
			id, _ := e["id"].(string)
			updated, _ := e["lastUpdated"].(string)
			if name == "" || op == "" {
				return nil, fmt.Errorf("an entity has no name or operation")
			}
			past := pastTense[strings.ToLower(op)]
			if past == "" {
				past = strings.ToLower(op)
			}
			at, _ := time.Parse(time.RFC3339Nano, updated)
			data := map[string]any{"realmId": n.RealmID}
			for k, v := range e {
				data[k] = v
			}
			events = append(events, intake.Event{
				ID:   strings.Join([]string{n.RealmID, name, id, op, updated}, "-"),
				Type: strings.ToLower(name) + "." + past, OccurredAt: at.UTC(), Source: "quickbooks", Data: data, Payload: data,
			})
		}
	}
	return events, nil
}

func normalizeCloudEvents(body []byte) ([]intake.Event, error) {
	var raw []map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("not a CloudEvents array: %w", err)
	}
	events := make([]intake.Event, 0, len(raw))
	for i, e := range raw {
		id, _ := e["id"].(string)
		typ, _ := e["type"].(string)
		if id == "" || !strings.HasPrefix(typ, "qbo.") {
			return nil, fmt.Errorf("event %d is not a QuickBooks CloudEvent", i)
		}
		// qbo.invoice.created.v1 -> invoice.created
		parts := strings.Split(strings.TrimPrefix(typ, "qbo."), ".")
		if len(parts) >= 3 {
			parts = parts[:len(parts)-1]
		}
		t, _ := e["time"].(string)
		at, _ := time.Parse(time.RFC3339Nano, t)
		data := map[string]any{"realmId": e["intuitaccountid"], "id": e["intuitentityid"], "cloudEventType": typ}
		if d, ok := e["data"].(map[string]any); ok {
			for k, v := range d {
				data[k] = v
			}
		}
		events = append(events, intake.Event{
			ID: id, Type: strings.Join(parts, "."), OccurredAt: at.UTC(), Source: "quickbooks", Data: data, Payload: e,
		})
	}
	return events, nil
}
