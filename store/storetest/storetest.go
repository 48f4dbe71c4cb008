// Package storetest opens a fresh, migrated store for a test run: PostgreSQL
// in a schema of its own when INTAKE_TEST_DATABASE_URL is set, else SQLite.
// When the variable is set and PostgreSQL cannot be reached, it fails rather
// than falling back, so CI can never pass on a skipped database.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// EnvURL names the variable with the PostgreSQL URL for tests.
const EnvURL = "INTAKE_TEST_DATABASE_URL"

// Dialect names the database tests run on, for test names and logs.
func Dialect() string {
	if os.Getenv(EnvURL) != "" {
		return "postgres"
	}
	return "sqlite"
}

// New opens a fresh store; cleanup closes it and drops what it made. dir is
// where a SQLite file goes.
func New(ctx context.Context, dir string) (*store.Store, func(), error) {
	base := os.Getenv(EnvURL)
	if base == "" {
		st, err := open(ctx, filepath.Join(dir, "intake.db"))
		if err != nil {
			return nil, nil, err
		}
		return st, func() { _ = st.Close() }, nil
	}
	dsn, drop, err := PostgresSchema(ctx)
	if err != nil {
		return nil, nil, err
	}
	st, err := open(ctx, dsn)
	if err != nil {
		drop()
		return nil, nil, err
	}
	return st, func() { _ = st.Close(); drop() }, nil
}

// PostgresSchema creates an empty schema in the INTAKE_TEST_DATABASE_URL
// database and returns a URL whose search_path is that schema, for tests
// that hand a DATABASE_URL to another process. drop removes the schema.
func PostgresSchema(ctx context.Context) (dsn string, drop func(), err error) {
	base := os.Getenv(EnvURL)
	if base == "" {
		return "", nil, fmt.Errorf("%s is not set", EnvURL)
	}
	schema, dsn, err := schemaURL(base)
	if err != nil {
		return "", nil, err
	}
	admin, err := store.Open(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("%s is set but PostgreSQL is unreachable: %w", EnvURL, err)
	}
	if err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		_ = admin.Close()
		return "", nil, err
	}
	return dsn, func() {
		_ = admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		_ = admin.Close()
	}, nil
}

// Open is New for one test: the store is dropped when t ends.
func Open(t testing.TB) *store.Store {
	t.Helper()
	st, cleanup, err := New(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	return st
}

func open(ctx context.Context, dsn string) (*store.Store, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		_ = st.Close()
		return nil, err
	}
	return st, nil
}

// schemaURL makes a random schema name and base's URL with it as search_path.
func schemaURL(base string) (string, string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	schema := "intake_test_" + hex.EncodeToString(b)
	u, err := url.Parse(base)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return schema, u.String(), nil
}

// Project makes a project in st, with its admin key, and a USD metric
// "revenue" at value 10.
func Project(t testing.TB, st *store.Store) (store.Project, store.Metric) {
	t.Helper()
	ctx := context.Background()
	p := store.Project{ID: intake.NewID("p"), Name: "Acme"}
	key := store.APIKey{ID: intake.NewID("key"), Name: "k", Scope: "admin", Hash: intake.HashAPIKey(intake.NewAPIKey()), Prefix: "ik_x"}
	if err := st.CreateProject(ctx, &p, &key); err != nil {
		t.Fatal(err)
	}
	m := store.Metric{ID: intake.NewID("m"), ProjectID: p.ID, Key: "revenue", Name: "Monthly Revenue", Unit: "USD", Value: 10}
	if err := st.CreateMetric(ctx, &m); err != nil {
		t.Fatal(err)
	}
	return p, m
}
