package gormstore

import (
	"context"
	"sync"
	"time"

	"github.com/ginsession/ginsession/store"
)

// Backoff between attempts to listen again after the listening connection
// failed (the database restarted, the network dropped).
const (
	watchRetryMin = 100 * time.Millisecond
	watchRetryMax = 5 * time.Second
)

// watchers is the one listener of a store and the callers it tells: every
// WatchRevocations on the store's watcher shares one connection, however many
// engines use the store, so the connection budget stays MaxOpenConns + 1.
type watchers struct {
	mu        sync.Mutex
	subs      map[int]func()
	next      int
	started   bool
	listening bool          // the connection is listening now
	done      chan struct{} // closed when the listen loop ends (after Close)
}

// RevocationWatcher implements store.WatcherProvider: it returns the
// store's store.RevocationWatcher when the store can push revocations, nil
// when it cannot. GORMStore is one type for every dialect, so it cannot
// have the WatchRevocations method only where it works; it hands out a
// watcher instead, and store.Watcher asks for it.
//
// A store made by postgresstore.Open can push (unless Options.ListenDSN is
// "off"): it holds one connection of its own, outside the pool, that
// LISTENs on the revocations table's channel, shared by every watcher;
// AddRevocations NOTIFYs it in the same transaction. Stores on SQLite or
// MariaDB, and any store made by New on the caller's *gorm.DB, cannot: nil.
func (s *GORMStore) RevocationWatcher() store.RevocationWatcher {
	if s.listen == nil {
		return nil
	}
	return pusher{s}
}

// pusher is the store.RevocationWatcher of a store that can push.
type pusher struct{ s *GORMStore }

// WatchRevocations implements store.RevocationWatcher (see
// GORMStore.RevocationWatcher).
func (p pusher) WatchRevocations(ctx context.Context, notify func()) error {
	s := p.s
	if s.closed.Load() {
		return store.ErrClosed
	}
	w := &s.watch
	w.mu.Lock()
	if w.subs == nil {
		w.subs = map[int]func(){}
	}
	id := w.next
	w.next++
	w.subs[id] = notify
	if !w.started {
		w.started = true
		w.done = make(chan struct{})
		go s.listenLoop()
	}
	listening := w.listening
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.subs, id)
		w.mu.Unlock()
	}()
	if listening {
		notify() // the connection listens already: this caller starts now
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closing.Done():
		return store.ErrClosed
	}
}

// tell calls every watcher. The first call after a (re)connect marks the
// store as listening.
func (s *GORMStore) tell() {
	w := &s.watch
	w.mu.Lock()
	w.listening = true
	subs := make([]func(), 0, len(w.subs))
	for _, f := range w.subs {
		subs = append(subs, f)
	}
	w.mu.Unlock()
	for _, f := range subs {
		f()
	}
}

// listenLoop keeps the store's listening connection up until Close.
func (s *GORMStore) listenLoop() {
	defer close(s.watch.done)
	wait := watchRetryMin
	for {
		started := time.Now()
		err := s.listen(s.closing, s.tables.revocations, s.tell)
		s.watch.mu.Lock()
		s.watch.listening = false
		s.watch.mu.Unlock()
		if s.closing.Err() != nil {
			return
		}
		if time.Since(started) > watchRetryMax {
			wait = watchRetryMin // it worked for a while: retry soon
		}
		s.log.Warn("store: listening for revocations failed; polling covers the gap", "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-s.closing.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, watchRetryMax)
	}
}

// stopWatching ends the listen loop and waits for it (its goodbye to the
// server is bounded).
func (s *GORMStore) stopWatching() {
	s.stopWatch()
	s.watch.mu.Lock()
	done := s.watch.done
	s.watch.mu.Unlock()
	if done != nil {
		<-done
	}
}

var _ store.WatcherProvider = (*GORMStore)(nil)
