package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/encryption"
	"github.com/intakehq/intake/encryption/encryptiontest"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
)

var keyring, newKey = encryptiontest.Ring, encryptiontest.Key

// TestConnectorSecretsAreSealed: with keys, connector secrets are stored
// sealed and read back plain; a plaintext secret from before encryption
// and one sealed with an older key are resealed with the current key by
// MaintainSecrets, which also erases a previous secret past its overlap.
func TestConnectorSecretsAreSealed(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	p, _ := storetest.Project(t, st)
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")

	legacy := store.Connector{ID: intake.NewID("c"), ProjectID: p.ID, Type: "stripe", Name: "before", Secret: "whsec_canary_legacy"}
	if err := st.CreateConnector(ctx, &legacy, nil); err != nil { // no keys yet
		t.Fatal(err)
	}
	st.UseKeys(keyring(t, k1))
	c := store.Connector{ID: intake.NewID("c"), ProjectID: p.ID, Type: "stripe", Name: "S", Secret: "whsec_canary_1"}
	if err := st.CreateConnector(ctx, &c, nil); err != nil {
		t.Fatal(err)
	}
	if c.Secret != "whsec_canary_1" {
		t.Fatalf("created connector holds %q", c.Secret)
	}
	raw, _, err := st.RawSecrets(ctx, c.ID)
	if err != nil || strings.Contains(raw, "canary") || encryption.SealedWith([]byte(raw)) != "k1" {
		t.Fatalf("stored secret %q (%v)", raw, err)
	}
	if got, err := st.GetConnector(ctx, c.ID); err != nil || got.Secret != "whsec_canary_1" {
		t.Fatalf("read back %q (%v)", got.Secret, err)
	}
	past := time.Now().Add(-time.Second)
	if _, err := st.UpdateConnector(ctx, p.ID, c.ID, func(c *store.Connector) error {
		c.PreviousSecret, c.PreviousUntil, c.Secret = c.Secret, &past, "whsec_canary_2"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if raw, prev, _ := st.RawSecrets(ctx, c.ID); strings.Contains(raw+prev, "canary") || prev == "" {
		t.Fatalf("after rotation: %q %q", raw, prev)
	}

	st.UseKeys(keyring(t, k2, k1))
	n, err := st.MaintainSecrets(ctx, time.Now())
	if err != nil || n != 2 {
		t.Fatalf("resealed %d (%v), want 2: the legacy one and the rotated one", n, err)
	}
	for id, want := range map[string]string{c.ID: "whsec_canary_2", legacy.ID: "whsec_canary_legacy"} {
		raw, prev, _ := st.RawSecrets(ctx, id)
		if encryption.SealedWith([]byte(raw)) != "k2" || prev != "" {
			t.Fatalf("connector %s after maintenance: %q, previous %q", id, raw, prev)
		}
		if got, err := st.GetConnector(ctx, id); err != nil || got.Secret != want || got.PreviousSecret != "" || got.PreviousUntil != nil {
			t.Fatalf("connector %s reads %q / %q / %v (%v)", id, got.Secret, got.PreviousSecret, got.PreviousUntil, err)
		}
	}
	if n, err := st.MaintainSecrets(ctx, time.Now()); err != nil || n != 0 {
		t.Fatalf("a second run resealed %d (%v)", n, err)
	}
	st.UseKeys(keyring(t, newKey(t, "k3")))
	if _, err := st.GetConnector(ctx, c.ID); err == nil {
		t.Fatal("a ring without k2 read the secret")
	}
}

// TestStoredBodiesAreSealed: a body kept for a large call is stored
// sealed and handed to the call plain.
func TestStoredBodiesAreSealed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.st.UseKeys(keyring(t, newKey(t, "k1")))
	body := []byte(`{"customer":"canary-bob@example.com"}`)
	ref, err := f.st.PutBody(ctx, f.project.ID, body)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := f.st.RawBody(ctx, ref)
	if err != nil || strings.Contains(string(raw), "canary") || encryption.SealedWith(raw) != "k1" {
		t.Fatalf("stored body %q (%v)", raw, err)
	}
	c := f.call("ing_body1")
	c.BodyRef = ref
	var seen string
	outs, err := f.st.ApplyCalls(ctx, []intake.Call{c}, 1, func(tx *store.Tx, c intake.Call) (any, error) {
		seen = string(c.Input)
		return map[string]bool{"ok": true}, nil
	})
	if err != nil || outs[0].Error != nil || seen != string(body) {
		t.Fatalf("the call saw %q (%v %v)", seen, err, outs[0].Error)
	}
}
