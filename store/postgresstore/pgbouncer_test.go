package postgresstore_test

import (
	"errors"
	"testing"

	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/postgresstore"
	"github.com/ginsession/ginsession/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openThrough opens a store whose queries go through pgbouncer and whose
// LISTEN (revocation push) goes to the server directly, as
// docs/deployment.md advises.
func openThrough(t *testing.T, through, direct string) store.Store {
	t.Helper()
	s, err := postgresstore.Open(through, gormstore.Options{ListenDSN: direct})
	if err != nil {
		t.Fatalf("postgresstore.Open through pgbouncer: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// The conformance suite through pgbouncer in transaction pooling mode, the
// usual way many instances share one Postgres: every guarantee of the
// contract must hold when consecutive transactions of one store run on
// different server connections, and with no server-side prepared
// statements.
func TestConformanceThroughPgbouncer(t *testing.T) {
	b := pgtest.StartBouncer(t)
	t.Run("one store", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store {
			through, direct := b.NewDatabase(t)
			return openThrough(t, through, direct)
		})
	})
	t.Run("two stores on one database", func(t *testing.T) {
		storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
			through, direct := b.NewDatabase(t)
			return openThrough(t, through, direct), openThrough(t, through, direct)
		})
	})
	// With a direct ListenDSN the store must push: RunWatch fails where
	// RunShared would only note that it polls.
	t.Run("pushes", func(t *testing.T) {
		storetest.RunWatch(t, func(t *testing.T) (store.Store, store.Store) {
			through, direct := b.NewDatabase(t)
			return openThrough(t, through, direct), openThrough(t, through, direct)
		})
	})
}
