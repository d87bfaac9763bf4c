package gormstore

import (
	"context"
	"errors"
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
// WatchRevocations on the store shares one connection, however many
// engines use the store, so the connection budget stays MaxOpenConns + 1.
type watchers struct {
	mu        sync.Mutex
	subs      map[int]func()
	next      int
	started   bool
	listening bool          // the connection is listening now
	done      chan struct{} // closed when the listen loop ends (after Close)
}

// WatchRevocations implements store.Store. On Postgres the store holds one
// connection of its own (outside the pool) that LISTENs on the revocations
// table's channel, shared by every caller; AddRevocations NOTIFYs it in
// the same transaction. On SQLite, and on a *gorm.DB given to New, it
// returns errors.ErrUnsupported.
func (s *GORMStore) WatchRevocations(ctx context.Context, notify func()) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if s.listen == nil {
		return errors.ErrUnsupported
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
