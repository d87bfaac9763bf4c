package ginsession

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/memstore"
)

// pollOnly is a store without the optional capabilities of the store it
// holds: only store.Store's methods are promoted.
type pollOnly struct{ store.Store }

// The metrics wrapper keeps the capability to push revocations exactly when
// the wrapped store has it: no silent downgrade to polling, and no watcher
// that would never tell.
func TestMeasuredStoreKeepsPushOnlyWhenWrappedHasIt(t *testing.T) {
	m, err := newMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	pushing := memstore.New()
	defer pushing.Close()
	if store.Watcher(pushing) == nil {
		t.Fatal("memstore cannot push: the check below proves nothing")
	}
	if store.Watcher(measure(pushing, m)) == nil {
		t.Error("wrapping a store that pushes lost the capability")
	}
	if w := store.Watcher(measure(pollOnly{pushing}, m)); w != nil {
		t.Errorf("wrapping a store that cannot push gave a watcher (%T)", w)
	}
}

// New says once, at Info, how revocations reach this instance.
func TestNewReportsHowRevocationsArrive(t *testing.T) {
	for _, c := range []struct {
		name string
		st   func(*memstore.Store) store.Store
		want string
	}{
		{"pushed", func(s *memstore.Store) store.Store { return s }, "revocations are pushed"},
		{"polled", func(s *memstore.Store) store.Store { return pollOnly{s} }, "revocations are polled: the store cannot push them"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			st := memstore.New()
			defer st.Close()
			_, err := New(Config{
				Store: c.st(st), APIDomain: "https://api.example.test",
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
			})
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(logs.String(), "revocations are "); n != 1 || !strings.Contains(logs.String(), c.want) {
				t.Errorf("logs = %q; want one line saying %q", logs.String(), c.want)
			}
			if !strings.Contains(logs.String(), "level=INFO") || !strings.Contains(logs.String(), "poll_interval=250ms") {
				t.Errorf("logs = %q; want it at Info with the poll interval", logs.String())
			}
		})
	}
	t.Run("propagation off", func(t *testing.T) {
		var logs bytes.Buffer
		st := memstore.New()
		defer st.Close()
		_, err := New(Config{
			Store: st, APIDomain: "https://api.example.test", RevocationPollInterval: -1,
			Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(logs.String(), "revocations are ") {
			t.Errorf("logs = %q; nothing to report when propagation is off", logs.String())
		}
	})
}
