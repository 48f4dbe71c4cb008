package notify_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/notify"
)

// TestSignMatchesTheStandardWebhooksVector: the specification's own
// example signs as it says, and a changed byte or an old timestamp fails.
func TestSignMatchesTheStandardWebhooksVector(t *testing.T) {
	const secret, id = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek"
	ts, body := time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`)
	sig, err := notify.Sign(secret, id, ts, body)
	if err != nil || sig != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("Sign = %q, %v", sig, err)
	}
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,bm9wZQ== "+sig)
	if err := notify.Verify(secret, h, body, ts, time.Minute); err != nil {
		t.Fatalf("the vector does not verify: %v", err)
	}
	if notify.Verify(secret, h, []byte(`{"test": 2432232315}`), ts, time.Minute) == nil {
		t.Fatal("a changed body verifies")
	}
	if notify.Verify(secret, h, body, ts.Add(time.Hour), time.Minute) == nil {
		t.Fatal("an old timestamp verifies")
	}
}

func TestCheckChannel(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		give    notify.Channel
		private bool
		field   string // "" for allowed
	}{
		{"public https", notify.Channel{Type: "webhook", URL: "https://93.184.216.34/hook"}, false, ""},
		{"slack", notify.Channel{Type: "slack", URL: "https://93.184.216.34/services/T0/B0/x"}, false, ""},
		{"http", notify.Channel{Type: "webhook", URL: "http://93.184.216.34/hook"}, false, "channels[0].url"},
		{"loopback", notify.Channel{Type: "webhook", URL: "https://127.0.0.1/hook"}, false, "channels[0].url"},
		{"private", notify.Channel{Type: "webhook", URL: "https://10.0.0.1/hook"}, false, "channels[0].url"},
		{"metadata service", notify.Channel{Type: "webhook", URL: "https://169.254.169.254/latest"}, false, "channels[0].url"},
		{"ipv6 loopback", notify.Channel{Type: "webhook", URL: "https://[::1]/hook"}, false, "channels[0].url"},
		{"ipv6 link-local", notify.Channel{Type: "webhook", URL: "https://[fe80::1]/hook"}, false, "channels[0].url"},
		{"carrier-grade nat", notify.Channel{Type: "webhook", URL: "https://100.64.0.1/hook"}, false, "channels[0].url"},
		{"site-local", notify.Channel{Type: "webhook", URL: "https://[fec0::1]/hook"}, false, "channels[0].url"},
		{"6to4 of a private address", notify.Channel{Type: "webhook", URL: "https://[2002:a00:1::1]/hook"}, false, "channels[0].url"},
		{"ipv4-compatible", notify.Channel{Type: "webhook", URL: "https://[::7f00:1]/hook"}, false, "channels[0].url"},
		{"mapped loopback", notify.Channel{Type: "webhook", URL: "https://[::ffff:127.0.0.1]/hook"}, false, "channels[0].url"},
		{"allowed private", notify.Channel{Type: "webhook", URL: "http://127.0.0.1:9/hook"}, true, ""},
		{"user in url", notify.Channel{Type: "webhook", URL: "https://a:b@93.184.216.34/"}, false, "channels[0].url"},
		{"email", notify.Channel{Type: "email", URL: "https://93.184.216.34/"}, false, "channels[0].type"},
		{"short secret", notify.Channel{Type: "webhook", URL: "https://93.184.216.34/", Secret: "short"}, false, "channels[0].secret"},
		{"slack secret", notify.Channel{Type: "slack", URL: "https://93.184.216.34/", Secret: "0123456789abcdef"}, false, "channels[0].secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := notify.Policy{AllowPrivate: tt.private}.CheckChannel(ctx, 0, tt.give)
			var ie *intake.Error
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.field == "":
			case !errors.As(err, &ie) || ie.Field != tt.field:
				t.Fatalf("CheckChannel = %v, want an error on %s", err, tt.field)
			case strings.Contains(ie.Message, tt.give.URL):
				t.Fatalf("the error repeats the URL: %s", ie.Message)
			}
		})
	}
}

// TestSend: a webhook notification is signed and carries its message's
// id; a failing answer is an error naming its status, never the URL; a
// redirect is not followed; and an address the policy refuses is not
// reached even when no check ran before (the check is made as it
// connects).
func TestSend(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/ok":
			got = r.Header.Clone()
			if err := notify.Verify(secret, r.Header, body, time.Now(), time.Minute); err != nil {
				t.Errorf("signature: %v", err)
			}
		case "/moved":
			http.Redirect(w, r, "/ok", http.StatusFound)
		default:
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	ctx, msg := context.Background(), notify.Message{ID: "alev_1", Time: time.Now(), Body: []byte(`{"a":1}`), Text: "hi"}
	open := notify.NewSender(notify.Policy{AllowPrivate: true})
	if err := open.Send(ctx, notify.Channel{Type: "webhook", URL: srv.URL + "/ok", Secret: secret}, msg); err != nil {
		t.Fatal(err)
	}
	if got.Get("webhook-id") != "alev_1" {
		t.Fatalf("headers %v", got)
	}
	err := open.Send(ctx, notify.Channel{Type: "webhook", URL: srv.URL + "/down"}, msg)
	if err == nil || !strings.Contains(err.Error(), "500") || strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("a 500: %v", err)
	}
	if err := open.Send(ctx, notify.Channel{Type: "webhook", URL: srv.URL + "/moved"}, msg); err == nil || !strings.Contains(err.Error(), "302") {
		t.Fatalf("a redirect: %v", err)
	}
	err = notify.NewSender(notify.Policy{}).Send(ctx, notify.Channel{Type: "webhook", URL: srv.URL + "/ok"}, msg)
	if !errors.Is(err, notify.ErrRefused) || strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("a loopback address without AllowPrivate: %v", err)
	}
}
