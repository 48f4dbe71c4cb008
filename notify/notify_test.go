package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/notify"
)

// The Standard Webhooks specification's own example.
const (
	vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorUnix   = 1614265330
	vectorBody   = `{"test": 2432232314}`
	vectorSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// TestSignMatchesTheStandardWebhooksVector: what intake signs, any
// Standard Webhooks library verifies.
func TestSignMatchesTheStandardWebhooksVector(t *testing.T) {
	sig, err := notify.Sign(vectorSecret, vectorID, time.Unix(vectorUnix, 0), []byte(vectorBody))
	if err != nil || sig != vectorSig {
		t.Fatalf("Sign = %q, %v; want %q", sig, err, vectorSig)
	}
}

// TestVerify: the vector verifies among other signatures, and a changed
// byte, a stale or early timestamp or another secret does not.
func TestVerify(t *testing.T) {
	at := time.Unix(vectorUnix, 0)
	tests := []struct {
		name   string
		secret string
		sigs   string
		body   string
		now    time.Time
		want   bool
	}{
		{"the vector", vectorSecret, vectorSig, vectorBody, at, true},
		{"one of several", vectorSecret, "v2,bm9wZQ== v1,bm9wZQ== " + vectorSig, vectorBody, at, true},
		{"within tolerance", vectorSecret, vectorSig, vectorBody, at.Add(4 * time.Minute), true},
		{"a flipped byte", vectorSecret, vectorSig, `{"test": 2432232315}`, at, false},
		{"stale", vectorSecret, vectorSig, vectorBody, at.Add(6 * time.Minute), false},
		{"from the future", vectorSecret, vectorSig, vectorBody, at.Add(-6 * time.Minute), false},
		{"another secret", "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", vectorSig, vectorBody, at, false},
		{"no signature", vectorSecret, "", vectorBody, at, false},
		{"not v1", vectorSecret, strings.Replace(vectorSig, "v1,", "v2,", 1), vectorBody, at, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("webhook-id", vectorID)
			h.Set("webhook-timestamp", "1614265330")
			h.Set("webhook-signature", tt.sigs)
			err := notify.Verify(tt.secret, h, []byte(tt.body), tt.now, 5*time.Minute)
			if got := err == nil; got != tt.want {
				t.Fatalf("Verify = %v, want it to pass: %v", err, tt.want)
			}
		})
	}
}

// TestNewSecretSignsAndSaves: a generated secret is one CheckChannel
// accepts, and signs what Verify accepts.
func TestNewSecretSignsAndSaves(t *testing.T) {
	secret, err := notify.NewSecret()
	if err != nil || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("NewSecret = %q, %v", secret, err)
	}
	ch := notify.Channel{Type: "webhook", URL: "https://93.184.216.34/hook", Secret: secret}
	if err := (notify.Policy{}).CheckChannel(context.Background(), 0, ch); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sig, err := notify.Sign(secret, "alev_1", now, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", "alev_1")
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", sig)
	if err := notify.Verify(secret, h, []byte("{}"), now, time.Minute); err != nil {
		t.Fatal(err)
	}
}

