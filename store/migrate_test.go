package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/store/storetest"
)

// empty opens a database with nothing in it, not migrated, on the
// dialect the tests run on.
func empty(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "intake.db")
	if storetest.Dialect() == "postgres" {
		var drop func()
		var err error
		if dsn, drop, err = storetest.PostgresSchema(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(drop)
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// previousRelease is a database as the last release before versioned
// migrations left it: its schema made by GORM's AutoMigrate and data made
// through its API (a project, keys, metrics and points, an inbox item,
// calls, rules, Stripe and SalesDash connectors, identities, an activity,
// a sale and an alert), dumped from PostgreSQL and SQLite.
func previousRelease(t *testing.T) *store.Store {
	t.Helper()
	dump, err := os.ReadFile(filepath.Join("testdata", "previous-release", storetest.Dialect()+".sql"))
	if err != nil {
		t.Fatal(err)
	}
	st := empty(t)
	if err := st.Exec(context.Background(), string(dump)); err != nil {
		t.Fatalf("load the previous release's database: %v", err)
	}
	return st
}

func counts(t *testing.T, st *store.Store) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range store.Tables() {
		if !st.HasTable(table) {
			out[table] = 0 // a table a later migration adds
			continue
		}
		n, err := st.Count(context.Background(), table)
		if err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// TestUpgradeFromThePreviousRelease migrates a database made by the last
// AutoMigrate release: nothing is lost, the schema is the one a new
// database gets, and serve and worker refuse it until it is migrated.
func TestUpgradeFromThePreviousRelease(t *testing.T) {
	ctx := context.Background()
	st := previousRelease(t)
	before := counts(t, st)
	if before["projects"] != 1 || before["metric_points"] != 7 || before["calls"] != 8 || before["alerts"] != 1 {
		t.Fatalf("the fixture holds %v", before)
	}
	if err := st.CheckSchema(ctx); !errors.Is(err, store.ErrSchema) || !strings.Contains(err.Error(), "intake migrate up") {
		t.Fatalf("CheckSchema before migrating: %v, want a refusal saying to run intake migrate up", err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if err := st.CheckSchema(ctx); err != nil {
		t.Fatalf("CheckSchema after migrating: %v", err)
	}
	if after := counts(t, st); !reflect.DeepEqual(after, before) {
		t.Errorf("rows per table changed:\nbefore %v\nafter  %v", before, after)
	}
	fresh := storetest.Open(t)
	if got, want := st.Shape(t), fresh.Shape(t); !reflect.DeepEqual(got, want) {
		for table := range want {
			if !reflect.DeepEqual(got[table], want[table]) {
				t.Errorf("%s differs from a new database's:\nupgraded %v\nnew      %v", table, got[table], want[table])
			}
		}
	}

	// The data reads and writes through the store as before.
	projects, _, err := st.ListProjects(ctx, store.Page{})
	if err != nil || len(projects) != 1 {
		t.Fatalf("projects: %v %v", projects, err)
	}
	p := projects[0].ID
	metrics, _, err := st.ListMetrics(ctx, p, store.Page{})
	if err != nil || len(metrics) != 2 {
		t.Fatalf("metrics: %v %v", metrics, err)
	}
	var revenue store.Metric
	for _, m := range metrics {
		if m.Key == "revenue" {
			revenue = m
		}
	}
	if revenue.Value != 500 || revenue.ValueAt == nil || revenue.Alerts != 1 {
		t.Errorf("revenue after the upgrade: %+v", revenue)
	}
	points, _, err := st.ListPoints(ctx, p, revenue.ID, store.PointRange{}, store.Page{})
	if err != nil || len(points) != 4 {
		t.Errorf("revenue points: %d %v", len(points), err)
	}
	connectors, _, err := st.ListConnectors(ctx, p, store.Page{})
	if err != nil || len(connectors) != 2 {
		t.Fatalf("connectors: %v %v", connectors, err)
	}
	for _, c := range connectors {
		if _, err := st.GetConnector(ctx, c.ID); err != nil {
			t.Errorf("connector %s: %v", c.Type, err)
		}
	}
	if calls, _, err := st.ListCalls(ctx, p, store.CallFilter{}, store.Page{}); err != nil || len(calls) != 8 {
		t.Errorf("calls: %d %v", len(calls), err)
	}
	if err := st.CreateMetric(ctx, &store.Metric{ProjectID: p, Key: "after", Name: "After upgrade"}); err != nil {
		t.Errorf("a new metric after the upgrade: %v", err)
	}

	// Migrating again is a no-op.
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	status, err := st.SchemaStatus(ctx)
	if err != nil || status.Current != status.Latest || len(status.Migrations) == 0 || status.Migrations[0].AppliedAt == nil ||
		status.Migrations[0].Name != "00001_baseline" {
		t.Errorf("status: %+v %v", status, err)
	}
}

// TestMigrateRefusesAnOlderAutoMigrateSchema: a database older than the
// previous release lacks columns; adopting it as the baseline would fail
// later, at the first write, so migrating fails now and says why.
func TestMigrateRefusesAnOlderAutoMigrateSchema(t *testing.T) {
	ctx := context.Background()
	st := previousRelease(t)
	if err := st.Exec(ctx, "ALTER TABLE metrics DROP COLUMN alerts"); err != nil {
		t.Fatal(err)
	}
	err := st.Migrate(ctx)
	if !errors.Is(err, store.ErrSchema) || !strings.Contains(err.Error(), "metrics has no column alerts") {
		t.Fatalf("migrate: %v, want the missing column named", err)
	}
}

// TestCheckSchema refuses a new database and one migrated by a newer
// intake, and takes one at the version it needs.
func TestCheckSchema(t *testing.T) {
	ctx := context.Background()
	st := empty(t)
	err := st.CheckSchema(ctx)
	if !errors.Is(err, store.ErrSchema) || !strings.Contains(err.Error(), "at version 0") {
		t.Fatalf("new database: %v", err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.CheckSchema(ctx); err != nil {
		t.Fatalf("migrated: %v", err)
	}
	if err := st.Exec(ctx, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, true)"); err != nil {
		t.Fatal(err)
	}
	err = st.CheckSchema(ctx)
	if !errors.Is(err, store.ErrSchema) || !strings.Contains(err.Error(), "newer than this intake") {
		t.Fatalf("newer schema: %v", err)
	}
}

// TestMigrationsMakeTheModels: the migrations make exactly the tables,
// columns and indexes the models describe, so a field added to a model
// without its migration fails here rather than at its first write.
func TestMigrationsMakeTheModels(t *testing.T) {
	migrated := storetest.Open(t)
	auto := empty(t)
	if err := auto.AutoMigrate(); err != nil {
		t.Fatal(err)
	}
	got, want := migrated.Shape(t), auto.Shape(t)
	for table := range want {
		if !reflect.DeepEqual(got[table], want[table]) {
			t.Errorf("%s as migrated differs from its model:\nmigrated %v\nmodel    %v", table, got[table], want[table])
		}
	}
}
