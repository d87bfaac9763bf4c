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
	"math/rand/v2"
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
//
// Several processes, or goroutines of one process, may Open the same file
// at once, a new file included: the one step SQLite's busy_timeout does not
// cover, switching a new file to WAL, is retried for up to 30 s while
// another opener holds the lock.
func Open(path string, opts gormstore.Options) (*gormstore.GORMStore, error) {
	if !cgoEnabled {
		return nil, ErrNoCgo
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlitestore: Open: %q is not a plain file path", path)
	}
	// The driver sets busy_timeout on each new connection before anything
	// else (before the other pragmas of the DSN). WAL is not asked for
	// here (no _journal_mode): see switchToWAL.
	common := fmt.Sprintf("_busy_timeout=%d&_foreign_keys=on", busyTimeout.Milliseconds())
	write, err := openHandle(path+"?_synchronous=NORMAL&_txlock=immediate&"+common, 1)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: Open %s: writer: %w", path, err)
	}
	if err := switchToWAL(write, walSwitchLimit); err != nil {
		closeAll(write)
		return nil, fmt.Errorf("sqlitestore: Open %s: writer: setting journal_mode=WAL: %w", path, err)
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
	s, err := gormconn.NewStore[gormstore.Options, *gormstore.GORMStore](c, opts)
	if err != nil {
		closeAll(write, read)
		return nil, err
	}
	return s, nil
}

// walSwitchLimit bounds how long Open retries the switch to WAL
// (switchToWAL) while other connections contend for the new file.
const walSwitchLimit = 30 * time.Second

// switchToWAL puts the database file in WAL mode (a property of the file,
// kept by it) through db, retrying while another connection holds the
// lock it needs, for at most limit.
//
// The retry is needed because SQLite's busy handler (busy_timeout) does
// not cover this switch. On a file not yet in WAL mode, PRAGMA
// journal_mode=WAL first opens a read transaction (a SHARED lock; this
// step does wait in the busy handler), reads the file's header, and then
// upgrades that same transaction to a write one to mark the header for WAL
// (sqlite3BtreeSetVersion). SQLite never waits in the busy handler when a
// connection that already holds a read transaction asks for the write
// lock: the holder of the write lock may be waiting for this very
// reader's SHARED lock to go, so waiting could deadlock. It answers
// SQLITE_BUSY at once instead. Every Open of a new file makes that switch,
// so two processes (or two Opens in one process) opening a new file at the
// same moment can both hold SHARED when they ask to upgrade, and the later
// one failed with "database is locked" (found by an outside trial: 2 of 80
// simultaneous first opens; TestOpenTogetherProcesses reproduces it).
//
// The failure is harmless to retry: the attempt has changed nothing, and
// its statement ended and released its SHARED lock. The connection that
// won the upgrade finishes the switch (it waits for the others' SHARED
// locks in the busy handler), after which the file is marked for WAL and a
// retry needs no write at all: it waits for the winner in the busy handler
// of its read, finds the mark and is done. So retries end within a few
// milliseconds; limit only guards against a file that stays locked.
//
// Nothing after the switch needs such a retry: the tables are created
// (gormstore's migration) in a transaction the writer starts with BEGIN
// IMMEDIATE, which takes its write lock from no transaction at all, a
// case where SQLite does wait in the busy handler, as for every other
// write of the store.
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
			// SQLite answers the mode the file is in, which is not WAL
			// when it could not switch (a VFS without shared memory).
			if !strings.EqualFold(mode, "wal") {
				return fmt.Errorf("the file stayed in journal mode %q", mode)
			}
			return nil
		}
		if !isBusy(err) || time.Now().Add(pause).After(deadline) {
			return err
		}
		// A random pause in [pause/2, pause) keeps processes that failed
		// together from retrying together.
		time.Sleep(pause/2 + rand.N(pause/2))
		pause = min(2*pause, 100*time.Millisecond)
	}
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
