package connectors

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake"
)

// Stripe verifies Stripe-Signature (HMAC-SHA256 of "t.body", any of several
// v1 signatures, 300 s tolerance) and reads one event per delivery.
var Stripe = Provider{
	Name:        "stripe",
	Verify:      verifyStripe,
	Normalize:   normalizeStripe,
	Timestamped: true,
	Rules: []intake.Rule{
		ruleFor("stripe_invoice_paid", "Invoice Paid", `event.type == "invoice.paid"`, "Invoice Paid",
			`cents(event.data.amount_paid, event.data.currency)`, intake.OpAdd, `upper(event.data.currency)`),
		ruleFor("stripe_payment_failed", "Payment Failed", `event.type == "invoice.payment_failed"`, "Payment Failed",
			`1`, intake.OpAdd, "count"),
		ruleFor("stripe_charge", "Charge Amount", `event.type == "charge.succeeded"`, "Charge Amount",
			`cents(event.data.amount, event.data.currency)`, intake.OpAdd, `upper(event.data.currency)`),
		ruleFor("stripe_subscription", "Subscription Amount", `event.type == "customer.subscription.created"`, "Subscription Amount",
			// API versions before 2022 put one plan and quantity on the subscription.
			`event.data.plan != nil ? cents(event.data.plan.amount * (event.data.quantity ?? 1), event.data.currency) : `+
				`cents(sum(event.data.items.data, #.price.unit_amount * #.quantity), event.data.currency)`,
			intake.OpAdd, `upper(event.data.currency)`),
		ruleFor("stripe_subscription_cancelled", "Subscription Cancelled", `event.type == "customer.subscription.deleted"`,
			"Subscription Cancelled", `1`, intake.OpAdd, "count"),
	},
}

// stripeTolerance is Stripe's own default.
const stripeTolerance = 300 * time.Second

func verifyStripe(secret []byte, r Request, now time.Time) error {
	header := r.Header.Get("Stripe-Signature")
	if header == "" {
		return fail("missing Stripe-Signature header")
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fail("Stripe-Signature has no timestamp or v1 signature")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > stripeTolerance || d < -stripeTolerance {
		return fail("Stripe-Signature timestamp is outside the 300 s tolerance")
	}
	mac := hmacSHA256(secret, ts, ".", string(r.Body))
	for _, sig := range sigs {
		if equal(mac, sig) {
			return nil
		}
	}
	return fail("no Stripe-Signature v1 signature matches")
}

func normalizeStripe(r Request) ([]intake.Event, error) {
	var evt struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Created int64  `json:"created"`
		Data    struct {
			Object map[string]any `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &evt); err != nil {
		return nil, fmt.Errorf("not a Stripe event: %w", err)
	}
	if evt.ID == "" || evt.Type == "" {
		return nil, fmt.Errorf("not a Stripe event: id and type are required")
	}
	var payload map[string]any
	_ = json.Unmarshal(r.Body, &payload)
	return []intake.Event{{
		ID: evt.ID, Type: evt.Type, OccurredAt: time.Unix(evt.Created, 0).UTC(), Source: "stripe",
		Data: evt.Data.Object, Payload: payload,
	}}, nil
}
