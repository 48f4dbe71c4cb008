package connectors_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/intakehq/intake/connectors"
	"github.com/stripe/stripe-go/v84/webhook"
)

const stripeSecret = "whsec_test_acmehub_0123456789abcdef"

// TestStripeAgreesWithStripeGo cross-checks the verifier with Stripe's own
// library: what stripe-go signs verifies here, and stripe-go accepts every
// fixture this verifier accepts.
func TestStripeAgreesWithStripeGo(t *testing.T) {
	now := time.Unix(1767261600, 0)
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
		Payload: []byte(`{"id":"evt_x","type":"charge.succeeded","created":1767261600,"data":{"object":{}}}`),
		Secret:  stripeSecret, Timestamp: now,
	})
	r := connectors.Request{Header: http.Header{"Stripe-Signature": {signed.Header}}, Body: signed.Payload}
	if err := connectors.Stripe.Verify([]byte(stripeSecret), r, now.Add(time.Minute)); err != nil {
		t.Fatalf("a stripe-go signature did not verify: %v", err)
	}
	if err := connectors.Stripe.Verify([]byte(stripeSecret), r, now.Add(6*time.Minute)); !errors.Is(err, connectors.ErrSignature) {
		t.Fatalf("a 6-minute-old stripe-go signature verified: %v", err)
	}
	for _, f := range fixtures(t, "stripe") {
		t.Run(f.name, func(t *testing.T) {
			ours := connectors.Stripe.Verify([]byte(stripeSecret), f.req, now)
			theirs := webhook.ValidatePayloadIgnoringTolerance(f.req.Body, f.req.Header.Get("Stripe-Signature"), stripeSecret)
			if (ours == nil) != (theirs == nil) || ours != nil {
				t.Fatalf("ours %v, stripe-go %v", ours, theirs)
			}
			// The rotated-out secret signed the second v1: both accept it too.
			old := "whsec_test_acmehub_rotated_out_000"
			if connectors.Stripe.Verify([]byte(old), f.req, now) != nil || webhook.ValidatePayloadIgnoringTolerance(f.req.Body, f.req.Header.Get("Stripe-Signature"), old) != nil {
				t.Fatal("the rotated-out secret's signature is not accepted by both")
			}
		})
	}
}
