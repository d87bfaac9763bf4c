package ginsession

import (
	"context"
	"errors"
	"log/slog"

	"github.com/ginsession/ginsession/internal/revocation"
	"github.com/ginsession/ginsession/store"
)

// The set of revoked sessions (internal/revocation) is the mechanism; this
// file gives it the engine's settings and logger. revoke.go is what a
// revocation means to the engine (hooks, metrics).

// newRevocations returns the engine's revocation set on st, woken by w
// when the store can push (nil: polling alone), or nil when
// RevocationPollInterval turns propagation off.
func newRevocations(st store.Store, w store.RevocationWatcher, cfg *settings, m *metrics) *revocation.Set {
	if cfg.revocationPoll < 0 {
		return nil
	}
	o := revocation.Options{
		Log: st, Interval: cfg.revocationPoll, TTL: cfg.accessTTL, Now: cfg.now,
		OnError: func(err error) { cfg.logger.Warn("ginsession: polling revocations failed", "err", err) },
		Learned: m.learnedRevocation,
	}
	if w != nil {
		o.Watch = w.WatchRevocations
	}
	return revocation.New(o)
}

// watchRevocations runs the store's push of revocations for the life of
// the store; its end before the store closes is worth a warning (polling
// goes on).
func watchRevocations(r *revocation.Set, logger *slog.Logger) {
	if err := r.Watch(context.Background()); !errors.Is(err, store.ErrClosed) {
		logger.Warn("ginsession: revocation push stopped; polling only", "err", err)
	}
}
