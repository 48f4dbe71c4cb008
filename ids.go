package intake

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
)

// crockford is Crockford's base32 in lower case; its ASCII order matches its
// numeric order, so IDs sort by creation time as plain strings.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// NewID returns prefix + "_" + 26 characters: 48 bits of Unix milliseconds
// then 80 random bits. IDs sort by creation time, which keyset pagination uses.
func NewID(prefix string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + "_" + encode32(b[:])
}

// IDAt is the time part of IDs made at t followed by the smallest random
// part: every ID made at or after t sorts at or after prefix + "_" + IDAt(t).
func IDAt(t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	return encode32(b[:])
}

func encode32(b []byte) string {
	out := make([]byte, 0, (len(b)*8+4)/5)
	var acc uint32
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint32(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out = append(out, crockford[(acc>>uint(bits))&31])
		}
	}
	if bits > 0 {
		out = append(out, crockford[(acc<<uint(5-bits))&31])
	}
	return string(out)
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// APIKeyPrefix starts every API key so that scanners and humans recognise one.
const APIKeyPrefix = "ik_"

// apiKeyRandomLen is the number of base62 characters after the prefix: 40
// characters carry 238 bits, so a fast hash is enough to store them.
const apiKeyRandomLen = 40

// NewAPIKey returns a fresh secret API key. Only its HashAPIKey is stored.
func NewAPIKey() string {
	var b strings.Builder
	b.WriteString(APIKeyPrefix)
	buf := make([]byte, apiKeyRandomLen)
	for i := 0; i < apiKeyRandomLen; {
		if _, err := rand.Read(buf); err != nil {
			panic(err)
		}
		for _, c := range buf {
			// 248 is the largest multiple of 62 below 256: rejecting the rest
			// keeps every character equally likely.
			if c < 248 && i < apiKeyRandomLen {
				b.WriteByte(base62[c%62])
				i++
			}
		}
	}
	return b.String()
}

// ValidAPIKeyFormat reports whether s looks like an API key: the prefix and at
// least 32 base62 characters. It saves a database lookup for obvious garbage.
func ValidAPIKeyFormat(s string) bool {
	rest, ok := strings.CutPrefix(s, APIKeyPrefix)
	if !ok || len(rest) < 32 || len(rest) > 128 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(base62, rest[i]) < 0 {
			return false
		}
	}
	return true
}

// HashAPIKey is the stored form of a key: hex SHA-256. Keys are long random
// strings, so a slow password hash would add latency without adding safety.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// SecretEqual compares two secrets in constant time, whatever their lengths.
func SecretEqual(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}
