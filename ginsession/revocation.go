package ginsession

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ginsession/ginsession/store"
)

// revocations propagates revoked session handles to this instance's verify
// path, so a revoked session's access tokens fail everywhere within about
// RevocationPollInterval, with no database read per request.
//
// It needs no goroutine of its own: the verify path refreshes the set when
// it is older than the poll interval — in the background while it is at
// most twice that old, synchronously (one small query) beyond, so the
// staleness is bounded even after an idle period. Entries expire with the
// last access token of their session; memory is bounded by the number of
// sessions revoked within one AccessTokenTTL.
type revocations struct {
	log      store.RevocationLog
	interval time.Duration
	ttl      time.Duration
	now      func() time.Time
	onError  func(error)

	set       atomic.Pointer[revokedSet]
	polling   atomic.Bool
	pollMu    sync.Mutex // serialises polls and local additions
	lastSince time.Time
}

type revokedSet struct {
	handles  map[string]time.Time // handle -> expiry
	polledAt time.Time
}

// overlap re-reads a margin of recent revocations on every poll, so rows
// committed late (or stamped by an instance whose clock is behind) are not
// missed. Duplicates are harmless.
const revocationOverlap = 30 * time.Second

func newRevocations(st store.Store, cfg *settings) *revocations {
	log, ok := st.(store.RevocationLog)
	if !ok || cfg.RevocationPollInterval < 0 {
		return nil
	}
	r := &revocations{
		log: log, interval: cfg.RevocationPollInterval, ttl: cfg.AccessTokenTTL, now: cfg.Now,
		onError: func(err error) { cfg.logger.Warn("ginsession: polling revocations failed", "err", err) },
	}
	now := cfg.Now()
	r.set.Store(&revokedSet{handles: map[string]time.Time{}})
	// Everything revoked within one access-token lifetime may still have
	// live tokens.
	r.lastSince = now.Add(-cfg.AccessTokenTTL)
	return r
}

// contains reports whether handle is revoked, refreshing the set first when
// it is stale.
func (r *revocations) contains(ctx context.Context, handle string) bool {
	if r == nil {
		return false
	}
	return r.containsAt(ctx, handle, r.now())
}

// containsAt is contains with the caller's reading of the clock.
func (r *revocations) containsAt(ctx context.Context, handle string, now time.Time) bool {
	if r == nil {
		return false
	}
	set := r.set.Load()
	age := now.Sub(set.polledAt)
	switch {
	case age > 2*r.interval:
		r.poll(ctx)
		set = r.set.Load()
	case age > r.interval:
		if r.polling.CompareAndSwap(false, true) {
			go func() {
				defer r.polling.Store(false)
				r.poll(context.Background())
			}()
		}
	}
	exp, ok := set.handles[handle]
	return ok && now.Before(exp)
}

// poll reads new revocations and publishes a new set. A failed poll keeps
// the old set and is retried on the next request: a database fault must not
// stop verification.
func (r *revocations) poll(ctx context.Context) {
	r.pollMu.Lock()
	defer r.pollMu.Unlock()
	now := r.now()
	if now.Sub(r.set.Load().polledAt) <= r.interval/2 {
		return // another caller just polled
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	revs, err := r.log.RevocationsSince(ctx, r.lastSince.Add(-revocationOverlap), now)
	if err != nil {
		r.onError(err)
		return
	}
	r.publish(revs, now, true)
	r.lastSince = now
}

// add records local revocations at once (this instance refuses them
// without waiting for a poll) and writes them for the other instances.
func (r *revocations) add(ctx context.Context, handles ...string) error {
	if r == nil || len(handles) == 0 {
		return nil
	}
	now := r.now()
	revs := make([]store.Revocation, len(handles))
	for i, h := range handles {
		// One minute past the last possible token expiry covers small clock
		// differences between instances.
		revs[i] = store.Revocation{Handle: h, RevokedAt: now, ExpiresAt: now.Add(r.ttl + time.Minute)}
	}
	r.pollMu.Lock()
	r.publish(revs, now, false)
	r.pollMu.Unlock()
	if err := r.log.AddRevocations(ctx, revs); err != nil {
		return errors.Join(errors.New("ginsession: announcing a revocation to other instances failed"), err)
	}
	return nil
}

// publish builds the next set: the old one without expired entries, plus
// revs. Caller holds pollMu.
func (r *revocations) publish(revs []store.Revocation, now time.Time, polled bool) {
	old := r.set.Load()
	if len(revs) == 0 && polled {
		// Nothing new: keep the map, just mark it fresh (and prune now and
		// then, when something expired).
		next := &revokedSet{handles: old.handles, polledAt: now}
		for _, exp := range old.handles {
			if !now.Before(exp) {
				next.handles = pruned(old.handles, now)
				break
			}
		}
		r.set.Store(next)
		return
	}
	handles := pruned(old.handles, now)
	for _, rv := range revs {
		if now.Before(rv.ExpiresAt) {
			handles[rv.Handle] = rv.ExpiresAt
		}
	}
	polledAt := old.polledAt
	if polled {
		polledAt = now
	}
	r.set.Store(&revokedSet{handles: handles, polledAt: polledAt})
}

func pruned(m map[string]time.Time, now time.Time) map[string]time.Time {
	out := make(map[string]time.Time, len(m))
	for h, exp := range m {
		if now.Before(exp) {
			out[h] = exp
		}
	}
	return out
}

func (r *revocations) len() int {
	if r == nil {
		return 0
	}
	return len(r.set.Load().handles)
}
