package intake_test

import (
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake"
)

func TestNewIDSortsByTime(t *testing.T) {
	a := intake.NewID("m")
	time.Sleep(2 * time.Millisecond)
	b := intake.NewID("m")
	if !strings.HasPrefix(a, "m_") || len(a) != 2+26 {
		t.Fatalf("bad id %q", a)
	}
	if !(a < b) {
		t.Fatalf("%q does not sort before later %q", a, b)
	}
}

func TestAPIKeys(t *testing.T) {
	k := intake.NewAPIKey()
	if !intake.ValidAPIKeyFormat(k) {
		t.Fatalf("fresh key %q fails its own format check", k)
	}
	if k == intake.NewAPIKey() {
		t.Fatal("two keys are equal")
	}
	if intake.HashAPIKey(k) == k || len(intake.HashAPIKey(k)) != 64 {
		t.Fatal("hash is not a SHA-256 hex digest")
	}
	for _, bad := range []string{"", "ik_short", "xx_" + k[3:], k + "!", strings.Repeat("ik_a", 60)} {
		if intake.ValidAPIKeyFormat(bad) {
			t.Errorf("accepted %q", bad)
		}
	}
	if !intake.SecretEqual("abc", "abc") || intake.SecretEqual("abc", "abd") || intake.SecretEqual("abc", "abcd") {
		t.Fatal("SecretEqual is wrong")
	}
}
