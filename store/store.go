// Package store is the contract between ginsession and a database: the Store
// interface, its row types and its errors. It imports no database code.
//
// It knows nothing of HTTP, cookies or JWTs: it stores rows and performs the
// guarded writes the refresh-token rotation needs. Every backend must pass
// the conformance suite in store/storetest.
//
// # The contract, by concern
//
// Store is small interfaces put together, one per concern, so that code
// needing one concern asks for that one and a reader finds each guarantee
// beside its kin:
//
//   - SessionRows: one session row by handle (create, get, rotate, update,
//     delete), what every request path needs;
//   - UserSessions: the per-user side (the capped sign-in, signing a user
//     out everywhere, the list of devices);
//   - Keys: the shared signing keys; Secrets: named shared secrets;
//   - RevocationLog: revocations written by one instance and polled by the
//     others;
//   - Cleaner: removing expired rows; and io.Closer.
//
// The names say what the value holds, read after the package name
// (store.Keys, store.RevocationLog), and none repeats it (no
// store.SessionStore); the sessions concern is SessionRows, not Sessions,
// because ginsession.Sessions is the engine and the two meet in the same
// files.
//
// Optional capabilities are interfaces of their own, outside Store: a store
// has the capability or lacks it, and never answers "not supported" at run
// time. There is one today, RevocationWatcher (pushing revocations, which
// Postgres does with LISTEN/NOTIFY); ask for it with Watcher, which also
// sees through a store whose Go type serves several databases
// (WatcherProvider). ginsession asks once, in New, and logs whether
// revocations are pushed or only polled.
//
// # Implementations
//
// They live in their own packages, so that an application compiles only the
// database driver it uses:
//
//   - store/sqlitestore: Open(path, opts) for one process on an SQLite file
//     (github.com/mattn/go-sqlite3: needs cgo, that is a C compiler);
//   - store/postgresstore: Open(dsn, opts) for one or several processes on
//     Postgres (pgx: pure Go, builds with CGO_ENABLED=0);
//   - store/gormstore: the GORM implementation both use, and New(db, opts)
//     for a *gorm.DB the application opened itself;
//   - store/memstore: New(), in memory, for tests and single-process
//     development (nothing survives a restart).
//
// They are packages of one module, not separate modules: Go compiles only
// the packages a program imports, so a Postgres-only application never
// compiles (nor needs a C compiler for) the SQLite driver, and ginsession
// itself imports only this package.
//
// Errors: "the row is not there" is ErrNotFound; "someone else changed it
// first" is ErrConflict; anything else is a failure of the database itself and
// must never be read as "no session" by a caller.
package store

import (
	"context"
	"io"
	"time"
)

// Store is what ginsession needs from a database: every concern of the
// contract. All methods are safe for concurrent use by several goroutines
// and by several processes sharing one database (Postgres).
type Store interface {
	SessionRows
	UserSessions
	Keys
	Secrets
	RevocationLog
	Cleaner

	// Close stops background work (the cleanup loop) and releases the
	// database. Calls after Close return ErrClosed.
	io.Closer
}

// Cleaner removes expired rows. Readers never see them either way (every
// read takes the time and hides what has expired by then); removing them
// only reclaims space.
type Cleaner interface {
	// DeleteExpired removes sessions, signing keys and revocations whose
	// ExpiresAt is not after now, and returns how many rows it removed.
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)
}
