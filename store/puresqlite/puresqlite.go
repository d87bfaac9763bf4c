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
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"

	gormsqlite "github.com/libtnb/sqlite"
	"gorm.io/gorm"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/internal/gormconn"
)

// busyTimeout is how long a connection waits in SQLite's busy handler for a
// lock another connection (or process) holds before it fails with
// SQLITE_BUSY.
const busyTimeout = 5 * time.Second

// walSwitchLimit bounds how long Open retries switching a new file to WAL
// while other openers hold its lock (see switchToWAL).
const walSwitchLimit = 30 * time.Second

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
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("puresqlite: Open: %q is not a plain file path", path)
	}
	// modernc.org/sqlite reads the same DSN parameters as
	// github.com/mattn/go-sqlite3 and runs busy_timeout first on every new
	// connection. journal_mode is left out on purpose: see switchToWAL.
	common := fmt.Sprintf("_busy_timeout=%d&_foreign_keys=on", busyTimeout.Milliseconds())
	write, err := openHandle(path+"?_synchronous=NORMAL&_txlock=immediate&"+common, 1)
	if err != nil {
		return nil, fmt.Errorf("puresqlite: Open %s: writer: %w", path, err)
	}
	if err := switchToWAL(write, walSwitchLimit); err != nil {
		closeAll(write)
		return nil, fmt.Errorf("puresqlite: Open %s: writer: setting journal_mode=WAL: %w", path, err)
	}
	// The readers open once the file is in WAL mode; query_only makes a
	// write through one of them fail instead of taking the write lock
	// behind the writer's back.
	read, err := openHandle(path+"?_query_only=on&_txlock=deferred&"+common, max(4, runtime.GOMAXPROCS(0)))
	if err != nil {
		closeAll(write)
		return nil, fmt.Errorf("puresqlite: Open %s: readers: %w", path, err)
	}
	c := &gormconn.Conns{Read: read, Write: write, SingleWriter: true}
	for _, h := range []*gorm.DB{write, read} {
		sqlDB, _ := h.DB() // openHandle has checked it
		c.Owned = append(c.Owned, sqlDB)
	}
	s, err := gormconn.NewStore[gormstore.Options, *gormstore.GORMStore](c, opts)
	if err != nil {
		closeAll(write, read)
		return nil, err
	}
	return s, nil
}

// switchToWAL puts the file in WAL mode through db, retrying for at most
// limit while another connection holds the lock the switch needs.
//
// SQLite's busy handler does not cover this one step on a new file: the
// PRAGMA reads the header under a shared lock and then upgrades that same
// transaction to write the WAL mark, and SQLite answers SQLITE_BUSY at
// once (waiting could deadlock) when another connection is doing the same.
// A failed attempt changed nothing, so it is retried after a short random
// pause; once one opener has switched the file, the others find it in WAL
// mode and need no write. store/sqlitestore does the same for the same
// reason (its TestOpenTogetherProcesses reproduced the failure).
func switchToWAL(db *gorm.DB, limit time.Duration) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(limit)
	pause := time.Millisecond
	for {
		var mode string
		err := sqlDB.QueryRow("PRAGMA journal_mode=WAL").Scan(&mode)
		if err == nil {
			if !strings.EqualFold(mode, "wal") {
				return fmt.Errorf("the file stayed in journal mode %q", mode)
			}
			return nil
		}
		if !isBusy(err) || time.Now().Add(pause).After(deadline) {
			return err
		}
		time.Sleep(pause/2 + rand.N(pause/2))
		pause = min(2*pause, 100*time.Millisecond)
	}
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

// openHandle opens a GORM handle on dsn whose pool keeps conns connections
// open for good.
func openHandle(dsn string, conns int) (*gorm.DB, error) {
	db, err := gorm.Open(gormsqlite.Open(dsn), gormconn.Config())
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
