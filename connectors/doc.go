// Package connectors will hold one file per provider (Stripe, HubSpot,
// QuickBooks, generic) and registry.go, the one list of them: each verifies a
// delivery's signature, normalizes its payload into events, names its event
// id (the dedupe key) and ships default mapping rules. It stays pure: no
// database, Fiber or Temporal. Nothing is registered yet.
package connectors
