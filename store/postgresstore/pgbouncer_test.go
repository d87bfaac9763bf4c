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

func openThrough(t *testing.T, dsn string) store.Store {
	t.Helper()
	s, err := postgresstore.Open(dsn, gormstore.Options{})
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
		storetest.Run(t, func(t *testing.T) store.Store { return openThrough(t, b.NewDatabase(t)) })
	})
	t.Run("two stores on one database", func(t *testing.T) {
		storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
			dsn := b.NewDatabase(t)
			return openThrough(t, dsn), openThrough(t, dsn)
		})
	})
}
