package api

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// countingKeys is a key store that counts its lookups, each slow enough
// for concurrent requests to overlap.
type countingKeys struct {
	key     store.APIKey
	lookups atomic.Int32
}

func (k *countingKeys) APIKeyByHash(context.Context, string) (store.APIKey, error) {
	k.lookups.Add(1)
	time.Sleep(50 * time.Millisecond)
	return k.key, nil
}

func (k *countingKeys) TouchAPIKey(context.Context, string, time.Time) error { return nil }

func (k *countingKeys) GetProject(context.Context, string) (store.Project, error) {
	return store.Project{ID: k.key.ProjectID}, nil
}

// TestKeyLookupsCollapse: a burst of requests with a key not in the cache
// (as when its entry expires under load) makes one lookup, not one per
// request, so a burst cannot exhaust the database's connections.
func TestKeyLookupsCollapse(t *testing.T) {
	secret := intake.NewAPIKey()
	keys := &countingKeys{key: store.APIKey{ID: "key_1", ProjectID: "p_1", Scope: string(intake.ScopeIngest), Hash: intake.HashAPIKey(secret)}}
	a := newAuthenticator(keys, "", time.Minute, DefaultMaxAuthFailures)
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p, err := a.principal(context.Background(), "Bearer "+secret, "192.0.2.1"); err != nil || p.KeyID != "key_1" {
				t.Errorf("principal %+v, %v", p, err)
			}
		}()
	}
	wg.Wait()
	if n := keys.lookups.Load(); n != 1 {
		t.Fatalf("%d lookups for 64 concurrent requests with one key, want 1", n)
	}
}

// oneKey is a key store holding one key, counting its lookups.
type oneKey struct {
	key     store.APIKey
	lookups atomic.Int32
}

func (k *oneKey) APIKeyByHash(_ context.Context, hash string) (store.APIKey, error) {
	k.lookups.Add(1)
	if hash != k.key.Hash {
		return store.APIKey{}, intake.Errorf(intake.ErrNotFound, "no key")
	}
	return k.key, nil
}

func (k *oneKey) TouchAPIKey(context.Context, string, time.Time) error { return nil }

func (k *oneKey) GetProject(context.Context, string) (store.Project, error) {
	return store.Project{ID: k.key.ProjectID}, nil
}

// TestFailedAuthIsCheap: an unknown well-formed key costs one lookup, and
// none when tried again; a flood of them evicts no real key from the
// cache; past maxFailures a minute, a client's unknown keys are refused
// (429) without a lookup, while its known keys and other clients go on.
func TestFailedAuthIsCheap(t *testing.T) {
	ctx := context.Background()
	secret := intake.NewAPIKey()
	keys := &oneKey{key: store.APIKey{ID: "key_1", ProjectID: "p_1", Scope: string(intake.ScopeIngest), Hash: intake.HashAPIKey(secret)}}
	a := newAuthenticator(keys, "", time.Minute, 5)
	if _, err := a.principal(ctx, "Bearer "+secret, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	unknown := intake.NewAPIKey()
	for range 3 {
		if _, err := a.principal(ctx, "Bearer "+unknown, "198.51.100.7"); intake.ErrorCode(err) != intake.ErrInvalidAPIKey {
			t.Fatalf("an unknown key: %v", err)
		}
	}
	if n := keys.lookups.Load(); n != 2 {
		t.Fatalf("%d lookups, want 2: the known key once, the unknown key once", n)
	}
	// A flood of distinct unknown keys from many clients.
	for i := range keyCacheSize + 100 {
		_, _ = a.principal(ctx, "Bearer "+intake.NewAPIKey(), fmt.Sprintf("203.0.113.%d:%d", i%250, i))
	}
	before := keys.lookups.Load()
	if p, err := a.principal(ctx, "Bearer "+secret, "192.0.2.1"); err != nil || p.KeyID != "key_1" || keys.lookups.Load() != before {
		t.Fatalf("the known key after the flood: %+v, %v, %d lookups", p, err, keys.lookups.Load()-before)
	}
	// 198.51.100.7 failed 3 times; 2 more reach the limit of 5.
	for range 2 {
		_, _ = a.principal(ctx, "Bearer "+intake.NewAPIKey(), "198.51.100.7")
	}
	before = keys.lookups.Load()
	_, err := a.principal(ctx, "Bearer "+intake.NewAPIKey(), "198.51.100.7")
	if intake.ErrorCode(err) != intake.ErrRateLimited || keys.lookups.Load() != before {
		t.Fatalf("past the limit: %v, %d lookups", err, keys.lookups.Load()-before)
	}
	if _, err := a.principal(ctx, "Bearer "+secret, "198.51.100.7"); err != nil {
		t.Fatalf("the known key from the limited client: %v", err)
	}
	if _, err := a.principal(ctx, "Bearer "+intake.NewAPIKey(), "192.0.2.99"); intake.ErrorCode(err) != intake.ErrInvalidAPIKey {
		t.Fatalf("another client: %v", err)
	}
}

// The failed-auth counter keeps its own copy of a client's address: behind
// a trusted proxy the address is a Fiber string over the request's
// buffer, which the next request overwrites.
func TestMemoryCounterKeepsItsOwnKeys(t *testing.T) {
	m := newMemoryCounter()
	buf := []byte("203.0.113.7")
	addr := unsafe.String(&buf[0], len(buf)) // as c.IP() is, behind a proxy
	if _, _, err := m.Hit(context.Background(), addr, time.Minute); err != nil {
		t.Fatal(err)
	}
	copy(buf, "198.51.100.9") // the buffer serves the next request
	if n, _ := m.count("203.0.113.7"); n != 1 {
		t.Fatalf("the first client's count is %d after its buffer was reused", n)
	}
}

// TestMemoryCounterKeepsItsKeysAcrossHits: a key given as a Fiber string (bytes
// the next request overwrites) is copied on every hit. A second hit used
// to store the caller's bytes: the runtime replaces a string key already
// in a map with the one assigned, so the count moved to whatever the
// buffer said next.
func TestMemoryCounterKeepsItsKeysAcrossHits(t *testing.T) {
	m := newMemoryCounter()
	buf := []byte("198.51.100.1")
	key := unsafe.String(&buf[0], len(buf))
	for range 2 {
		if _, _, err := m.Hit(context.Background(), key, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	copy(buf, "198.51.100.2") // the next request reuses the buffer
	if n, _ := m.count("198.51.100.1"); n != 2 {
		t.Fatalf("the first client's count is %d, want 2", n)
	}
	if n, _ := m.count("198.51.100.2"); n != 0 {
		t.Fatalf("another client has a count of %d", n)
	}
}
