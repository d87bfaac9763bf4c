package store

import "context"

// RevocationWatcher is an optional capability: a store that can push
// revocations to the instances sharing its database, so that they need not
// wait for their next RevocationsSince poll. Polling alone is always enough
// for correctness; pushing only makes revocation reach other instances
// sooner. A store either can push or has no such method: there is no "not
// supported" error to check.
//
// Find a store's watcher with Watcher, not with a type assertion: a store
// whose one Go type covers databases that can push and databases that
// cannot (gormstore: SQLite, Postgres and MariaDB) hands its watcher out
// through WatcherProvider instead of having the method.
type RevocationWatcher interface {
	// WatchRevocations tells this instance at once when any store on the
	// same database adds revocations, so it need not wait for its next
	// RevocationsSince poll. It calls notify once when it starts listening
	// (and again after every reconnect: the caller then reads the log, which
	// covers anything added before), then after each AddRevocations anywhere,
	// until ctx ends or the store is closed; it returns ctx.Err() or
	// ErrClosed then, reconnecting after failures in between. notify must
	// not block.
	WatchRevocations(ctx context.Context, notify func()) error
}

// WatcherProvider is implemented by a store that knows only once it is
// opened whether it can push revocations (gormstore's one type serves
// SQLite, which cannot, and Postgres, which can unless told not to listen),
// and by wrappers of another store (ginsession's metrics), which can push
// exactly when the store they wrap can. RevocationWatcher returns nil when
// the store cannot push. It is the reason Watcher, not a type assertion,
// is how a caller asks.
type WatcherProvider interface {
	RevocationWatcher() RevocationWatcher
}

// Watcher returns s's RevocationWatcher, or nil when s cannot push
// revocations: WatcherProvider's answer when s implements it, otherwise s
// itself when it implements RevocationWatcher. Callers ask once, when they
// start (ginsession.New does, and logs the answer), and poll
// RevocationsSince either way.
func Watcher(s Store) RevocationWatcher {
	if p, ok := s.(WatcherProvider); ok {
		return p.RevocationWatcher()
	}
	if w, ok := s.(RevocationWatcher); ok {
		return w
	}
	return nil
}
