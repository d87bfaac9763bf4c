package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// sqliteBusyTimeout is how long an SQLite connection waits for another
// connection's (or process's) lock before giving up with SQLITE_BUSY.
const sqliteBusyTimeout = 5 * time.Second

// gormConfig is the GORM configuration for handles the store opens itself:
// no SQL logging (statements carry hashes and keys) and no implicit
// transaction around single statements.
func gormConfig() *gorm.Config {
	return &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true}
}

// Open opens a store by DSN: a "postgres://" or "postgresql://" URL, or a
// libpq keyword DSN such as "host=db user=app dbname=app", opens Postgres
// (OpenPostgres); anything else is taken as an SQLite file path (OpenSQLite).
func Open(dsn string, opts Options) (*GORMStore, error) {
	if isPostgresDSN(dsn) {
		return OpenPostgres(dsn, opts)
	}
	return OpenSQLite(dsn, opts)
}

var libpqKeywords = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true,
	"password": true, "sslmode": true, "service": true, "connect_timeout": true,
}

func isPostgresDSN(dsn string) bool {
	lower := strings.ToLower(strings.TrimSpace(dsn))
	if strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		return true
	}
	first, _, _ := strings.Cut(lower, " ")
	key, _, ok := strings.Cut(first, "=")
	return ok && libpqKeywords[strings.TrimSpace(key)]
}

// OpenSQLite opens (creating if needed) the SQLite database file at path.
//
// Writes go through a single connection with WAL journaling,
// synchronous=NORMAL, busy_timeout 5000 ms, foreign keys on and transactions
// started with BEGIN IMMEDIATE, so concurrent writers in this process queue in
// Go and writers in other processes wait in SQLite's busy handler; neither
// surfaces SQLITE_BUSY. Reads use a separate read-only pool, which under WAL
// sees every committed write. path must be a plain file path: ":memory:",
// "file:" URIs and paths containing '?' or '#' are refused (an in-memory
// database is private to one connection and cannot be shared by the pools).
func OpenSQLite(path string, opts Options) (*GORMStore, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store: OpenSQLite: %q is not a plain file path", path)
	}
	common := fmt.Sprintf("_busy_timeout=%d&_foreign_keys=on", sqliteBusyTimeout.Milliseconds())
	write, wsql, err := openSQLiteHandle(path+"?_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate&"+common, 1)
	if err != nil {
		return nil, fmt.Errorf("store: OpenSQLite %s: writer: %w", path, err)
	}
	// The writer connection set WAL (a property of the file) before the
	// readers open; query_only makes any write through a reader fail loudly.
	readers := max(4, runtime.GOMAXPROCS(0))
	read, rsql, err := openSQLiteHandle(path+"?_query_only=on&_txlock=deferred&"+common, readers)
	if err != nil {
		_ = wsql.Close()
		return nil, fmt.Errorf("store: OpenSQLite %s: readers: %w", path, err)
	}
	s, err := newStore(read, write, []*sql.DB{wsql, rsql}, opts)
	if err != nil {
		_ = wsql.Close()
		_ = rsql.Close()
		return nil, err
	}
	s.singleWriter = true
	return s, nil
}

func openSQLiteHandle(dsn string, conns int) (*gorm.DB, *sql.DB, error) {
	db, err := gorm.Open(sqlite.Open(dsn), gormConfig())
	if err != nil {
		return nil, nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, nil, err
	}
	sqlDB.SetMaxOpenConns(conns)
	sqlDB.SetMaxIdleConns(conns)
	sqlDB.SetConnMaxLifetime(0)
	sqlDB.SetConnMaxIdleTime(0)
	return db, sqlDB, nil
}

