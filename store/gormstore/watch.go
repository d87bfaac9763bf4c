package gormstore

import (
	"context"
	"errors"
	"time"

	"github.com/ginsession/ginsession/store"
)

// Backoff between attempts to listen again after the listening connection
// failed (the database restarted, the network dropped).
const (
	watchRetryMin = 100 * time.Millisecond
	watchRetryMax = 5 * time.Second
)

// WatchRevocations implements store.Store. On Postgres it holds one
// connection of its own (outside the pool) that LISTENs on the
// revocations table's channel; AddRevocations NOTIFYs it in the same
// transaction. On SQLite, and on a *gorm.DB given to New, it returns
// errors.ErrUnsupported.
func (s *GORMStore) WatchRevocations(ctx context.Context, notify func()) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if s.listen == nil {
		return errors.ErrUnsupported
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.closing, cancel)
	defer stop()
	wait := watchRetryMin
	for {
		started := time.Now()
		err := s.listen(ctx, s.tables.revocations, notify)
		if ctx.Err() != nil {
			if s.closed.Load() {
				return store.ErrClosed
			}
			return ctx.Err()
		}
		if time.Since(started) > watchRetryMax {
			wait = watchRetryMin // it worked for a while: retry soon
		}
		s.log.Warn("store: listening for revocations failed; polling covers the gap", "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		wait = min(2*wait, watchRetryMax)
	}
}
