package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

// RunWatch checks the optional capability of pushing revocations
// (store.RevocationWatcher), on two stores on one database as RunShared
// opens them: a watcher on one is told of what the other adds. Run and
// RunShared check it too, when the store has it; a backend calls RunWatch
// for a store that must push, so that losing the capability fails instead
// of quietly leaving readers to poll.
func RunWatch(t *testing.T, open func(t *testing.T) (a, b store.Store)) {
	t.Run("WatchRevocationsAcross", func(t *testing.T) {
		a, b := open(t)
		if store.Watcher(a) == nil {
			t.Fatalf("%T cannot push revocations: store.Watcher returned nil", a)
		}
		testWatchRevocationsAcross(t, a, b)
	})
}

// canWatch reports whether the stores open returns can push revocations,
// asking a store opened for the purpose.
func canWatch(t *testing.T, open func(t *testing.T) store.Store) bool {
	t.Helper()
	if store.Watcher(open(t)) != nil {
		return true
	}
	t.Log("this store cannot push revocations (store.Watcher is nil): readers poll, and the watch checks do not apply")
	return false
}

// testWatchRevocationsAcross: a store that can push tells a watcher on one
// store of revocations added through another (or through itself, when a
// and b are one store), and stops when its context ends.
func testWatchRevocationsAcross(t *testing.T, a, b store.Store) {
	w := store.Watcher(a)
	if w == nil {
		t.Fatalf("%T cannot push revocations", a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	told := make(chan struct{}, 64)
	done := make(chan error, 1)
	go func() {
		done <- w.WatchRevocations(ctx, func() {
			select {
			case told <- struct{}{}:
			default:
			}
		})
	}()
	select {
	case err := <-done:
		t.Fatalf("WatchRevocations returned %v before its context ended", err)
	case <-told: // listening
	case <-time.After(10 * time.Second):
		t.Fatal("WatchRevocations did not start listening (first notify) within 10 s")
	}
	for round := range 3 {
		h := fmt.Sprintf("pushed-%d", round)
		if err := b.AddRevocations(context.Background(), []store.Revocation{{Handle: h, RevokedAt: base, ExpiresAt: base.Add(time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-told:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: no notification within 10 s of b.AddRevocations", round)
		}
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("WatchRevocations after its context ended: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WatchRevocations did not return within 10 s of its context ending")
	}
}