func TestCheckChannel(t *testing.T) {
	const pub = "https://93.184.216.34"
	hook := func(url string) notify.Channel { return notify.Channel{Type: "webhook", URL: url} }
	tests := []struct {
		name    string
		give    notify.Channel
		private bool
		want    string // the field at fault; "" when allowed
	}{
		{"public https", hook(pub + "/hook"), false, ""},
		{"public ipv6", hook("https://[2606:2800:220:1:248:1893:25c8:1946]/hook"), false, ""},
		{"slack", notify.Channel{Type: "slack", URL: pub + "/services/T0/B0/x"}, false, ""},
		{"plain secret", notify.Channel{Type: "webhook", URL: pub, Secret: "0123456789abcdef"}, false, ""},
		{"whsec secret", notify.Channel{Type: "webhook", URL: pub, Secret: vectorSecret}, false, ""},
		{"http", hook("http://93.184.216.34/hook"), false, "channels[0].url"},
		{"ftp", hook("ftp://93.184.216.34/hook"), false, "channels[0].url"},
		{"ftp allowed private", hook("ftp://127.0.0.1/hook"), true, "channels[0].url"},
		{"relative", hook("relative/path"), false, "channels[0].url"},
		{"no host", hook("https:///hook"), false, "channels[0].url"},
		{"too long", hook(pub + "/" + strings.Repeat("a", 2048)), false, "channels[0].url"},
		{"user in url", hook("https://a:b@93.184.216.34/"), false, "channels[0].url"},
		{"loopback", hook("https://127.0.0.1/hook"), false, "channels[0].url"},
		{"loopback elsewhere in 127/8", hook("https://127.1.2.3/hook"), false, "channels[0].url"},
		{"private", hook("https://10.0.0.1/hook"), false, "channels[0].url"},
		{"private 172.16/12", hook("https://172.31.255.1/hook"), false, "channels[0].url"},
		{"private 192.168/16", hook("https://192.168.1.1/hook"), false, "channels[0].url"},
		{"metadata service", hook("https://169.254.169.254/latest"), false, "channels[0].url"},
		{"this network", hook("https://0.0.0.1/hook"), false, "channels[0].url"},
		{"unspecified", hook("https://0.0.0.0/hook"), false, "channels[0].url"},
		{"multicast", hook("https://224.0.0.251/hook"), false, "channels[0].url"},
		{"broadcast", hook("https://255.255.255.255/hook"), false, "channels[0].url"},
		{"carrier-grade nat", hook("https://100.64.0.1/hook"), false, "channels[0].url"},
		{"ipv6 loopback", hook("https://[::1]/hook"), false, "channels[0].url"},
		{"ipv6 unspecified", hook("https://[::]/hook"), false, "channels[0].url"},
		{"ipv6 link-local", hook("https://[fe80::1]/hook"), false, "channels[0].url"},
		{"ipv6 link-local with zone", hook("https://[fe80::1%25eth0]/hook"), false, "channels[0].url"},
		{"ipv6 unique local", hook("https://[fd00::1]/hook"), false, "channels[0].url"},
		{"ipv6 multicast", hook("https://[ff02::1]/hook"), false, "channels[0].url"},
		{"site-local", hook("https://[fec0::1]/hook"), false, "channels[0].url"},
		{"6to4 of a private address", hook("https://[2002:a00:1::1]/hook"), false, "channels[0].url"},
		{"ipv4-compatible", hook("https://[::7f00:1]/hook"), false, "channels[0].url"},
		{"mapped loopback", hook("https://[::ffff:127.0.0.1]/hook"), false, "channels[0].url"},
		{"mapped private", hook("https://[::ffff:10.0.0.1]/hook"), false, "channels[0].url"},
		{"nat64 of the metadata service", hook("https://[64:ff9b::a9fe:a9fe]/hook"), false, "channels[0].url"},
		{"allowed loopback over http", hook("http://127.0.0.1:9/hook"), true, ""},
		{"allowed private", hook("https://10.0.0.1/hook"), true, ""},
		{"allowed link-local with zone", hook("https://[fe80::1%25eth0]/hook"), true, ""},
		{"allowed mapped loopback", hook("https://[::ffff:127.0.0.1]/hook"), true, ""},
		{"email", notify.Channel{Type: "email", URL: pub}, false, "channels[0].type"},
		{"no type", notify.Channel{URL: pub}, false, "channels[0].type"},
		{"short secret", notify.Channel{Type: "webhook", URL: pub, Secret: "short"}, false, "channels[0].secret"},
		{"whsec not base64", notify.Channel{Type: "webhook", URL: pub, Secret: "whsec_not*base64"}, false, "channels[0].secret"},
		{"whsec too short", notify.Channel{Type: "webhook", URL: pub, Secret: "whsec_c2hvcnQ="}, false, "channels[0].secret"},
		{"slack secret", notify.Channel{Type: "slack", URL: pub, Secret: "0123456789abcdef"}, false, "channels[0].secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := notify.Policy{AllowPrivate: tt.private}.CheckChannel(context.Background(), 0, tt.give)
			var ie *intake.Error
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want == "":
			case !errors.As(err, &ie) || ie.Code != intake.ErrInvalidPayload || ie.Field != tt.want:
				t.Fatalf("CheckChannel = %v, want an invalid_payload on %s", err, tt.want)
			case strings.Contains(err.Error(), tt.give.URL) || tt.give.Secret != "" && strings.Contains(err.Error(), tt.give.Secret):
				t.Fatalf("the error repeats the URL or secret: %s", err)
			}
		})
	}
}

// receiver records the last request an httptest server got.
type receiver struct {
	mu     sync.Mutex
	header http.Header
	body   []byte
	hits   int
}

func (rc *receiver) last() (http.Header, []byte, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.header, rc.body, rc.hits
}

// newReceiver starts a receiver over http, or https when tls (its
// certificate is trusted by nobody: a refused dial never gets that far).
func newReceiver(t *testing.T, tls bool) (*receiver, *httptest.Server) {
	rc := &receiver{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.header, rc.body = r.Header.Clone(), body
		rc.hits++
		rc.mu.Unlock()
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/down":
			w.WriteHeader(500)
		case "/big":
			_, _ = w.Write([]byte(strings.Repeat("x", 1<<20)))
		}
	}))
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return rc, srv
}

