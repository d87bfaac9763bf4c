package memstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/memstore"
	"github.com/ginsession/ginsession/store/storetest"
)

// open returns a new store closed when the test ends.
func open(t *testing.T) store.Store {
	s := memstore.New()
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) { storetest.Run(t, open) }

// TestConformanceShared runs the two-instance checks on one store shared
// by both: the only sharing a memstore has (several engines in one
// process), and the one its races must survive.
func TestConformanceShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) { s := open(t); return s, s })
}

// TestPushes: a memstore pushes revocations (RunWatch fails otherwise).
func TestPushes(t *testing.T) {
	storetest.RunWatch(t, func(t *testing.T) (store.Store, store.Store) { s := open(t); return s, s })
}

// A watcher may read the log from its notify: AddRevocations tells the
// watchers after releasing the store, so that read does not wait for the
// write that caused it (it would never get the store otherwise).
func TestNotifyMayReadTheLog(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	read := make(chan int, 8)
	go func() {
		_ = s.WatchRevocations(ctx, func() {
			revs, err := s.RevocationsSince(context.Background(), now.Add(-time.Hour), now)
			if err != nil {
				t.Error(err)
			}
			read <- len(revs)
		})
	}()
	if n := <-read; n != 0 {
		t.Fatalf("first notify read %d revocations, want 0", n)
	}
	done := make(chan error, 1)
	go func() {
		done <- s.AddRevocations(context.Background(), []store.Revocation{{Handle: "h", RevokedAt: now, ExpiresAt: now.Add(time.Hour)}})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("AddRevocations did not return: its notify waits for the store it holds")
	}
	if n := <-read; n != 1 {
		t.Fatalf("notify after AddRevocations read %d revocations, want 1", n)
	}
}

// After Close every call says ErrClosed, even one whose arguments would be
// refused anyway: the caller learns the store is gone, not that it asked
// wrongly.
func TestClosedBeforeArguments(t *testing.T) {
	s := memstore.New()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.CreateSession(ctx, nil); !errors.Is(err, store.ErrClosed) {
		t.Errorf("CreateSession(nil) after Close: %v, want ErrClosed", err)
	}
	if _, err := s.RotateSession(ctx, "h", nil, store.Rotation{}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("RotateSession(empty hashes) after Close: %v, want ErrClosed", err)
	}
	if err := s.AddRevocations(ctx, []store.Revocation{{Handle: ""}}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("AddRevocations(empty handle) after Close: %v, want ErrClosed", err)
	}
	if err := s.WatchRevocations(ctx, func() { t.Error("notify after Close") }); !errors.Is(err, store.ErrClosed) {
		t.Errorf("WatchRevocations after Close: %v, want ErrClosed", err)
	}
}
