package memstore_test

import (
	"errors"
	"testing"

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
