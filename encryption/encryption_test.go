package encryption_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/intakehq/intake/encryption"
	"github.com/intakehq/intake/encryption/encryptiontest"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

var ring, newKey = encryptiontest.Ring, encryptiontest.Key

func TestParseKeysRefusesWithoutRepeatingTheKey(t *testing.T) {
	short := base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	k1 := newKey(t, "k1")
	for in, want := range map[string]string{
		"k1:" + short:            "is 16 bytes",
		"k1:not base64!":         "not base64",
		"nokey":                  "want id:base64",
		"bad id!:" + short:       "want id:base64",
		k1 + "," + k1:            "given twice",
		"":                       "want id:base64",
		"k2:" + short + "," + k1: "is 16 bytes",
	} {
		_, err := encryption.ParseKeys(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKeys(%q) = %v, want %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), short) {
			t.Errorf("the error repeats the key: %v", err)
		}
	}
	if r := ring(t, newKey(t, "k2"), k1); r.Current() != "k2" || len(r.IDs()) != 2 {
		t.Fatalf("current %s, ids %v", r.Current(), r.IDs())
	}
}

func payload(s string) *commonpb.Payload {
	return &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"` + s + `"`)}
}

// A payload round-trips through the data converter with compression; it is
// sealed (no plaintext, the key id and project in its metadata); plaintext
// payloads (histories from before) pass through; a ring whose first key is
// new still opens what the old one sealed, and seals with the new one.
func TestSealOpenRotate(t *testing.T) {
	k1 := newKey(t, "k1")
	old := ring(t, k1)
	secret := strings.Repeat("canary-customer@example.com ", 20)
	sealed, err := encryption.Encode(old, "p_123", true, []*commonpb.Payload{payload(secret)})
	if err != nil {
		t.Fatal(err)
	}
	got := sealed[0]
	if strings.Contains(string(got.Data), "canary") || encryption.KeyID(got) != "k1" || encryption.Project(got) != "p_123" || !encryption.Encrypted(got) {
		t.Fatalf("sealed payload: %v", got)
	}
	rotated := ring(t, newKey(t, "k2"), k1)
	opened, err := encryption.Decode(rotated, []*commonpb.Payload{got, payload("plain")})
	if err != nil {
		t.Fatal(err)
	}
	if string(opened[0].Data) != `"`+secret+`"` || string(opened[1].Data) != `"plain"` {
		t.Fatalf("opened %q and %q", opened[0].Data, opened[1].Data)
	}
	again, _ := encryption.Encode(rotated, "", false, []*commonpb.Payload{payload("x")})
	if encryption.KeyID(again[0]) != "k2" || encryption.Project(again[0]) != "" {
		t.Fatalf("after rotation: key %s project %s", encryption.KeyID(again[0]), encryption.Project(again[0]))
	}
	if _, err := encryption.Decode(ring(t, newKey(t, "k3")), []*commonpb.Payload{got}); !errors.Is(err, encryption.ErrUnknownKey) {
		t.Fatalf("a ring without k1: %v", err)
	}
	// The project is bound to the ciphertext: moving a payload to another
	// project's metadata makes it undecryptable.
	moved := &commonpb.Payload{Metadata: map[string][]byte{}, Data: got.Data}
	for k, v := range got.Metadata {
		moved.Metadata[k] = v
	}
	moved.Metadata[encryption.MetaProject] = []byte("p_other")
	if _, err := encryption.Decode(old, []*commonpb.Payload{moved}); err == nil || !strings.Contains(err.Error(), "altered") {
		t.Fatalf("a payload moved to another project: %v", err)
	}

	dc := encryption.DataConverter(old, true)
	p, err := dc.ToPayload(map[string]string{"email": secret})
	if err != nil || strings.Contains(string(p.Data), "canary") {
		t.Fatalf("ToPayload: %v %q", err, p.GetData())
	}
	var back map[string]string
	if err := dc.FromPayload(p, &back); err != nil || back["email"] != secret {
		t.Fatalf("FromPayload: %v %v", err, back)
	}
	// Bound to a workflow, the converter records the workflow's project.
	bound := converter.WithDataConverterSerializationContext(dc, converter.WorkflowSerializationContext{WorkflowID: "ingest/p_abc/api/ing_1"})
	if p, _ := bound.ToPayload("x"); encryption.Project(p) != "p_abc" {
		t.Fatalf("a workflow's payload carries project %q", encryption.Project(p))
	}
}

// Whether payloads are compressed can change under running workflows: a
// converter that does not compress reads compressed payloads. A sealed
// payload that would inflate past 64 MB is refused, not inflated.
func TestCompressionIsReadEitherWay(t *testing.T) {
	r := ring(t, newKey(t, "k1"))
	p, err := encryption.DataConverter(r, true).ToPayload(strings.Repeat("compressible ", 1000))
	if err != nil || string(p.Metadata[encryption.MetaCompressed]) != "zlib" || len(p.Data) > 2000 {
		t.Fatalf("compressed payload: %v, %d bytes, %v", p.GetMetadata(), len(p.GetData()), err)
	}
	var back string
	if err := encryption.DataConverter(r, false).FromPayload(p, &back); err != nil || back != strings.Repeat("compressible ", 1000) {
		t.Fatalf("read without compression: %v", err)
	}
	bomb, err := encryption.Encode(r, "", true, []*commonpb.Payload{{Data: make([]byte, 65<<20)}})
	if err != nil || len(bomb[0].Data) > 1<<20 {
		t.Fatalf("sealing 65 MB of zeros: %v, %d bytes", err, len(bomb[0].GetData()))
	}
	if _, err := encryption.Decode(r, bomb); err == nil || !strings.Contains(err.Error(), "more than 64 MB") {
		t.Fatalf("a payload inflating past 64 MB: %v", err)
	}
}
