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

	"gorm.io/driver/sqlite"

	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/internal/sqliteconn"
)

// ErrNoCgo is what Open returns in a binary built with CGO_ENABLED=0, where
// the SQLite driver is only a stub.
var ErrNoCgo = errors.New("sqlitestore: this binary was built without cgo (CGO_ENABLED=0); the SQLite driver (github.com/mattn/go-sqlite3) needs cgo and a C compiler: build with CGO_ENABLED=1, or use store/postgresstore")

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
//
// Several processes, or goroutines of one process, may Open the same file
// at once, a new file included: the one step SQLite's busy_timeout does not
// cover, switching a new file to WAL, is retried for up to 30 s while
// another opener holds the lock.
func Open(path string, opts gormstore.Options) (*gormstore.GORMStore, error) {
	if !cgoEnabled {
		return nil, ErrNoCgo
	}
	return sqliteconn.Open(sqliteconn.Driver{Name: "sqlitestore", Dialector: sqlite.Open, IsBusy: isBusy}, path, opts)
}
