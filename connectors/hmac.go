package connectors

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"strings"

	"github.com/intakehq/intake"
)

// ErrSignature is every verification failure; the message says which.
var ErrSignature = errors.New("signature")

type signatureError string

func (e signatureError) Error() string { return string(e) }
func (e signatureError) Is(target error) bool {
	return target == ErrSignature
}

func fail(msg string) error { return signatureError(msg) }

func hmacSHA256(secret []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, secret)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// equal compares a computed MAC with one sent, in constant time.
func equal(mac, sent []byte) bool {
	return hmac.Equal(mac, sent)
}

// ruleFor builds a default rule: metric is created on first use.
func ruleFor(id, name, when, metric, value, op, unit string) intake.Rule {
	return intake.Rule{ID: id, Name: name, When: when, Metric: metric, Value: value, Op: op, Unit: unit, Create: true, Enabled: true}
}

func trimPrefixFold(s, prefix string) string {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):]
	}
	return s
}
