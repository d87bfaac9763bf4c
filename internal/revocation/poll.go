package revocation

import (
	"context"
	"time"
)

// How the set keeps up with the log without the verify path waiting on the
// database:
//   - at most one poll is in flight, whatever the number of lookups
//     (startPoll);
//   - a lookup waits for it only when the set is older than twice the
//     interval (after an idle period, so that staleness stays bounded), and
//     then only until maxPollWait after the poll started: a healthy database
//     answers well within it, a hung one is not waited for (decide, wait);
//   - a failed poll backs off (the interval, doubling up to maxPollBackoff)
//     before the next one starts, and leaves the set as it was (backoff);
//   - a push from the store starts a poll at once (Watch).

const (
	// revocationOverlap re-reads a margin of recent revocations on every
	// poll, so rows committed late, or stamped by an instance whose clock
	// is behind, are not missed: a row carries the revoking instance's
	// clock and the window the polling instance's. It covers the clock
	// difference SECURITY.md allows between instances (one minute) plus
	// 30 s for late commits. Duplicates are harmless; the cost is one
	// re-read of the last 90 s of revocations per poll.
	revocationOverlap = time.Minute + 30*time.Second
	// maxPollWait bounds how long a lookup waits for a poll it needs.
	maxPollWait = 5 * time.Millisecond
	// pollTimeout bounds one poll.
	pollTimeout = 2 * time.Second
	// maxPollBackoff caps the pause after failed polls.
	maxPollBackoff = 5 * time.Second
)

// pollCall is one poll in flight; done is closed when it ends.
type pollCall struct {
	done    chan struct{}
	started time.Time // monotonic wall time, for maxPollWait
}

// decide says what a lookup does with a set last polled age ago: start a
// poll (older than the interval) and wait for it (older than twice the
// interval). A pure function, small enough to be inlined into the verify
// path.
func decide(age, interval time.Duration) (poll, wait bool) {
	return age > interval, age > 2*interval
}

// startPoll returns the poll in flight, starting one unless a failed poll's
// backoff is running (then nil: nothing to wait for).
func (r *Set) startPoll(now time.Time) *pollCall {
	if c := r.inflight.Load(); c != nil {
		return c
	}
	if now.UnixNano() < r.retryAt.Load() {
		return nil
	}
	c := &pollCall{done: make(chan struct{}), started: time.Now()}
	if !r.inflight.CompareAndSwap(nil, c) {
		return r.inflight.Load() // another lookup started one (or it just ended: nil)
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
func (r *Set) poll(c *pollCall) {
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
		r.retryAt.Store(r.now().Add(backoff(r.interval, r.failures)).UnixNano())
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

// backoff is the pause after the failures-th failed poll in a row: the
// interval, doubling with each further failure, at most maxPollBackoff.
func backoff(interval time.Duration, failures int) time.Duration {
	d := interval
	for i := 1; i < failures && d < maxPollBackoff; i++ {
		d *= 2
	}
	return min(d, maxPollBackoff)
}

// Watch runs the store's push (Options.Watch) until it stops and returns
// why (ErrNoPush at once when there is none): every revocation any
// instance announces starts a poll at once, instead of at the first lookup
// after the interval. Polling stays as it is: it covers a push connection
// that is down, and stores that cannot push.
func (r *Set) Watch(ctx context.Context) error {
	if r.watch == nil {
		return ErrNoPush
	}
	return r.watch(ctx, r.announced)
}

// announced is the store's push: poll now (at most one poll runs; one
// already running is followed by another).
func (r *Set) announced() {
	r.pushed.Store(true)
	r.startPoll(r.now())
}
