package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/ginsession/ginsession/store"
)

// AddRevocations implements store.RevocationLog: the batch is checked
// whole before anything is recorded, then every watcher is told.
func (s *Store) AddRevocations(ctx context.Context, revs []store.Revocation) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	for _, r := range revs {
		if err := checkText("add revocations", "handle", r.Handle); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	for _, r := range revs {
		s.revs[r.Handle] = store.Revocation{Handle: r.Handle, RevokedAt: r.RevokedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
	}
	var tell []func()
	if len(revs) > 0 {
		for _, notify := range s.watchers {
			tell = append(tell, notify)
		}
	}
	s.mu.Unlock()
	// Outside the lock: a notify that reads the log at once must not wait
	// for this call to return.
	for _, notify := range tell {
		notify()
	}
	return nil
}

// RevocationsSince implements store.RevocationLog.
func (s *Store) RevocationsSince(ctx context.Context, since, now time.Time) ([]store.Revocation, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Revocation
	for _, r := range s.revs {
		if !r.RevokedAt.Before(since) && r.ExpiresAt.After(now) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b store.Revocation) int {
		return cmp.Or(a.RevokedAt.Compare(b.RevokedAt), cmp.Compare(a.Handle, b.Handle))
	})
	return out, nil
}

// WatchRevocations implements store.RevocationWatcher: within the process
// the store can always push, since every AddRevocations goes through it.
// It tells notify once at the start, then after every AddRevocations on
// this store (by any engine sharing it), until ctx ends or the store is
// closed.
func (s *Store) WatchRevocations(ctx context.Context, notify func()) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	id := s.nextSub
	s.nextSub++
	s.watchers[id] = notify
	closing := s.closing
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.watchers, id)
		s.mu.Unlock()
	}()
	notify() // listening from now on: the caller reads the log once to catch up
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-closing:
		return store.ErrClosed
	}
}
