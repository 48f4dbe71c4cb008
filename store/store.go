// Package store owns persistence: GORM models, migrations, upserts and queries,
// on PostgreSQL in production and pure-Go SQLite for `intake dev`. It is the
// only package that imports gorm.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/encryption"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	// modernc.org/sqlite is the pure-Go SQLite that Temporal's own SQLite
	// persistence already links in. It registers the "sqlite" driver, which is
	// why glebarez/sqlite (registering the same name) cannot share a process
	// with the embedded Temporal server.
	_ "modernc.org/sqlite"
)

// Store is the database behind intake. Methods are safe for concurrent use.
type Store struct {
	db       *gorm.DB
	postgres bool
	// keys seal connector secrets and stored bodies; nil keeps them as
	// they are (see UseKeys).
	keys *encryption.Keyring
	// alerting evaluates alerts where points are applied (UseAlerts).
	alerting Alerting
}

// UseKeys makes the store seal connector secrets and the bodies it keeps
// for large calls with ring, and open what any of its keys sealed.
// Plaintext written before stays readable; MaintainSecrets reseals it.
func (s *Store) UseKeys(ring *encryption.Keyring) { s.keys = ring }

// Open connects to dsn: a postgres:// or postgresql:// URL, or a SQLite file
// path (":memory:" for a database that lives as long as the Store).
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg := &gorm.Config{Logger: logger.Discard, NowFunc: func() time.Time { return time.Now().UTC() }}
	if IsPostgresURL(dsn) {
		db, err := gorm.Open(postgres.Open(dsn), cfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		s := &Store{db: db, postgres: true}
		if sqlDB, err := db.DB(); err == nil {
			// A bounded pool: under a burst, queries wait for a connection
			// instead of failing with too many clients (PostgreSQL allows
			// 100 by default, shared by every intake process). Two stay
			// idle, database/sql's default: with more kept idle, intake
			// bench's overload run accepted half as many calls.
			sqlDB.SetMaxOpenConns(maxPostgresConns)
			sqlDB.SetMaxIdleConns(maxIdlePostgresConns)
		}
		if err := s.Ping(ctx); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("reach postgres: %w", err)
		}
		return s, nil
	}
	conn, err := sql.Open("sqlite", sqliteDSN(dsn))
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// One connection: SQLite allows one writer, and more connections in file
	// mode only trade waiting for SQLITE_BUSY errors. For ":memory:" it is
	// also what keeps the database alive.
	conn.SetMaxOpenConns(1)
	conn.SetMaxIdleConns(1)
	conn.SetConnMaxLifetime(0)
	db, err := gorm.Open(sqlite.New(sqlite.Config{Conn: conn}), cfg)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	return &Store{db: db}, nil
}

// maxPostgresConns bounds one process's connections to PostgreSQL;
// maxIdlePostgresConns of them stay open between bursts.
const (
	maxPostgresConns     = 20
	maxIdlePostgresConns = 2
)

// IsPostgresURL reports whether dsn names a PostgreSQL database.
func IsPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func sqliteDSN(path string) string {
	pragmas := "_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)"
	if path == ":memory:" {
		return ":memory:?" + pragmas
	}
	path = strings.TrimPrefix(path, "sqlite://")
	path = strings.TrimPrefix(path, "file:")
	return "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?" + pragmas + "&_pragma=journal_mode(wal)&_pragma=synchronous(normal)"
}

// Close releases the connections.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping reports whether the database answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// notFound turns gorm's not-found into the contract's not_found.
func notFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return intake.Errorf(intake.ErrNotFound, "%s not found", what)
	}
	return err
}

// Exec runs one statement outside the models, for test set-up such as
// creating a schema.
func (s *Store) Exec(ctx context.Context, sql string) error {
	return s.db.WithContext(ctx).Exec(sql).Error
}
