package connectors

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake"
)

// Generic takes any JSON object from any system. With a secret it requires
// a signature: with the signature_scheme setting "standard", Standard
// Webhooks' (webhook-id, webhook-timestamp within 5 minutes, and
// webhook-signature, an HMAC-SHA256 of id.timestamp.body), whose signed
// webhook-id is the event id, so that a captured delivery can be neither
// replayed later nor under another id; else an HMAC-SHA256 of the body,
// hex, in the header named by signature_header (default X-Signature,
// "sha256=" prefix allowed). Without a secret the API requires the
// connector's Bearer key. Otherwise the event id comes from the
// event_id_path (dotted JSON path, in the signed body), else the body's
// hash; the type from event_type_path (default "type").
var Generic = Provider{
	Name:      "generic",
	Verify:    verifyGeneric,
	Normalize: normalizeGeneric,
}

// Standard Webhooks (standardwebhooks.com): its headers and tolerance.
const (
	StandardID        = "webhook-id"
	standardTimestamp = "webhook-timestamp"
	standardSignature = "webhook-signature"
	standardTolerance = 5 * time.Minute
)

// standard reports whether a connector signs with Standard Webhooks.
func standard(settings map[string]string) bool { return settings["signature_scheme"] == "standard" }

func verifyGeneric(secret []byte, r Request, now time.Time) error {
	if standard(r.Settings) {
		return verifyStandard(secret, r, now)
	}
	name := r.Settings["signature_header"]
	if name == "" {
		name = "X-Signature"
	}
	sent, err := hex.DecodeString(trimPrefixFold(strings.TrimSpace(r.Header.Get(name)), "sha256="))
	if err != nil || len(sent) == 0 {
		return fail("missing or malformed " + name + " header")
	}
	if !equal(hmacSHA256(secret, string(r.Body)), sent) {
		return fail(name + " does not match")
	}
	return nil
}

// verifyStandard checks a Standard Webhooks signature: any v1 signature of
// webhook-signature's list matching, at a timestamp within the tolerance.
// A secret in the whsec_ form is the base64 of the key.
func verifyStandard(secret []byte, r Request, now time.Time) error {
	id, ts, sigs := r.Header.Get(StandardID), r.Header.Get(standardTimestamp), r.Header.Get(standardSignature)
	if id == "" || ts == "" || sigs == "" {
		return fail("missing webhook-id, webhook-timestamp or webhook-signature header")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fail("webhook-timestamp is not Unix seconds")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > standardTolerance || d < -standardTolerance {
		return fail("webhook-timestamp is outside the 5-minute window")
	}
	key := secret
	if b64, ok := strings.CutPrefix(string(secret), "whsec_"); ok {
		if key, err = base64.StdEncoding.DecodeString(b64); err != nil {
			return fail("the connector's whsec_ secret is not base64")
		}
	}
	want := hmacSHA256(key, id+"."+ts+"."+string(r.Body))
	for _, part := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(part, ",")
		if !ok || version != "v1" {
			continue
		}
		if sent, err := base64.StdEncoding.DecodeString(sig); err == nil && equal(want, sent) {
			return nil
		}
	}
	return fail("webhook-signature does not match")
}

func normalizeGeneric(r Request) ([]intake.Event, error) {
	var payload map[string]any
	if err := json.Unmarshal(r.Body, &payload); err != nil {
		return nil, fmt.Errorf("the body must be a JSON object: %w", err)
	}
	id := ""
	if standard(r.Settings) {
		id = r.Header.Get(StandardID) // signed with the body
	}
	if p := r.Settings["event_id_path"]; id == "" && p != "" {
		if v, ok := lookup(payload, p); ok && v != nil {
			id = num(v)
		}
	}
	if id == "" {
		sum := sha256.Sum256(r.Body)
		id = "sha256-" + hex.EncodeToString(sum[:16])
	}
	typePath := r.Settings["event_type_path"]
	if typePath == "" {
		typePath = "type"
	}
	typ := ""
	if v, ok := lookup(payload, typePath); ok {
		typ, _ = v.(string)
	}
	return []intake.Event{{ID: id, Type: typ, OccurredAt: time.Time{}, Source: "generic", Data: payload, Payload: payload}}, nil
}

func lookup(doc map[string]any, path string) (any, bool) {
	var cur any = doc
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}
