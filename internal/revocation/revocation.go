// Package revocation propagates revoked session handles between the
// instances of an app: a set in memory that the verify path reads on every
// request, fed by this instance's own revocations at once and by the other
// instances' through a shared revocation log, polled (and, where the store
// can push, woken by the push).
//
// It knows nothing of HTTP or of the engine: it takes the log, the clock,
// the poll interval and the access-token lifetime (Options), and answers
// whether a handle is revoked. The engine decides what a revocation means
// (hooks, metrics, logging).
package revocation

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ginsession/ginsession/store"
)

// Log is the revocation log the instances share: the store contract's
// revocation concern (store.RevocationLog says each method's guarantees).
type Log = store.RevocationLog

// Options is what a Set needs; Log, Interval, TTL and Now are required.
type Options struct {
	Log Log
	// Interval is the poll interval: a revocation made elsewhere is
	// refused here within about Interval.
	Interval time.Duration
	// TTL is the access tokens' lifetime: a revocation must last as long
	// as the tokens it refuses, and a new set reads back that far.
	TTL time.Duration
	Now func() time.Time
	// OnError, when set, is told of each failed poll (the set is kept as
	// it was and the next poll backs off).
	OnError func(error)
	// Learned, when set, is told how late this instance learned of each
	// revocation another instance made after this one started.
	Learned func(lag time.Duration)
	// Watch, when set, is the store's push: it calls notify whenever some
	// instance adds revocations, and returns when it stops (Set.Watch).
	// Nil when the store cannot push: polling alone then.
	Watch func(ctx context.Context, notify func()) error
}

// ErrNoPush is what Set.Watch returns when Options.Watch is nil.
var ErrNoPush = errors.New("revocation: the store cannot push revocations")

// Set holds the revocations this instance knows of, so a revoked
// session's access tokens fail everywhere within about Options.Interval,
// with no database read per request. A nil *Set holds nothing (propagation
// is off).
//
// It needs no goroutine of its own: a lookup that finds the set older than
// the poll interval starts one poll in the background (poll.go). The
// lookup never waits on the database beyond maxPollWait, so verification
// keeps working from memory while the database is slow, hung or down.
//
// Entries expire with the last access token of their session; memory is
// bounded by the number of sessions revoked within one TTL. Neither a
// revocation nor a poll copies the set or walks it: each costs in
// proportion to what it adds, and expired entries are removed a bounded
// number at a time, earliest first (publish, pruneBudget).
type Set struct {
	log      Log
	interval time.Duration
	ttl      time.Duration
	now      func() time.Time
	onError  func(error)
	learned  func(lag time.Duration)
	watch    func(ctx context.Context, notify func()) error
	started  time.Time

	// set is updated in place, never copied: anonymous visitors can fill
	// it (create an anonymous session, sign it out, repeat), so neither a
	// revocation nor a poll may cost in proportion to its size.
	set revokedSet
	// polledAt is when the last successful poll started (nil: none yet).
	// A time.Time, not a number, so that its age is read on the monotonic
	// clock (a wall clock stepped back must not stop the polls).
	polledAt atomic.Pointer[time.Time]
	inflight atomic.Pointer[pollCall] // the poll running now, if any
	// pushed is set when the store announced revocations (Watch) and
	// cleared when a poll starts: a push that arrives while a poll runs
	// gets a poll of its own after it.
	pushed  atomic.Bool
	retryAt atomic.Int64 // UnixNano before which no poll starts (backoff)

	mu sync.Mutex // serialises publishing (writes to set, expiries), lastSince and failures
	// expiries orders the set's entries by expiry, so pruning touches only
	// expired entries, a bounded number per publish (pruneBudget).
	expiries  expiryHeap
	lastSince time.Time
	failures  int
}

