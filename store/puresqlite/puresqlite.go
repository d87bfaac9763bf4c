// Package puresqlite opens a ginsession store on an SQLite file without cgo:
// the SQLite engine is modernc.org/sqlite (SQLite's C source translated to
// Go) behind the GORM dialector github.com/libtnb/sqlite. A binary that uses
// it builds with CGO_ENABLED=0 and needs no C compiler, which suits static
// binaries, scratch or distroless images and cross-compiling.
//
// It is a module of its own (github.com/ginsession/ginsession/store/puresqlite),
// so that applications using store/sqlitestore, Postgres or MariaDB never
// download this driver. See docs/sqlite-without-cgo.md for when to choose
// it over store/sqlitestore, and how the two differ.
//
// Open sets the connections up exactly as sqlitestore.Open does: one writer
// connection whose transactions begin IMMEDIATE, a read-only pool, WAL,
// busy_timeout and foreign keys. The file format is SQLite's own and
// timestamps are written in the same layout, so a file one of the two
// packages made can be opened by the other.
package puresqlite

import (
	"errors"

	gormsqlite "github.com/libtnb/sqlite"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/internal/sqliteconn"
)

// Open opens the SQLite database file at path, creating it if needed, and
// returns a store on it with its tables created. Close the store when done:
// it closes the connections Open made.
//
// All writes go through a single connection (WAL journal,
// synchronous=NORMAL, busy_timeout 5000 ms, foreign keys on, every
// transaction started with BEGIN IMMEDIATE): writers of this process queue
// for it in Go, and writers in other processes wait in SQLite's busy
// handler, so neither sees SQLITE_BUSY. Reads use a separate pool of
// read-only connections (query_only), which under WAL see every committed
// write.
//
// path must be a plain file path. ":memory:", "file:" URIs and paths with
// '?' or '#' are refused: the DSN parameters are Open's to choose, and an
// in-memory database would be private to a single connection.
//
// Several processes, or several Opens in one process, may open the same
// file at once, a new file included.
func Open(path string, opts gormstore.Options) (*gormstore.GORMStore, error) {
	return sqliteconn.Open(sqliteconn.Driver{Name: "puresqlite", Dialector: gormsqlite.Open, IsBusy: isBusy}, path, opts)
}

// isBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED, extended
// codes included.
func isBusy(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	primary := e.Code() & 0xff
	return primary == sqlite3.SQLITE_BUSY || primary == sqlite3.SQLITE_LOCKED
}
