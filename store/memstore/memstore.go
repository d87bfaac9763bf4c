// Package memstore is a store.Store in memory: for tests, and for
// development in a single process, where it needs no database, no driver
// and no cgo. It passes the whole of store/storetest, pushing revocations
// included.
//
// What it is not for:
//
//   - Several processes. Every store is its own database: two processes (or
//     two replicas behind a load balancer) each have their own sessions,
//     keys and revocations, so a session created on one is unknown to the
//     other, and a sign-out on one is never seen by the other. Several
//     engines in one process may share one store; use Postgres or MariaDB
//     (store/postgresstore, store/mysqlstore) for several processes.
//   - Anything that must survive a restart. Nothing is written anywhere:
//     when the process ends every user is signed out (their refresh tokens
//     name sessions that no longer exist), and the signing keys and the
//     refresh-token secret are made anew, so every access token issued
//     before is refused. Use store/sqlitestore for one process that keeps
//     its sessions.
//
// Rows are copied in and out, so neither the caller's values nor the
// returned ones are shared with the store. Times are kept to the
// nanosecond, in UTC. Rows whose ExpiresAt is not after the time a reader
// passes are invisible to it; they stay in memory until DeleteExpired
// removes them (there is no cleanup loop: an application that runs for
// months calls DeleteExpired now and then). Texts are checked as
// store.Session asks: handles, user IDs, key IDs and names must be
// non-empty, and every text valid UTF-8 without NUL bytes; anything else is
// refused with an error, never stored altered.
package memstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/ginsession/ginsession/store"
)

// Store is an in-memory store.Store. Create it with New; the zero value is
// not ready for use. It is safe for concurrent use by many goroutines, and
// by several engines in one process.
type Store struct {
	// mu guards everything below. One lock makes each method one atomic
	// step, which is what the contract's guarded writes need (one winner of
	// a rotation race, the per-user cap, one key per turn); the work under
	// it is a few map operations.
	mu       sync.Mutex
	closed   bool
	sessions map[string]*store.Session      // by handle; the store's own copies
	byUser   map[string]map[string]struct{} // user ID → handles
	keys     map[string]*store.SigningKey   // by ID
	secrets  map[string][]byte
	revs     map[string]store.Revocation // by handle
	imported imports                     // store.Importer's (imports.go)
	// challenges (by hash) and bindings (by handle): store.DeviceBindings.
	challenges map[string]store.Challenge
	bindings   map[string]store.Binding

	watchers map[int]func() // WatchRevocations callers, told after each AddRevocations
	nextSub  int
	closing  chan struct{} // closed by Close: ends every WatchRevocations
}

var (
	_ store.Store             = (*Store)(nil)
	_ store.RevocationWatcher = (*Store)(nil)
	_ store.DeviceBindings    = (*Store)(nil)
)

// New returns an empty store.
func New() *Store {
	return &Store{
		sessions:   map[string]*store.Session{},
		byUser:     map[string]map[string]struct{}{},
		keys:       map[string]*store.SigningKey{},
		secrets:    map[string][]byte{},
		revs:       map[string]store.Revocation{},
		challenges: map[string]store.Challenge{},
		bindings:   map[string]store.Binding{},
		watchers:   map[int]func(){},
		closing:    make(chan struct{}),
	}
}

// Close empties the store and ends every WatchRevocations; every call after
// it, Close included, returns store.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	s.closed = true
	close(s.closing)
	s.sessions, s.byUser, s.keys, s.secrets, s.revs = nil, nil, nil, nil, nil
	s.challenges, s.bindings = nil, nil
	return nil
}

// lock takes the store's lock for one method, then checks that the store
// is open (after Close every call says so, whatever its arguments) and that
// ctx is not done (a canceled call changes nothing). On success the caller
// must unlock s.mu; on failure it is unlocked.
func (s *Store) lock(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		s.mu.Unlock()
		return err
	}
	return nil
}

// checkText refuses an empty text where the contract asks for one (handles,
// user IDs, key IDs, names).
func checkText(op, field, v string) error {
	if v == "" {
		return fmt.Errorf("memstore: %s: empty %s", op, field)
	}
	return checkMetaText(op, field, v)
}

// checkMetaText refuses text that a SQL backend would refuse or alter
// (Postgres text holds neither NUL nor invalid UTF-8), so that code tested
// on this store meets the same refusals in production.
func checkMetaText(op, field, v string) error {
	if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("memstore: %s: %s must be valid UTF-8 without NUL bytes", op, field)
	}
	return nil
}

// errNil is the error for a nil row given to a write.
func errNil(op string) error { return errors.New("memstore: " + op + ": nil argument") }
