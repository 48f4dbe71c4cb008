package connectors

import (
	"net/http"
	"sort"
	"time"

	"github.com/intakehq/intake"
)

// Request is a delivery as a provider sees it. URL is the public URL the
// provider called, for schemes that sign it (HubSpot); Settings are the
// connector's (signature header, event id path, legacy signatures…).
type Request struct {
	Method   string
	URL      string
	Header   http.Header
	Body     []byte
	Settings map[string]string
}

// Provider is everything intake knows about one provider: how to verify a
// delivery, how to read its events, and the rules that apply when a
// connector has none of its own.
type Provider struct {
	Name string
	// Verify checks a delivery against one secret at time now.
	Verify func(secret []byte, r Request, now time.Time) error
	// Normalize reads a delivery's events.
	Normalize func(r Request) ([]intake.Event, error)
	// Rules are the default mapping rules, in the same engine admins use.
	Rules []intake.Rule
	// Timestamped is true when signatures carry a time that can go stale.
	Timestamped bool
}

// registry is the one list of providers.
var registry = map[string]Provider{
	Stripe.Name:     Stripe,
	HubSpot.Name:    HubSpot,
	QuickBooks.Name: QuickBooks,
	Generic.Name:    Generic,
}

// Lookup returns the provider of a connector type.
func Lookup(name string) (Provider, bool) {
	p, ok := registry[name]
	return p, ok
}

// Names lists the providers, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// RulesInForce are the rules a scope runs: its saved rules, or, when it
// never saved any (version 0), the defaults of the provider named provider.
// defaults reports which.
func RulesInForce(provider string, saved []intake.Rule, version int) (rules []intake.Rule, defaults bool) {
	if p, ok := registry[provider]; ok && version == 0 {
		return p.Rules, true
	}
	return saved, false
}
