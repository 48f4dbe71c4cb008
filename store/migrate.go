package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations are the versioned SQL migrations, one directory per dialect:
// intake's schema changes only through a new file in both.
//
//go:embed migrations
var migrations embed.FS

// Schema is a database's migration state.
type Schema struct {
	// Current is the newest version applied; 0 for a database never
	// migrated. Latest is the newest this build knows.
	Current, Latest int64
	Migrations      []Migration
}

// Migration is one versioned migration and whether it is applied.
type Migration struct {
	Version   int64
	Name      string
	AppliedAt *time.Time
}

// ErrSchema is returned by CheckSchema when the database's schema is not
// the one this build needs; its message says what to do.
var ErrSchema = errors.New("database schema")

func (s *Store) migrator() (*goose.Provider, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if s.postgres {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
		// Serve, worker and migration jobs may start at once: the first
		// migrates, the others wait on a session advisory lock, then
		// find nothing to do.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLock))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(dialect, sqlDB, fsys, opts...)
}

// migrationLock is the PostgreSQL advisory lock key that serialises
// migrations.
const migrationLock = 0x696e74616b65 // "intake"

// Migrate applies every migration the database lacks (intake migrate up;
// intake dev at start). It is safe to run from several processes at once.
// A database made before versioned migrations, by GORM's AutoMigrate,
// adopts the baseline; it must then hold every column the models name.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.migrator()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	current, _, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	adopting := current == 0 && s.db.Migrator().HasTable(&Project{})
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if adopting {
		return s.checkColumns()
	}
	return nil
}

// checkColumns fails on a column a model names and the database lacks:
// a database made by an intake older than the last AutoMigrate release.
func (s *Store) checkColumns() error {
	m := s.db.Migrator()
	for _, model := range models {
		stmt := s.db.Model(model).Statement
		if err := stmt.Parse(model); err != nil {
			return err
		}
		for _, f := range stmt.Schema.Fields {
			if f.DBName != "" && !m.HasColumn(model, f.DBName) {
				return fmt.Errorf("%w: table %s has no column %s: this database was made by an intake older than the last release before versioned migrations; run that release once (it brings the schema up to date), then intake migrate up",
					ErrSchema, stmt.Schema.Table, f.DBName)
			}
		}
	}
	return nil
}

// SchemaStatus reports which migrations are applied (intake migrate status).
func (s *Store) SchemaStatus(ctx context.Context) (Schema, error) {
	p, err := s.migrator()
	if err != nil {
		return Schema{}, err
	}
	var out Schema
	if out.Current, out.Latest, err = p.GetVersions(ctx); err != nil {
		return Schema{}, fmt.Errorf("schema version: %w", err)
	}
	status, err := p.Status(ctx)
	if err != nil {
		return Schema{}, fmt.Errorf("schema status: %w", err)
	}
	for _, m := range status {
		mig := Migration{Version: m.Source.Version, Name: strings.TrimSuffix(m.Source.Path, ".sql")}
		if m.State == goose.StateApplied {
			at := m.AppliedAt
			mig.AppliedAt = &at
		}
		out.Migrations = append(out.Migrations, mig)
	}
	return out, nil
}

// CheckSchema fails, saying what to do, unless the database is at exactly
// the version this build needs: serve and worker run only then, so an
// old binary never writes into a newer schema nor a new one into an older.
func (s *Store) CheckSchema(ctx context.Context) error {
	st, err := s.SchemaStatus(ctx)
	if err != nil {
		return err
	}
	switch {
	case st.Current < st.Latest:
		return fmt.Errorf("%w is at version %d and this intake needs version %d: run `intake migrate up` with the same DATABASE_URL first",
			ErrSchema, st.Current, st.Latest)
	case st.Current > st.Latest:
		return fmt.Errorf("%w is at version %d, newer than this intake knows (%d): a newer intake migrated it; run that version or a newer one",
			ErrSchema, st.Current, st.Latest)
	}
	return nil
}