// TestSendWebhook: a webhook notification is the message's body, signed
// with the attempt's time, under the message's id; without a secret it
// carries no signature.
func TestSendWebhook(t *testing.T) {
	rc, srv := newReceiver(t, false)
	s := notify.NewSender(notify.Policy{AllowPrivate: true})
	msg := notify.Message{ID: "alev_1", Time: time.Now().Add(-time.Hour), Body: []byte(`{"a":1}`), Text: "hi"}
	if err := s.Send(context.Background(), notify.Channel{Type: "webhook", URL: srv.URL + "/ok", Secret: vectorSecret}, msg); err != nil {
		t.Fatal(err)
	}
	h, body, _ := rc.last()
	if err := notify.Verify(vectorSecret, h, body, time.Now(), time.Minute); err != nil {
		t.Fatalf("the receiver cannot verify it: %v", err)
	}
	if h.Get("webhook-id") != msg.ID || string(body) != string(msg.Body) ||
		h.Get("Content-Type") != "application/json" || h.Get("User-Agent") != s.UserAgent {
		t.Fatalf("headers %v, body %s", h, body)
	}
	if err := s.Send(context.Background(), notify.Channel{Type: "webhook", URL: srv.URL + "/ok"}, msg); err != nil {
		t.Fatal(err)
	}
	if h, _, _ := rc.last(); h.Get("webhook-signature") != "" || h.Get("webhook-id") != msg.ID {
		t.Fatalf("without a secret: headers %v", h)
	}
}

// TestSendSlack: Slack gets the message's text, and no webhook headers.
func TestSendSlack(t *testing.T) {
	rc, srv := newReceiver(t, false)
	msg := notify.Message{ID: "alev_1", Time: time.Now(), Body: []byte(`{"a":1}`), Text: `Alert "Revenue" is firing`}
	err := notify.NewSender(notify.Policy{AllowPrivate: true}).Send(context.Background(), notify.Channel{Type: "slack", URL: srv.URL + "/ok"}, msg)
	if err != nil {
		t.Fatal(err)
	}
	h, body, _ := rc.last()
	var got map[string]string
	if err := json.Unmarshal(body, &got); err != nil || len(got) != 1 || got["text"] != msg.Text {
		t.Fatalf("slack got %s (%v)", body, err)
	}
	if h.Get("webhook-id") != "" || h.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", h)
	}
}

// TestSend: what fails says why without the URL; a redirect is not
// followed; an address the policy refuses is not reached even when no
// check ran before (it is checked as it connects: the https receiver on
// this machine passes every check Send makes of the URL itself), and
// fails for good, while an answer that is not 2xx may pass on retry.
func TestSend(t *testing.T) {
	rc, srv := newReceiver(t, false)
	tlsRC, tlsSrv := newReceiver(t, true)
	open, closed := notify.NewSender(notify.Policy{AllowPrivate: true}), notify.NewSender(notify.Policy{})
	tests := []struct {
		name    string
		sender  *notify.Sender
		give    notify.Channel
		want    string // in the error
		refused bool
		hits    int // requests the receiver got
	}{
		{"500", open, notify.Channel{Type: "webhook", URL: srv.URL + "/down"}, "answered 500", false, 1},
		{"redirect", open, notify.Channel{Type: "webhook", URL: srv.URL + "/moved"}, "answered 302", false, 1},
		{"loopback at connect", closed, notify.Channel{Type: "webhook", URL: tlsSrv.URL + "/ok"}, "loopback", true, 0},
		{"loopback at connect, slack", closed, notify.Channel{Type: "slack", URL: tlsSrv.URL + "/ok"}, "loopback", true, 0},
		{"http no longer allowed", closed, notify.Channel{Type: "webhook", URL: "http://93.184.216.34/x"}, "https", true, 0},
		{"unknown type", open, notify.Channel{Type: "email", URL: srv.URL + "/ok"}, "type", true, 0},
		{"bad secret", open, notify.Channel{Type: "webhook", URL: srv.URL + "/ok", Secret: "whsec_*"}, "base64", true, 0},
		{"nothing listening", open, notify.Channel{Type: "webhook", URL: "http://127.0.0.1:1/x"}, "post to the channel", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, before := rc.last()
			_, _, tlsBefore := tlsRC.last()
			err := tt.sender.Send(context.Background(), tt.give, notify.Message{ID: "alev_1", Time: time.Now(), Body: []byte("{}")})
			_, _, after := rc.last()
			_, _, tlsAfter := tlsRC.last()
			switch hits := after - before + tlsAfter - tlsBefore; {
			case err == nil || !strings.Contains(err.Error(), tt.want):
				t.Fatalf("Send = %v, want an error saying %q", err, tt.want)
			case errors.Is(err, notify.ErrRefused) != tt.refused:
				t.Fatalf("Send = %v: refused for good %v, want %v", err, !tt.refused, tt.refused)
			case strings.Contains(err.Error(), tt.give.URL) || strings.Contains(err.Error(), "/ok"):
				t.Fatalf("the error repeats the URL: %v", err)
			case hits != tt.hits:
				t.Fatalf("the receivers got %d requests, want %d", hits, tt.hits)
			}
		})
	}
}

// TestSendIgnoresALargeAnswer: only the status counts; an answer larger
// than what Send reads of it does not fail the notification.
func TestSendIgnoresALargeAnswer(t *testing.T) {
	_, srv := newReceiver(t, false)
	err := notify.NewSender(notify.Policy{AllowPrivate: true}).Send(context.Background(),
		notify.Channel{Type: "webhook", URL: srv.URL + "/big"}, notify.Message{ID: "alev_1", Body: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
}
