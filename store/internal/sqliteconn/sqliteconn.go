// Package sqliteconn opens a ginsession store on an SQLite file the way both
// SQLite stores do, whichever driver they use (store/sqlitestore:
// mattn/go-sqlite3 through cgo; store/puresqlite: modernc.org/sqlite): one
// writer connection whose transactions begin IMMEDIATE, a pool of read-only
// connections, WAL, busy_timeout and foreign keys. Only the driver, and how
// its errors say "busy", differ between the two.
package sqliteconn

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/internal/gormconn"
)

// BusyTimeout is how long a connection waits in SQLite's busy handler for a
// lock another connection (or process) holds before it fails with
// SQLITE_BUSY.
const BusyTimeout = 5 * time.Second

// walSwitchLimit bounds how long Open retries switching a new file to WAL
// while other openers hold its lock (see switchToWAL).
const walSwitchLimit = 30 * time.Second

// Driver is what differs between the SQLite drivers.
type Driver struct {
	// Name prefixes Open's errors ("sqlitestore", "puresqlite").
	Name string
	// Dialector is the GORM dialector of a DSN. Both drivers read the
	// same DSN parameters (_busy_timeout, _foreign_keys, _synchronous,
	// _txlock, _query_only).
	Dialector func(dsn string) gorm.Dialector
	// IsBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED,
	// extended codes included.
	IsBusy func(err error) bool
}

// Open opens (creating if needed) the SQLite file at path with d and returns
// a store on it, its tables created. path must be a plain file path:
// ":memory:", "file:" URIs and paths with '?' or '#' are refused (the DSN
// parameters are Open's to choose, and an in-memory database would be
// private to one connection).
func Open(d Driver, path string, opts gormstore.Options) (*gormstore.GORMStore, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("%s: Open: %q is not a plain file path", d.Name, path)
	}
	// Both drivers set busy_timeout on each new connection before anything
	// else (before the other pragmas of the DSN). WAL is not asked for
	// here (no _journal_mode): see switchToWAL.
	common := fmt.Sprintf("_busy_timeout=%d&_foreign_keys=on", BusyTimeout.Milliseconds())
	write, err := openHandle(d, path+"?_synchronous=NORMAL&_txlock=immediate&"+common, 1)
	if err != nil {
		return nil, fmt.Errorf("%s: Open %s: writer: %w", d.Name, path, err)
	}
	if err := switchToWAL(d, write, walSwitchLimit); err != nil {
		closeAll(write)
		return nil, fmt.Errorf("%s: Open %s: writer: setting journal_mode=WAL: %w", d.Name, path, err)
	}
	// The writer connection set WAL (a property of the file) before the
	// readers open; query_only makes any write through a reader fail
	// instead of taking the write lock behind the writer's back.
	read, err := openHandle(d, path+"?_query_only=on&_txlock=deferred&"+common, max(4, runtime.GOMAXPROCS(0)))
	if err != nil {
		closeAll(write)
		return nil, fmt.Errorf("%s: Open %s: readers: %w", d.Name, path, err)
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
// simultaneous first opens; sqlitestore's TestOpenTogetherProcesses
// reproduces it).
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
func switchToWAL(d Driver, db *gorm.DB, limit time.Duration) error {
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
		if !d.IsBusy(err) || time.Now().Add(pause).After(deadline) {
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
func openHandle(d Driver, dsn string, conns int) (*gorm.DB, error) {
	db, err := gorm.Open(d.Dialector(dsn), gormconn.Config())
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
