// Package encryptiontest makes keys and keyrings for tests.
package encryptiontest

import (
	"strings"
	"testing"

	"github.com/intakehq/intake/encryption"
)

// Key is a fresh random key named id, as INTAKE_ENCRYPTION_KEYS spells it.
func Key(t testing.TB, id string) string {
	t.Helper()
	k, err := encryption.NewKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Ring is the keyring of keys, the first current.
func Ring(t testing.TB, keys ...string) *encryption.Keyring {
	t.Helper()
	r, err := encryption.ParseKeys(strings.Join(keys, ","))
	if err != nil {
		t.Fatal(err)
	}
	return r
}
