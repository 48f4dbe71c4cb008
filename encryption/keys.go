// Package encryption owns intake's encryption keys and what they encrypt
// at rest: every payload handed to Temporal (through the SDK's codec data
// converter) and the connector secrets in intake's database.
package encryption

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Keyring holds named AES-256 keys. The first encrypts; all decrypt, so
// that a new key can be put first while payloads and secrets written with
// older ones stay readable.
type Keyring struct {
	ids   []string
	aeads map[string]cipher.AEAD
}

var keyID = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)

// ParseKeys reads INTAKE_ENCRYPTION_KEYS: comma-separated id:key pairs,
// each key 32 bytes in standard or URL-safe base64. Errors never repeat a
// key's bytes.
func ParseKeys(s string) (*Keyring, error) {
	r := &Keyring{aeads: map[string]cipher.AEAD{}}
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		id, enc, ok := strings.Cut(part, ":")
		if !ok || !keyID.MatchString(id) {
			return nil, fmt.Errorf("encryption key %d: want id:base64 with an id of letters, digits, '.', '_' or '-' (at most 32)", i+1)
		}
		raw, err := decodeKey(enc)
		if err != nil {
			return nil, fmt.Errorf("encryption key %q: %w", id, err)
		}
		if err := r.add(id, raw); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func decodeKey(enc string) ([]byte, error) {
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := e.DecodeString(enc); err == nil {
			if len(raw) != 32 {
				return nil, fmt.Errorf("is %d bytes; AES-256 takes 32 (openssl rand -base64 32)", len(raw))
			}
			return raw, nil
		}
	}
	return nil, errors.New("is not base64 (openssl rand -base64 32 makes one)")
}

func (r *Keyring) add(id string, raw []byte) error {
	if _, dup := r.aeads[id]; dup {
		return fmt.Errorf("encryption key %q is given twice", id)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	r.ids = append(r.ids, id)
	r.aeads[id] = aead
	return nil
}

// NewKey makes a random key, as ParseKeys reads it: "id:base64".
func NewKey(id string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return id + ":" + base64.StdEncoding.EncodeToString(raw), nil
}

// Current is the id of the key that encrypts.
func (r *Keyring) Current() string { return r.ids[0] }

// IDs are the key ids, the current one first.
func (r *Keyring) IDs() []string { return append([]string(nil), r.ids...) }

// ErrUnknownKey is returned for data encrypted with a key the ring lacks.
var ErrUnknownKey = errors.New("encrypted with a key INTAKE_ENCRYPTION_KEYS does not hold")

// seal encrypts plain with the current key, binding aad: the result is
// the key id, the nonce and the ciphertext.
func (r *Keyring) seal(plain, aad []byte) (id string, sealed []byte, err error) {
	id = r.ids[0]
	aead := r.aeads[id]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, err
	}
	return id, aead.Seal(nonce, nonce, plain, aad), nil
}

// open decrypts what seal made with key id.
func (r *Keyring) open(id string, sealed, aad []byte) ([]byte, error) {
	aead, ok := r.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w (key %q)", ErrUnknownKey, id)
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("encrypted data is cut short")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], aad)
	if err != nil {
		return nil, fmt.Errorf("decrypt with key %q: the data or its metadata was altered", id)
	}
	return plain, nil
}

// Data at rest in intake's own database (connector secrets, stored bodies)
// is sealed in place: a marked value holds the key id and the sealed
// bytes, and an unmarked one is plaintext from before encryption.
const (
	sealedBytesMark  = "\x00intake-sealed-v1\x00"
	sealedStringMark = "enc:v1:"
)

// ErrNoKeys is returned for sealed data when no keys are configured.
var ErrNoKeys = errors.New("the data is encrypted but INTAKE_ENCRYPTION_KEYS is not set")

// SealBytes seals plain with the current key, bound to aad (what the
// value belongs to: moving it elsewhere makes it unreadable). A nil ring
// leaves plain as it is.
func (r *Keyring) SealBytes(plain []byte, aad string) ([]byte, error) {
	if r == nil {
		return plain, nil
	}
	id, sealed, err := r.seal(plain, []byte(aad))
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(sealedBytesMark)+1+len(id)+len(sealed))
	out = append(append(append([]byte(sealedBytesMark), byte(len(id))), id...), sealed...)
	return out, nil
}

// OpenBytes opens what SealBytes sealed and passes plaintext through.
func (r *Keyring) OpenBytes(data []byte, aad string) ([]byte, error) {
	rest, ok := strings.CutPrefix(string(data), sealedBytesMark)
	if !ok {
		return data, nil
	}
	if r == nil {
		return nil, ErrNoKeys
	}
	if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
		return nil, errors.New("sealed data is cut short")
	}
	n := int(rest[0])
	return r.open(rest[1:1+n], []byte(rest[1+n:]), []byte(aad))
}

// SealString is SealBytes for a text column: "enc:v1:<key id>:<base64>".
func (r *Keyring) SealString(plain, aad string) (string, error) {
	if r == nil || plain == "" {
		return plain, nil
	}
	id, sealed, err := r.seal([]byte(plain), []byte(aad))
	if err != nil {
		return "", err
	}
	return sealedStringMark + id + ":" + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// OpenString opens what SealString sealed and passes plaintext through.
func (r *Keyring) OpenString(s, aad string) (string, error) {
	rest, ok := strings.CutPrefix(s, sealedStringMark)
	if !ok {
		return s, nil
	}
	if r == nil {
		return "", ErrNoKeys
	}
	id, enc, ok := strings.Cut(rest, ":")
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if !ok || err != nil {
		return "", errors.New("a sealed value is malformed")
	}
	plain, err := r.open(id, raw, []byte(aad))
	return string(plain), err
}

// SealedWith is the key id a value was sealed with ("" for plaintext).
func SealedWith(v []byte) string {
	if rest, ok := strings.CutPrefix(string(v), sealedStringMark); ok {
		id, _, _ := strings.Cut(rest, ":")
		return id
	}
	if rest, ok := strings.CutPrefix(string(v), sealedBytesMark); ok && len(rest) >= 1+int(rest[0]) {
		return rest[1 : 1+int(rest[0])]
	}
	return ""
}
