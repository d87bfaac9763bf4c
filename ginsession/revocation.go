package ginsession

import (
	"context"
	"errors"
	"hash/maphash"
	"log/slog"
	"math"
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
//     before the next one starts, and leaves the set as it was.
//
// Entries expire with the last access token of their session; memory is
// bounded by the number of sessions revoked within one AccessTokenTTL.
// Neither a revocation nor a poll copies the set or walks it: each costs in
// proportion to what it adds, and expired entries are removed a bounded
// number at a time, earliest first (publish, pruneBudget).
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

	// set is updated in place, never copied: anonymous visitors can fill
	// it (create an anonymous session, sign it out, repeat), so neither a
	// revocation nor a poll may cost in proportion to its size.
	set revokedSet
	// polledAt is when the last successful poll started (nil: none yet).
	// A time.Time, not a number, so that its age is read on the monotonic
	// clock (a wall clock stepped back must not stop the polls).
	polledAt atomic.Pointer[time.Time]
	inflight atomic.Pointer[pollCall] // the poll running now, if any
	// pushed is set when the store announced revocations (watch) and
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

// pollCall is one poll in flight; done is closed when it ends.
type pollCall struct {
	done    chan struct{}
	started time.Time // monotonic wall time, for maxPollWait
}

const (
	// revocationOverlap re-reads a margin of recent revocations on every
	// poll, so rows committed late, or stamped by an instance whose clock
	// is behind, are not missed: a row carries the revoking instance's
	// clock and the window the polling instance's. It covers the clock
	// difference SECURITY.md allows between instances (one minute) plus
	// 30 s for late commits. Duplicates are harmless; the cost is one
	// re-read of the last 90 s of revocations per poll.
	revocationOverlap = time.Minute + 30*time.Second
	// maxPollWait bounds how long a verify waits for a poll it needs.
	maxPollWait = 5 * time.Millisecond
	// pollTimeout bounds one poll.
	pollTimeout = 2 * time.Second
	// maxPollBackoff caps the pause after failed polls.
	maxPollBackoff = 5 * time.Second
	// pollPruneBatch is how many expired entries a poll removes at most,
	// besides the two per revocation it publishes (pruneBudget).
	pollPruneBatch = 1024
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
	r.set.init()
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
	age := time.Duration(math.MaxInt64) // never polled
	if p := r.polledAt.Load(); p != nil {
		age = now.Sub(*p)
	}
	if age > r.interval {
		if call := r.startPoll(now); call != nil && age > 2*r.interval {
			call.wait()
		}
	}
	return r.set.contains(handle, now.UnixNano())
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

// poll reads new revocations and adds them to the set. A failed poll keeps
// the set as it is and backs off: a database fault must not stop verification.
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

// watch runs for the life of the store when it can push (w, found by New:
// Postgres LISTEN/NOTIFY): every revocation any instance announces starts
// a poll at once, instead of at the first verify after the interval.
// Polling stays as it is: it covers a push connection that is down.
func (r *revocations) watch(w store.RevocationWatcher, logger *slog.Logger) {
	err := w.WatchRevocations(context.Background(), r.announced)
	if !errors.Is(err, store.ErrClosed) {
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

// publish adds revs to the set (a revocation already held keeps the later
// of its two expiries), removes at most pruneBudget expired entries and,
// for a poll, marks the set fresh. It costs in proportion to len(revs)
// (each a map write and a push on the expiry heap, logarithmic in its
// size), never to the size of the set. Caller holds mu.
func (r *revocations) publish(revs []store.Revocation, now time.Time, polled bool) {
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
		// After the entries: a verify that sees the set fresh sees them.
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
// sessions revoked within one AccessTokenTTL, as when every publish pruned
// all (and shrinks back after a burst: revokedShard.peak).
func pruneBudget(added int, polled bool) int {
	n := 2 * added
	if polled {
		n += pollPruneBatch
	}
	return n
}

// prune removes up to budget expired entries, earliest expiry first. An
// expiry whose handle was revoked again later (a later expiry was pushed
// too) only leaves the heap. Caller holds mu.
func (r *revocations) prune(at int64, budget int) {
	for ; budget > 0 && len(r.expiries) > 0 && r.expiries[0].at <= at; budget-- {
		e := r.expiries.pop()
		r.set.removeExpired(e.handle, at)
	}
}

func (r *revocations) len() int {
	if r == nil {
		return 0
	}
	return r.set.len()
}

// revokedShards is the number of shards of a revokedSet: a verify waits
// for a revocation being written only when both fall in the same shard.
const revokedShards = 64

// revokedSet is the set of revoked handles, handle -> expiry (UnixNano),
// in shards of maps under read-write locks. It is updated in place: an
// insert into a Go map costs the same at any size (its tables split one at
// a time), where the former copy-on-write map cost a full copy per
// revocation (29 ms at 100 000 entries). A lookup takes one shard's read
// lock and allocates nothing. (sync.Map would box each string key into an
// interface, one allocation per verify.)
//
// Expiries are wall-clock instants compared with the verify's wall clock,
// as access tokens' exp is: a revocation must last as long as the tokens
// it refuses, by the same clock.
type revokedSet struct {
	seed   maphash.Seed
	size   atomic.Int64 // entries held, expired ones not yet pruned included
	shards [revokedShards]revokedShard
}

type revokedShard struct {
	mu      sync.RWMutex
	handles map[string]int64
	// peak is the most entries handles has held since it was made: a Go
	// map keeps its memory when entries are deleted, so once it holds a
	// quarter of that, removeExpired moves the survivors to a new map.
	// That copy is paid for by the deletions since the peak (three times
	// as many as it copies), and memory follows the entries held down
	// after a burst of revocations as well as up.
	peak int
	// Keeps one shard's lock off the cache line of the next: verifies on
	// other cores take other shards' read locks.
	_ [64]byte
}

func (s *revokedSet) init() {
	s.seed = maphash.MakeSeed()
	for i := range s.shards {
		s.shards[i].handles = map[string]int64{}
	}
}

func (s *revokedSet) shard(handle string) *revokedShard {
	return &s.shards[maphash.String(s.seed, handle)%revokedShards]
}

// contains reports whether handle is held and unexpired at at.
func (s *revokedSet) contains(handle string, at int64) bool {
	if s.size.Load() == 0 {
		return false // nothing revoked: no lock at all
	}
	sh := s.shard(handle)
	sh.mu.RLock()
	exp, ok := sh.handles[handle]
	sh.mu.RUnlock()
	return ok && at < exp
}

// put records handle until exp. live reports whether handle was already
// held unexpired at at; later whether exp was recorded (it is later than
// what was held, or handle is new), so the caller queues it for pruning.
func (s *revokedSet) put(handle string, exp, at int64) (live, later bool) {
	sh := s.shard(handle)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	old, ok := sh.handles[handle]
	if ok && old >= exp {
		return at < old, false
	}
	sh.handles[handle] = exp
	if !ok {
		s.size.Add(1)
		sh.peak = max(sh.peak, len(sh.handles))
	}
	return ok && at < old, true
}

// removeExpired deletes handle if its expiry is at or before at (a handle
// revoked again since keeps its later expiry).
func (s *revokedSet) removeExpired(handle string, at int64) {
	sh := s.shard(handle)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if exp, ok := sh.handles[handle]; ok && exp <= at {
		delete(sh.handles, handle)
		s.size.Add(-1)
		if n := len(sh.handles); sh.peak >= minShrink && n < sh.peak/4 {
			// Not maps.Clone: it may copy the tables as they are, sized
			// for the peak.
			handles := make(map[string]int64, n)
			for h, exp := range sh.handles {
				handles[h] = exp
			}
			sh.handles, sh.peak = handles, n
		}
	}
}

// minShrink is the peak below which a shard's map is never replaced (a
// small map's memory is not worth a copy).
const minShrink = 1024

func (s *revokedSet) len() int { return int(s.size.Load()) }

// expiry is one entry's expiry, queued for pruning.
type expiry struct {
	at     int64 // UnixNano
	handle string
}

// expiryHeap is a min-heap on at (container/heap would box every element
// it pushes and pops). Growing it is amortised (append doubles), and so is
// shrinking it: pop moves it to a smaller array once it fills a quarter of
// its own.
type expiryHeap []expiry

func (h *expiryHeap) push(e expiry) {
	*h = append(*h, e)
	q := *h
	for i := len(q) - 1; i > 0; {
		parent := (i - 1) / 2
		if q[parent].at <= q[i].at {
			break
		}
		q[parent], q[i] = q[i], q[parent]
		i = parent
	}
}

func (h *expiryHeap) pop() expiry {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = expiry{} // drop the handle for the GC
	q = q[:last]
	if cap(q) >= minShrink && len(q) < cap(q)/4 {
		q = append(make([]expiry, 0, 2*len(q)), q...)
	}
	for i := 0; ; {
		least, l, r := i, 2*i+1, 2*i+2
		if l < len(q) && q[l].at < q[least].at {
			least = l
		}
		if r < len(q) && q[r].at < q[least].at {
			least = r
		}
		if least == i {
			break
		}
		q[i], q[least] = q[least], q[i]
		i = least
	}
	*h = q
	return top
}
