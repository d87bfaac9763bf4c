// Package sqlitestore opens a ginsession store on an SQLite file: the
// embedded choice for one process (several processes on one file work too,
// but only on one machine).
//
// It imports gorm.io/driver/sqlite, whose driver (github.com/mattn/go-sqlite3)
// is C code: building it needs cgo, that is CGO_ENABLED=1 and a C compiler.
// A binary built with CGO_ENABLED=0 still compiles, but Open then fails with
// ErrNoCgo. An application that uses Postgres imports store/postgresstore
// instead and never compiles this driver.
package sqlitestore

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"

	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/internal/gormconn"
)

// ErrNoCgo is what Open returns in a binary built with CGO_ENABLED=0, where
// the SQLite driver is only a stub.
var ErrNoCgo = errors.New("sqlitestore: this binary was built without cgo (CGO_ENABLED=0); the SQLite driver (github.com/mattn/go-sqlite3) needs cgo and a C compiler: build with CGO_ENABLED=1, or use store/postgresstore")

// busyTimeout is how long an SQLite connection waits for another
// connection's (or process's) lock before giving up with SQLITE_BUSY.
const busyTimeout = 5 * time.Second

// Open opens (creating if needed) the SQLite database file at path and
// returns a store on it, with its tables created.
//
// Writes go through a single connection with WAL journaling,
// synchronous=NORMAL, busy_timeout 5000 ms, foreign keys on and transactions
// started with BEGIN IMMEDIATE, so concurrent writers in this process queue in
// Go and writers in other processes wait in SQLite's busy handler; neither
// surfaces SQLITE_BUSY. Reads use a separate read-only pool, which under WAL
// sees every committed write. The store's Close closes both. path must be a
// plain file path: ":memory:", "file:" URIs and paths containing '?' or '#'
// are refused (an in-memory database is private to one connection and
// cannot be shared by the pools).
func Open(path string, opts gormstore.Options) (*gormstore.GORMStore, error) {
	if !cgoEnabled {
		return nil, ErrNoCgo
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlitestore: Open: %q is not a plain file path", path)
	}
	common := fmt.Sprintf("_busy_timeout=%d&_foreign_keys=on", busyTimeout.Milliseconds())
	write, err := openHandle(path+"?_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate&"+common, 1)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: Open %s: writer: %w", path, err)
	}
	// The writer connection set WAL (a property of the file) before the
	// readers open; query_only makes any write through a reader fail loudly.
	readers := max(4, runtime.GOMAXPROCS(0))
	read, err := openHandle(path+"?_query_only=on&_txlock=deferred&"+common, readers)
	if err != nil {
		closeAll(write)
		return nil, fmt.Errorf("sqlitestore: Open %s: readers: %w", path, err)
	}
	c := &gormconn.Conns{Read: read, Write: write, SingleWriter: true}
	for _, h := range []*gorm.DB{write, read} {
		sqlDB, _ := h.DB() // cannot fail: openHandle read it already
		c.Owned = append(c.Owned, sqlDB)
	}
	s, err := gormstore.New(gormconn.Attach(c), opts)
	if err != nil {
		closeAll(write, read)
		return nil, err
	}
	return s, nil
}

// openHandle opens one GORM handle on dsn with a pool of conns connections,
// kept open for good.
func openHandle(dsn string, conns int) (*gorm.DB, error) {
	db, err := gorm.Open(sqlite.Open(dsn), gormconn.Config())
	if err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(conns)
	sqlDB.SetMaxIdleConns(conns)
	sqlDB.SetConnMaxLifetime(0)
	sqlDB.SetConnMaxIdleTime(0)
	return db, nil
}

func closeAll(dbs ...*gorm.DB) {
	for _, db := range dbs {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	}
}
