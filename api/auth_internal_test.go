package api

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
	a := newAuthenticator(keys, "", time.Minute)
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p, err := a.principal(context.Background(), "Bearer "+secret); err != nil || p.KeyID != "key_1" {
				t.Errorf("principal %+v, %v", p, err)
			}
		}()
	}
	wg.Wait()
	if n := keys.lookups.Load(); n != 1 {
		t.Fatalf("%d lookups for 64 concurrent requests with one key, want 1", n)
	}
}