// OpenPostgres opens a Postgres database by DSN (URL or keyword form, as
// pgx accepts). The pool is capped at 20 open connections (all kept idle) so
// a burst of requests queues in the application instead of exhausting the
// server's max_connections; tune it through DB().DB() if needed.
func OpenPostgres(dsn string, opts Options) (*GORMStore, error) {
	db, err := gorm.Open(postgres.Open(dsn), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("store: OpenPostgres: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: OpenPostgres: %w", err)
	}
	sqlDB.SetMaxOpenConns(20)
	sqlDB.SetMaxIdleConns(20)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	s, err := newStore(db, db, []*sql.DB{sqlDB}, opts)
	if err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// migrate creates the tables and indexes if they do not exist. On Postgres it
// holds a transaction-scoped advisory lock so instances starting together do
// not race on CREATE TABLE IF NOT EXISTS; on SQLite the write transaction
// serialises them.
func (s *GORMStore) migrate(ctx context.Context) error {
	t := s.tables
	var stmts []string
	if s.postgres {
		stmts = []string{
			`CREATE TABLE IF NOT EXISTS ` + t.sessions + ` (
				handle            text        NOT NULL PRIMARY KEY,
				user_id           text        NOT NULL,
				refresh_hash      bytea       NOT NULL,
				prev_refresh_hash bytea,
				generation        bigint      NOT NULL DEFAULT 0,
				rotated_at        timestamptz NOT NULL,
				expires_at        timestamptz NOT NULL,
				created_at        timestamptz NOT NULL,
				payload           bytea,
				data              bytea)`,
			// A hash index: lookups by user id are equality only, and a
			// btree would refuse user ids longer than about 2.7 KB.
			`CREATE INDEX IF NOT EXISTS ` + t.prefix + `sessions_user_id_idx ON ` + t.sessions + ` USING hash (user_id)`,
			`CREATE INDEX IF NOT EXISTS ` + t.prefix + `sessions_expires_at_idx ON ` + t.sessions + ` (expires_at)`,
			`CREATE TABLE IF NOT EXISTS ` + t.keys + ` (
				id          text        NOT NULL PRIMARY KEY,
				algorithm   text        NOT NULL,
				private_key bytea,
				public_key  bytea,
				created_at  timestamptz NOT NULL,
				sign_from   timestamptz NOT NULL,
				expires_at  timestamptz NOT NULL)`,
			`CREATE INDEX IF NOT EXISTS ` + t.prefix + `signing_keys_expires_at_idx ON ` + t.keys + ` (expires_at)`,
			`CREATE TABLE IF NOT EXISTS ` + t.secrets + ` (
				name  text  NOT NULL PRIMARY KEY,
				value bytea NOT NULL)`,
		}
	} else {
		// DATETIME makes the mattn driver parse the stored text back into
		// time.Time. Times are written in UTC in one format whose text order
		// is time order, so comparisons in SQL are correct.
		stmts = []string{
			`CREATE TABLE IF NOT EXISTS ` + t.sessions + ` (
				handle            TEXT     NOT NULL PRIMARY KEY,
				user_id           TEXT     NOT NULL,
				refresh_hash      BLOB     NOT NULL,
				prev_refresh_hash BLOB,
				generation        INTEGER  NOT NULL DEFAULT 0,
				rotated_at        DATETIME NOT NULL,
				expires_at        DATETIME NOT NULL,
				created_at        DATETIME NOT NULL,
				payload           BLOB,
				data              BLOB)`,
			`CREATE INDEX IF NOT EXISTS ` + t.prefix + `sessions_user_id_idx ON ` + t.sessions + ` (user_id)`,
			`CREATE INDEX IF NOT EXISTS ` + t.prefix + `sessions_expires_at_idx ON ` + t.sessions + ` (expires_at)`,
			`CREATE TABLE IF NOT EXISTS ` + t.keys + ` (
				id          TEXT     NOT NULL PRIMARY KEY,
				algorithm   TEXT     NOT NULL,
				private_key BLOB,
				public_key  BLOB,
				created_at  DATETIME NOT NULL,
				sign_from   DATETIME NOT NULL,
				expires_at  DATETIME NOT NULL)`,
			`CREATE INDEX IF NOT EXISTS ` + t.prefix + `signing_keys_expires_at_idx ON ` + t.keys + ` (expires_at)`,
			`CREATE TABLE IF NOT EXISTS ` + t.secrets + ` (
				name  TEXT NOT NULL PRIMARY KEY,
				value BLOB NOT NULL)`,
		}
	}
	stmts = append(stmts, s.revocationTable()...)
	err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtext(?))", "ginsession/store/migrate/"+t.prefix).Error; err != nil {
				return err
			}
		}
		for _, stmt := range stmts {
			if err := tx.Exec(stmt).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: create tables: %w", err)
	}
	return nil
}
