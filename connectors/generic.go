package connectors

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/intakehq/intake"
)

// Generic takes any JSON object from any system. With a secret it requires
// an HMAC-SHA256 of the body, hex, in the header named by the connector's
// signature_header (default X-Signature, "sha256=" prefix allowed); without
// one the API requires the connector's Bearer key. The event id comes from
// the event_id_path (dotted JSON path) or event_id_header setting, else the
// body's hash; the type from event_type_path (default "type").
var Generic = Provider{
	Name:      "generic",
	Verify:    verifyGeneric,
	Normalize: normalizeGeneric,
}

func verifyGeneric(secret []byte, r Request, _ time.Time) error {
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

func normalizeGeneric(r Request) ([]intake.Event, error) {
	var payload map[string]any
	if err := json.Unmarshal(r.Body, &payload); err != nil {
		return nil, fmt.Errorf("the body must be a JSON object: %w", err)
	}
	id := ""
	if p := r.Settings["event_id_path"]; p != "" {
		if v, ok := lookup(payload, p); ok && v != nil {
			id = num(v)
		}
	}
	if h := r.Settings["event_id_header"]; id == "" && h != "" {
		id = r.Header.Get(h)
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
