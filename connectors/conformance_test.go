package connectors_test

import (
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/connectors"
	"github.com/intakehq/intake/mapping"
)

var update = flag.Bool("update", false, "rewrite the golden files")

type secrets map[string]struct {
	Secret   string            `json:"secret"`
	Now      int64             `json:"now"`
	Settings map[string]string `json:"settings"`
}

// fixture is one signed delivery from testdata.
type fixture struct {
	name string
	req  connectors.Request
}

func fixtures(t *testing.T, provider string) []fixture {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", provider, "*.headers.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures for %s", provider)
	}
	var out []fixture
	for _, hp := range paths {
		name := strings.TrimSuffix(filepath.Base(hp), ".headers.json")
		body, err := os.ReadFile(filepath.Join("testdata", provider, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var hs map[string]string
		raw, _ := os.ReadFile(hp)
		if err := json.Unmarshal(raw, &hs); err != nil {
			t.Fatal(err)
		}
		r := connectors.Request{Method: "POST", Header: http.Header{}, Body: body}
		for k, v := range hs {
			if k == "_request_uri_signed" {
				r.URL = v
				continue
			}
			r.Header.Set(k, v)
		}
		out = append(out, fixture{name: name, req: r})
	}
	return out
}

// TestConformance runs for every registered provider over its testdata: a
// valid delivery verifies, a flipped byte fails, a stale timestamp fails,
// the normalized events equal their golden file, the default rules compile.
func TestConformance(t *testing.T) {
	var sec secrets
	raw, _ := os.ReadFile(filepath.Join("testdata", "secrets.json"))
	if err := json.Unmarshal(raw, &sec); err != nil {
		t.Fatal(err)
	}
	for _, name := range connectors.Names() {
		p, _ := connectors.Lookup(name)
		s, ok := sec[name]
		if !ok {
			t.Fatalf("provider %s has no test secret", name)
		}
		now := time.Unix(s.Now, 0)
		t.Run(name+"/rules compile", func(t *testing.T) {
			if _, err := mapping.Compile(p.Rules, 0); err != nil {
				t.Fatal(err)
			}
		})
		for _, f := range fixtures(t, name) {
			f.req.Settings = s.Settings
			t.Run(name+"/"+f.name, func(t *testing.T) {
				if err := p.Verify([]byte(s.Secret), f.req, now); err != nil {
					t.Fatalf("valid delivery: %v", err)
				}
				if err := p.Verify([]byte(s.Secret+"x"), f.req, now); !errors.Is(err, connectors.ErrSignature) {
					t.Fatalf("wrong secret: %v", err)
				}
				flipped := f.req
				flipped.Body = append([]byte(nil), f.req.Body...)
				flipped.Body[len(flipped.Body)/2] ^= 1
				if err := p.Verify([]byte(s.Secret), flipped, now); !errors.Is(err, connectors.ErrSignature) {
					t.Fatalf("flipped byte: %v", err)
				}
				if p.Timestamped {
					if err := p.Verify([]byte(s.Secret), f.req, now.Add(time.Hour)); !errors.Is(err, connectors.ErrSignature) {
						t.Fatalf("stale timestamp: %v", err)
					}
				}
				events, err := p.Normalize(f.req)
				if err != nil || len(events) == 0 {
					t.Fatalf("normalize: %v (%d events)", err, len(events))
				}
				got, _ := json.MarshalIndent(events, "", "  ")
				golden := filepath.Join("testdata", name, f.name+".golden.json")
				if *update {
					if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update)", err)
				}
				if strings.TrimSpace(string(want)) != strings.TrimSpace(string(got)) {
					t.Fatalf("normalized events differ from %s:\n%s", golden, got)
				}
				for _, e := range events {
					if e.ID == "" || e.Type == "" && name != "generic" || e.Source != name {
						t.Fatalf("event without id, type or source: %+v", e)
					}
				}
			})
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, name := range connectors.Names() {
		paths, _ := filepath.Glob(filepath.Join("testdata", name, "*.json"))
		for _, p := range paths {
			if !strings.HasSuffix(p, ".headers.json") && !strings.HasSuffix(p, ".golden.json") {
				body, _ := os.ReadFile(p)
				f.Add(name, body)
			}
		}
	}
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		p, ok := connectors.Lookup(name)
		if !ok {
			return
		}
		events, err := p.Normalize(connectors.Request{Header: http.Header{}, Body: body, Settings: map[string]string{"event_id_path": "a.b"}})
		if err != nil {
			return
		}
		for _, e := range events {
			if e.ID == "" || e.Source != name {
				t.Fatalf("event without id or source from %q: %+v", body, e)
			}
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add("stripe", "t=1767261600,v1=00", []byte(`{}`))
	f.Add("hubspot", "5piwMNJzlqvf7C8AsAgDPXPzg5sV/42Q+GxT07JclNI=", []byte(`[]`))
	f.Add("quickbooks", "P+ax6SmXfZiVbH5p5UQG3jXi6cHdMj1Pcjx2aCcEEN8=", []byte(`{}`))
	f.Add("generic", "sha256=00", []byte(`{}`))
	headers := map[string]string{"stripe": "Stripe-Signature", "hubspot": "X-HubSpot-Signature-v3", "quickbooks": "intuit-signature", "generic": "X-Signature"}
	f.Fuzz(func(t *testing.T, name, header string, body []byte) {
		p, ok := connectors.Lookup(name)
		if !ok {
			return
		}
		h := http.Header{}
		h.Set(headers[name], header)
		h.Set("X-HubSpot-Request-Timestamp", "1767261600000")
		// A random header must never verify against a random secret.
		if err := p.Verify([]byte("fuzz-secret"), connectors.Request{Method: "POST", Header: h, Body: body}, time.Unix(1767261600, 0)); err == nil {
			t.Fatalf("%s verified %q over %q", name, header, body)
		}
	})
}

func TestHubSpotLegacySignaturesOnlyWhenAllowed(t *testing.T) {
	secret := []byte("yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy")
	for _, f := range fixtures(t, "hubspot") {
		r := f.req
		r.Header = r.Header.Clone()
		r.Header.Del("X-HubSpot-Signature-v3")
		if err := connectors.HubSpot.Verify(secret, r, time.Unix(1767261600, 0)); !errors.Is(err, connectors.ErrSignature) {
			t.Fatalf("%s: v1 accepted without legacy_signatures: %v", f.name, err)
		}
		r.Settings = map[string]string{"legacy_signatures": "true"}
		if err := connectors.HubSpot.Verify(secret, r, time.Unix(1767261600, 0)); err != nil {
			t.Fatalf("%s: v1 with legacy_signatures: %v", f.name, err)
		}
		r.Body = append([]byte(" "), r.Body...)
		if err := connectors.HubSpot.Verify(secret, r, time.Unix(1767261600, 0)); !errors.Is(err, connectors.ErrSignature) {
			t.Fatalf("%s: v1 over another body verified", f.name)
		}
	}
}
