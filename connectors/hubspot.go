package connectors

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/intakehq/intake"
)

// HubSpot verifies X-HubSpot-Signature-v3 (base64 HMAC-SHA256 of method,
// public URL, body and timestamp; 5-minute window), and v1/v2 when the
// connector allows them (setting legacy_signatures=true). A delivery is an
// array of events, each deduplicated on its own.
var HubSpot = Provider{
	Name:        "hubspot",
	Verify:      verifyHubSpot,
	Normalize:   normalizeHubSpot,
	Timestamped: true,
	Rules: []intake.Rule{
		ruleFor("hubspot_contact", "New Contact", `event.type == "contact.creation"`, "New Contact", `1`, intake.OpAdd, "count"),
		ruleFor("hubspot_deal", "New Deal", `event.type == "deal.creation"`, "New Deal", `1`, intake.OpAdd, "count"),
		ruleFor("hubspot_deal_amount", "Deal Amount",
			`event.type == "deal.propertyChange" && event.data.propertyName == "amount"`, "Deal Amount",
			`num(event.data.propertyValue)`, intake.OpSet, ""),
		ruleFor("hubspot_engagement", "New Engagement", `event.type == "engagement.creation"`, "New Engagement", `1`, intake.OpAdd, "count"),
	},
}

const hubspotWindow = 5 * time.Minute

func verifyHubSpot(secret []byte, r Request, now time.Time) error {
	if sig := r.Header.Get("X-HubSpot-Signature-v3"); sig != "" {
		ts := r.Header.Get("X-HubSpot-Request-Timestamp")
		ms, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return fail("X-HubSpot-Request-Timestamp is missing or not milliseconds")
		}
		if d := now.Sub(time.UnixMilli(ms)); d > hubspotWindow || d < -hubspotWindow {
			return fail("X-HubSpot-Request-Timestamp is outside the 5-minute window")
		}
		sent, err := base64.StdEncoding.DecodeString(sig)
		if err != nil || !equal(hmacSHA256(secret, r.Method, r.URL, string(r.Body), ts), sent) {
			return fail("X-HubSpot-Signature-v3 does not match")
		}
		return nil
	}
	if r.Settings["legacy_signatures"] != "true" {
		return fail("missing X-HubSpot-Signature-v3 (v1/v2 are off for this connector)")
	}
	sent, err := hex.DecodeString(r.Header.Get("X-HubSpot-Signature"))
	if err != nil || len(sent) == 0 {
		return fail("missing X-HubSpot-Signature")
	}
	var sum [32]byte
	switch r.Header.Get("X-HubSpot-Signature-Version") {
	case "v2":
		sum = sha256.Sum256([]byte(string(secret) + r.Method + r.URL + string(r.Body)))
	default:
		sum = sha256.Sum256(append(append([]byte{}, secret...), r.Body...))
	}
	if !equal(sum[:], sent) {
		return fail("X-HubSpot-Signature does not match")
	}
	return nil
}

func normalizeHubSpot(r Request) ([]intake.Event, error) {
	var raw []map[string]any
	if err := json.Unmarshal(r.Body, &raw); err != nil {
		return nil, fmt.Errorf("not a HubSpot delivery (an array of events): %w", err)
	}
	events := make([]intake.Event, 0, len(raw))
	for i, e := range raw {
		typ, _ := e["subscriptionType"].(string)
		occurred, _ := e["occurredAt"].(float64)
		if typ == "" || e["eventId"] == nil {
			return nil, fmt.Errorf("event %d has no subscriptionType or eventId", i)
		}
		id := fmt.Sprintf("%v-%v-%v-%v", num(e["portalId"]), num(e["subscriptionId"]), num(e["eventId"]), num(e["occurredAt"]))
		events = append(events, intake.Event{
			ID: id, Type: typ, OccurredAt: time.UnixMilli(int64(occurred)).UTC(), Source: "hubspot", Data: e, Payload: e,
		})
	}
	return events, nil
}

// num prints a JSON number without an exponent, for keys.
func num(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
