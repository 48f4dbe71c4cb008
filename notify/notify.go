// Package notify is intake's one outbound call: the notifications of
// alerts, sent to the channels a project's admins add (a Slack-compatible
// incoming webhook, or any HTTPS URL receiving JSON signed like Standard
// Webhooks). It never calls a connected app. Addresses are checked when a
// channel is saved and again at every connection, so a name that later
// resolves to a private address reaches nothing inside the network.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Channel is where an alert's notifications go.
type Channel struct {
	Type   string `json:"type"`
	URL    string `json:"url"`
	Secret string `json:"secret,omitempty"`
}

// Key names the channel among its alert's, whatever its place in the
// list: a delivery recorded under it stays true when the list is edited.
// The URL is hashed, so the key shows nothing of it.
func (ch Channel) Key() string {
	sum := sha256.Sum256([]byte(ch.Type + "\x00" + ch.URL))
	return hex.EncodeToString(sum[:16])
}

// Channel types.
const (
	TypeWebhook = "webhook"
	TypeSlack   = "slack"
)

// ErrRefused marks a channel that cannot be sent to, mostly because the
// policy refuses its address: trying again cannot help, so a caller gives
// up on it at once.
var ErrRefused = errors.New("the channel's address is refused")

// secretPrefix starts a Standard Webhooks secret; the rest is base64.
const secretPrefix = "whsec_"

// NewSecret makes a Standard Webhooks signing secret.
func NewSecret() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// secretKey is the HMAC key of a secret: the bytes a whsec_ secret
// encodes, else the secret's own bytes.
func secretKey(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, errors.New("a whsec_ secret must be base64 after its prefix")
	}
	return key, nil
}

// Sign returns the webhook-signature header of one message, as Standard
// Webhooks defines it: v1, then the base64 HMAC-SHA256 of
// "id.timestamp.body".
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, msgID, ts.Unix(), body)), nil
}

func mac(key []byte, msgID string, unix int64, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msgID + "." + strconv.FormatInt(unix, 10) + "."))
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a received notification as a receiver would: its
// timestamp within tolerance of now and one of its v1 signatures
// matching, compared in constant time.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := secretKey(secret)
	if err != nil {
		return err
	}
	unix, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil {
		return errors.New("no webhook-timestamp")
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook-timestamp is too far from now")
	}
	want := mac(key, h.Get("webhook-id"), unix, body)
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		v, b64, ok := strings.Cut(sig, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no webhook-signature matches")
}

// Message is one notification. ID is its transition's, the same on every
// attempt (the webhook-id), so a receiver tells a retry from a new one;
// Body is what webhook channels get, Text what Slack shows. Time is when
// the transition happened, for the caller's own use: the signed
// webhook-timestamp is each attempt's, as Standard Webhooks wants, so a
// retry long after the transition is not taken for a replay.
type Message struct {
	ID   string
	Time time.Time
	Body []byte
	Text string
}

// Sender posts notifications. Build it with NewSender: its Client checks
// every connection against Policy, and a Client of one's own would not.
type Sender struct {
	Client *http.Client
	// Policy is the one Client's dial check was built from; Send reads
	// it for the URL's scheme. Changing it later does not change what
	// Client may connect to.
	Policy    Policy
	UserAgent string
}

// sendTimeout bounds one notification, connection included.
const sendTimeout = 10 * time.Second

// maxAnswer is how much of an answer is read: enough to let the
// connection be reused, too little for a receiver to make intake hold
// much.
const maxAnswer = 64 << 10

// NewSender returns a Sender whose connections are checked against p as
// they are made: no proxy (it would connect for us, past the check), no
// redirects followed (they could lead anywhere).
func NewSender(p Policy) *Sender {
	dialer := &net.Dialer{Timeout: sendTimeout, Control: p.checkDial}
	transport := &http.Transport{Proxy: nil, DialContext: dialer.DialContext, TLSHandshakeTimeout: sendTimeout,
		ResponseHeaderTimeout: sendTimeout, MaxIdleConns: 16, IdleConnTimeout: time.Minute}
	return &Sender{Policy: p, UserAgent: "intake-alerts/1", Client: &http.Client{Transport: transport, Timeout: sendTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Send posts m to ch. A 2xx answer is success; any other answer, a 3xx
// included, is an error naming its status, and so is a failure to
// connect. Errors never repeat the URL (a Slack URL is a secret).
//
// An error wrapping ErrRefused is for good: the policy refuses the
// channel's address or scheme, or the channel cannot be sent to at all.
// Every other error may pass on retry; a 4xx answer too, though most
// will not (the caller's retries are bounded in time, and telling a
// receiver's passing misconfiguration from a lasting one is not ours).
func (s *Sender) Send(ctx context.Context, ch Channel, m Message) error {
	req, err := s.request(ctx, ch, m)
	if err != nil {
		return err
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		// A *url.Error prints the URL; what went wrong is inside it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("post to the channel: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the channel answered %d", resp.StatusCode)
	}
	return nil
}

// request builds the POST of m to ch: its body by the channel's type,
// and for a webhook the Standard Webhooks headers, signed as of now.
func (s *Sender) request(ctx context.Context, ch Channel, m Message) (*http.Request, error) {
	body := m.Body
	switch ch.Type {
	case TypeWebhook:
	case TypeSlack:
		var err error
		if body, err = json.Marshal(map[string]string{"text": m.Text}); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: a channel's type is %q or %q", ErrRefused, TypeWebhook, TypeSlack)
	}
	// The URL was checked when saved, but the policy may have tightened
	// since; the parse error would repeat the URL, so it is not kept.
	u, err := url.Parse(ch.URL)
	switch {
	case err != nil || u.Host == "":
		return nil, fmt.Errorf("%w: the channel's URL is not valid", ErrRefused)
	case u.Scheme != "https" && !(u.Scheme == "http" && s.Policy.AllowPrivate):
		return nil, fmt.Errorf("%w: the channel's URL must be https (http only with INTAKE_ALERTS_ALLOW_PRIVATE=true)", ErrRefused)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ch.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: the channel's URL is not valid", ErrRefused)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.UserAgent)
	if ch.Type != TypeWebhook {
		return req, nil
	}
	now := time.Now()
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	if ch.Secret != "" {
		sig, err := Sign(ch.Secret, m.ID, now, body)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrRefused, err)
		}
		req.Header.Set("webhook-signature", sig)
	}
	return req, nil
}
