package api

import (
	"testing"
	"time"
	"unsafe"
)

// TestZoneCacheKeepsItsOwnNames: a zone named by a query parameter is
// cached under a copy of its name, so when Fiber reuses the request's bytes
// for the next request the cached name does not change with them.
func TestZoneCacheKeepsItsOwnNames(t *testing.T) {
	buf := []byte("America/New_York")
	name := unsafe.String(&buf[0], len(buf)) // as Fiber's c.Query returns it
	if _, err := location(name); err != nil {
		t.Fatal(err)
	}
	copy(buf, "Asia/Kolkata_xxm") // the next request's bytes
	zones.Range(func(k, v any) bool {
		if k.(string) != v.(*time.Location).String() {
			t.Errorf("zone %q cached under the name %q", v.(*time.Location).String(), k)
		}
		return true
	})
	if l, err := location("America/New_York"); err != nil || l.String() != "America/New_York" {
		t.Fatalf("America/New_York: %v, %v", l, err)
	}
}