// New returns an empty set that will read the log back one TTL at its
// first poll.
func New(o Options) *Set {
	r := &Set{
		log: o.Log, interval: o.Interval, ttl: o.TTL, now: o.Now,
		onError: o.OnError, learned: o.Learned, watch: o.Watch,
	}
	if r.onError == nil {
		r.onError = func(error) {}
	}
	now := o.Now()
	r.started = now
	r.set.init()
	// Everything revoked within one access-token lifetime may still have
	// live tokens.
	r.lastSince = now.Add(-o.TTL)
	return r
}

// Contains reports whether handle is revoked, refreshing the set first
// when it is stale.
func (r *Set) Contains(handle string) bool {
	if r == nil {
		return false
	}
	return r.ContainsAt(handle, r.now())
}

// ContainsAt is Contains with the caller's reading of the clock.
func (r *Set) ContainsAt(handle string, now time.Time) bool {
	if r == nil {
		return false
	}
	age := time.Duration(math.MaxInt64) // never polled
	if p := r.polledAt.Load(); p != nil {
		age = now.Sub(*p)
	}
	if poll, wait := decide(age, r.interval); poll {
		if call := r.startPoll(now); call != nil && wait {
			call.wait()
		}
	}
	return r.set.contains(handle, now.UnixNano())
}

// Add records local revocations at once (this instance refuses them
// without waiting for a poll) and writes them for the other instances.
func (r *Set) Add(ctx context.Context, handles ...string) error {
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

// Len is the number of entries held, expired ones not yet pruned included.
func (r *Set) Len() int {
	if r == nil {
		return 0
	}
	return r.set.len()
}

// publish adds revs to the set (a revocation already held keeps the later
// of its two expiries), removes at most pruneBudget expired entries and,
// for a poll, marks the set fresh. It costs in proportion to len(revs)
// (each a map write and a push on the expiry heap, logarithmic in its
// size), never to the size of the set. Caller holds mu.
func (r *Set) publish(revs []store.Revocation, now time.Time, polled bool) {
	at := now.UnixNano()
	for _, rv := range revs {
		exp := rv.ExpiresAt.UnixNano()
		if exp <= at {
			continue
		}
		live, later := r.set.put(rv.Handle, exp, at)
		if later {
			r.expiries.push(expiry{at: exp, handle: rv.Handle})
		}
		if !live && polled && r.learned != nil && !rv.RevokedAt.Before(r.started) {
			// Another instance's revocation, new to this one (its own are
			// published before they are written, so they are known).
			r.learned(now.Sub(rv.RevokedAt))
		}
	}
	r.prune(at, pruneBudget(len(revs), polled))
	if polled {
		// After the entries: a lookup that sees the set fresh sees them.
		// (A copy made here, so that only polls allocate it.)
		polledAt := now
		r.polledAt.Store(&polledAt)
	}
}

// pruneBudget is how many expired entries one publish may remove: two per
// revocation it adds, so that the entries awaiting removal cannot pile up
// however fast revocations come (each one added pays for removing up to
// two that expired), plus pollPruneBatch per poll, which clears what
// expires while nothing is revoked. Expired entries left for later are
// harmless: contains compares the expiry. Memory stays bounded by about the
// sessions revoked within one TTL, as when every publish pruned all (and
// shrinks back after a burst: revokedShard.peak).
func pruneBudget(added int, polled bool) int {
	n := 2 * added
	if polled {
		n += pollPruneBatch
	}
	return n
}

// pollPruneBatch is how many expired entries a poll removes at most,
// besides the two per revocation it publishes (pruneBudget).
const pollPruneBatch = 1024

// prune removes up to budget expired entries, earliest expiry first. An
// expiry whose handle was revoked again later (a later expiry was pushed
// too) only leaves the heap. Caller holds mu.
func (r *Set) prune(at int64, budget int) {
	for ; budget > 0 && len(r.expiries) > 0 && r.expiries[0].at <= at; budget-- {
		e := r.expiries.pop()
		r.set.removeExpired(e.handle, at)
	}
}
