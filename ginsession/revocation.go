package ginsession

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ginsession/ginsession/store"
)

// revocations propagates revoked session handles to this instance's verify
// path, so a revoked session's access tokens fail everywhere within about
// RevocationPollInterval, with no database read per request.
//
// It needs no goroutine of its own: a verify that finds the set older than
// the poll interval starts one poll in the background. The verify path never
// waits on the database beyond maxPollWait, so verification keeps working
// from memory while the database is slow, hung or down:
//   - at most one poll is in flight, whatever the number of requests;
//   - a verify waits for it only when the set is older than twice the
//     interval (after an idle period, so that staleness stays bounded), and
//     then only until maxPollWait after the poll started: a healthy database
//     answers well within it, a hung one is not waited for;
//   - a failed poll backs off (the interval, doubling up to maxPollBackoff)
//     before the next one starts, and keeps the old set.
//
// Entries expire with the last access token of their session; memory is
// bounded by the number of sessions revoked within one AccessTokenTTL.
type revocations struct {
	log      store.Store
	interval time.Duration
	ttl      time.Duration
	now      func() time.Time
	onError  func(error)
	// learned, when set, is told how late this instance learned of each
	// revocation another instance made after this one started.
	learned func(lag time.Duration)
	started time.Time

	set      atomic.Pointer[revokedSet]
	inflight atomic.Pointer[pollCall] // the poll running now, if any
	// pushed is set when the store announced revocations (watch) and
	// cleared when a poll starts: a push that arrives while a poll runs
	// gets a poll of its own after it.
	pushed  atomic.Bool
	retryAt atomic.Int64 // UnixNano before which no poll starts (backoff)

	mu        sync.Mutex // serialises publishing, lastSince and failures
	lastSince time.Time
	failures  int
}

type revokedSet struct {
	handles  map[string]time.Time // handle -> expiry
	polledAt time.Time
}

// pollCall is one poll in flight; done is closed when it ends.
type pollCall struct {
	done    chan struct{}
	started time.Time // monotonic wall time, for maxPollWait
}

const (
	// revocationOverlap re-reads a margin of recent revocations on every
	// poll, so rows committed late (or stamped by an instance whose clock
	// is behind) are not missed. Duplicates are harmless.
	revocationOverlap = 30 * time.Second
	// maxPollWait bounds how long a verify waits for a poll it needs.
	maxPollWait = 5 * time.Millisecond
	// pollTimeout bounds one poll.
	pollTimeout = 2 * time.Second
	// maxPollBackoff caps the pause after failed polls.
	maxPollBackoff = 5 * time.Second
)

func newRevocations(st store.Store, cfg *settings) *revocations {
	if cfg.revocationPoll < 0 {
		return nil
	}
	r := &revocations{
		log: st, interval: cfg.revocationPoll, ttl: cfg.accessTTL, now: cfg.now,
		onError: func(err error) { cfg.logger.Warn("ginsession: polling revocations failed", "err", err) },
	}
	now := cfg.now()
	r.started = now
	r.set.Store(&revokedSet{handles: map[string]time.Time{}})
	// Everything revoked within one access-token lifetime may still have
	// live tokens.
	r.lastSince = now.Add(-cfg.accessTTL)
	return r
}

// contains reports whether handle is revoked, refreshing the set first when
// it is stale.
func (r *revocations) contains(handle string) bool {
	if r == nil {
		return false
	}
	return r.containsAt(handle, r.now())
}

// containsAt is contains with the caller's reading of the clock.
func (r *revocations) containsAt(handle string, now time.Time) bool {
	if r == nil {
		return false
	}
	set := r.set.Load()
	if age := now.Sub(set.polledAt); age > r.interval {
		if call := r.startPoll(now); call != nil && age > 2*r.interval {
			call.wait()
			set = r.set.Load()
		}
	}
	exp, ok := set.handles[handle]
	return ok && now.Before(exp)
}

// startPoll returns the poll in flight, starting one unless a failed poll's
// backoff is running (then nil: nothing to wait for).
func (r *revocations) startPoll(now time.Time) *pollCall {
	if c := r.inflight.Load(); c != nil {
		return c
	}
	if now.UnixNano() < r.retryAt.Load() {
		return nil
	}
	c := &pollCall{done: make(chan struct{}), started: time.Now()}
	if !r.inflight.CompareAndSwap(nil, c) {
		return r.inflight.Load() // another request started one (or it just ended: nil)
	}
	go r.poll(c)
	return c
}

// wait blocks until the poll ends or maxPollWait after it started,
// whichever is first.
func (c *pollCall) wait() {
	left := maxPollWait - time.Since(c.started)
	if left <= 0 {
		return
	}
	t := time.NewTimer(left)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
	}
}

// poll reads new revocations and publishes a new set. A failed poll keeps
// the old set and backs off: a database fault must not stop verification.
func (r *revocations) poll(c *pollCall) {
	r.pushed.Store(false)
	defer func() {
		r.inflight.Store(nil)
		close(c.done)
		if r.pushed.Load() {
			r.startPoll(r.now())
		}
	}()
	now := r.now()
	r.mu.Lock()
	since := r.lastSince
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
	revs, err := r.log.RevocationsSince(ctx, since.Add(-revocationOverlap), now)
	cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.failures++
		backoff := r.interval
		for i := 1; i < r.failures && backoff < maxPollBackoff; i++ {
			backoff *= 2
		}
		backoff = min(backoff, maxPollBackoff)
		r.retryAt.Store(r.now().Add(backoff).UnixNano())
		r.onError(err)
		return
	}
	r.failures = 0
	r.retryAt.Store(0)
	r.publish(revs, now, true)
	if now.After(r.lastSince) {
		r.lastSince = now
	}
}

// watch runs for the life of the store: when the store can push (Postgres
// LISTEN/NOTIFY), every revocation any instance announces starts a poll at
// once, instead of at the first verify after the interval. Polling stays
// as it is: it covers a push connection that is down, and stores that
// cannot push.
func (r *revocations) watch(logger *slog.Logger) {
	err := r.log.WatchRevocations(context.Background(), r.announced)
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		logger.Debug("ginsession: the store cannot push revocations; polling only", "interval", r.interval)
	case errors.Is(err, store.ErrClosed):
	default:
		logger.Warn("ginsession: revocation push stopped; polling only", "err", err)
	}
}

// announced is the store's push: poll now (at most one poll runs; one
// already running is followed by another).
func (r *revocations) announced() {
	r.pushed.Store(true)
	r.startPoll(r.now())
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
	r.mu.Lock()
	r.publish(revs, now, false)
	r.mu.Unlock()
	if err := r.log.AddRevocations(ctx, revs); err != nil {
		return errors.Join(errors.New("ginsession: announcing a revocation to other instances failed"), err)
	}
	return nil
}

// publish builds the next set: the old one without expired entries, plus
// revs. Caller holds mu.
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
		if !now.Before(rv.ExpiresAt) {
			continue
		}
		if _, known := handles[rv.Handle]; !known && polled && r.learned != nil && !rv.RevokedAt.Before(r.started) {
			// Another instance's revocation, new to this one (its own are
			// published before they are written, so they are known).
			r.learned(now.Sub(rv.RevokedAt))
		}
		handles[rv.Handle] = rv.ExpiresAt
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
