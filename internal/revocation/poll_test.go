package revocation

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

// The poll's decisions (poll.go), table by table: when a lookup starts a
// poll and when it waits for it, at most one poll in flight, the backoff
// after failures, and a push during a poll.

// TestDecide: a lookup polls once the set is older than the interval and
// waits for the poll once it is older than twice the interval (or was
// never polled: ContainsAt then passes the largest age).
func TestDecide(t *testing.T) {
	const interval = time.Second
	for _, tc := range []struct {
		name       string
		age        time.Duration
		poll, wait bool
	}{
		{"never polled", math.MaxInt64, true, true},
		{"just polled", 0, false, false},
		{"clock behind the poll", -time.Minute, false, false},
		{"at the interval", interval, false, false},
		{"past the interval", interval + time.Nanosecond, true, false},
		{"at twice the interval", 2 * interval, true, false},
		{"past twice the interval", 2*interval + time.Nanosecond, true, true},
		{"idle for an hour", time.Hour, true, true},
	} {
		if poll, wait := decide(tc.age, interval); poll != tc.poll || wait != tc.wait {
			t.Errorf("%s: poll %v, wait %v; want %v, %v", tc.name, poll, wait, tc.poll, tc.wait)
		}
	}
}

// TestBackoff: after the n-th failed poll in a row no poll starts for the
// interval, doubled n-1 times, at most maxPollBackoff.
func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		interval time.Duration
		failures int
		want     time.Duration
	}{
		{time.Second, 1, time.Second},
		{time.Second, 2, 2 * time.Second},
		{time.Second, 3, 4 * time.Second},
		{time.Second, 4, maxPollBackoff},
		{time.Second, 100, maxPollBackoff},
		{300 * time.Millisecond, 1, 300 * time.Millisecond},
		{300 * time.Millisecond, 4, 2400 * time.Millisecond},
		{300 * time.Millisecond, 5, 4800 * time.Millisecond},
		{300 * time.Millisecond, 6, maxPollBackoff},
		{time.Minute, 1, maxPollBackoff}, // an interval past the cap is capped too
	} {
		if got := backoff(tc.interval, tc.failures); got != tc.want {
			t.Errorf("backoff(%v, %d) = %v, want %v", tc.interval, tc.failures, got, tc.want)
		}
	}
}

// gatedLog is a revocation log whose RevocationsSince waits for gate (a
// hung database) when gate is set, and answers err or next.
type gatedLog struct {
	mu    sync.Mutex
	calls int
	gate  chan struct{}
	err   error
	next  []store.Revocation
}

func (l *gatedLog) AddRevocations(context.Context, []store.Revocation) error { return nil }

func (l *gatedLog) RevocationsSince(ctx context.Context, _, _ time.Time) ([]store.Revocation, error) {
	l.mu.Lock()
	l.calls++
	gate, err, next := l.gate, l.err, l.next
	l.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return next, err
}

func (l *gatedLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls
}

// reading waits until n polls have read the log (a poll runs in a
// goroutine of its own).
func reading(t *testing.T, log *gatedLog, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for log.count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d polls read the log after 10s, want %d", log.count(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// settle waits until no poll is in flight.
func settle(t *testing.T, r *Set) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.inflight.Load() != nil {
		if time.Now().After(deadline) {
			t.Fatal("a poll is still in flight after 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestStartPoll: at most one poll in flight, and none during a backoff.
func TestStartPoll(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		inflight bool          // a poll is running already
		retryIn  time.Duration // backoff left (<= 0: none)
		started  bool          // a new poll starts
		none     bool          // startPoll answers nil: nothing to wait for
	}{
		{"idle", false, 0, true, false},
		{"one in flight", true, 0, false, false},
		{"in flight during a backoff", true, time.Second, false, false},
		{"backoff running", false, time.Second, false, true},
		{"backoff over", false, -time.Nanosecond, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gate := make(chan struct{})
			log := &gatedLog{gate: gate}
			r := New(Options{Log: log, Interval: time.Second, TTL: time.Hour, Now: func() time.Time { return now }})
			var running *pollCall
			if tc.inflight {
				running = r.startPoll(now)
			}
			if tc.retryIn != 0 {
				r.retryAt.Store(now.Add(tc.retryIn).UnixNano())
			}
			c := r.startPoll(now)
			if got := c == nil; got != tc.none {
				t.Fatalf("startPoll answered %v, want nil: %v", c, tc.none)
			}
			if running != nil && c != running {
				t.Fatal("a second poll started while one was in flight")
			}
			close(gate)
			settle(t, r)
			want := 0
			if tc.inflight {
				want++
			}
			if tc.started {
				want++
			}
			if got := log.count(); got != want {
				t.Fatalf("%d polls read the log, want %d", got, want)
			}
		})
	}
}

// TestPollFailureBacksOff: a failed poll keeps the set and its age, is
// reported, and holds the next poll back by backoff; a success ends the
// backoff.
func TestPollFailureBacksOff(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	down := errors.New("database down")
	log := &gatedLog{next: []store.Revocation{{Handle: "h", RevokedAt: at, ExpiresAt: at.Add(time.Hour)}}}
	var reported []error
	r := New(Options{Log: log, Interval: time.Second, TTL: time.Hour, Now: now, OnError: func(err error) { reported = append(reported, err) }})
	r.poll(&pollCall{done: make(chan struct{})})
	polledAt := *r.polledAt.Load()

	log.mu.Lock()
	log.err, log.next = down, nil
	log.mu.Unlock()
	for n := 1; n <= 5; n++ {
		at = at.Add(time.Second)
		r.poll(&pollCall{done: make(chan struct{})})
		if len(reported) != n || !errors.Is(reported[n-1], down) {
			t.Fatalf("after %d failures %d reported (%v)", n, len(reported), reported)
		}
		if got, want := time.Duration(r.retryAt.Load()-at.UnixNano()), backoff(time.Second, n); got != want {
			t.Fatalf("after %d failures no poll for %v, want %v", n, got, want)
		}
		if r.startPoll(at) != nil {
			t.Fatalf("a poll started during the backoff after %d failures", n)
		}
		if !r.set.contains("h", at.UnixNano()) || !r.polledAt.Load().Equal(polledAt) {
			t.Fatalf("failure %d changed the set or its age", n)
		}
	}

	log.mu.Lock()
	log.err = nil
	log.mu.Unlock()
	r.poll(&pollCall{done: make(chan struct{})})
	if r.retryAt.Load() != 0 || r.failures != 0 || !r.polledAt.Load().Equal(at) {
		t.Fatalf("a successful poll left retryAt %d, failures %d, polledAt %v", r.retryAt.Load(), r.failures, r.polledAt.Load())
	}
}

// TestLookupDoesNotWaitForAHungLog: a lookup on a stale set waits for the
// poll it starts at most about maxPollWait, and one on a set less than two
// intervals old not at all; either answers from memory.
func TestLookupDoesNotWaitForAHungLog(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		age  time.Duration
	}{
		{"never polled", -1},
		{"stale", time.Hour},
		{"due", 1500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gate := make(chan struct{})
			log := &gatedLog{gate: gate}
			r := New(Options{Log: log, Interval: time.Second, TTL: time.Hour, Now: func() time.Time { return at }})
			if err := r.Add(context.Background(), "h"); err != nil {
				t.Fatal(err)
			}
			if tc.age >= 0 {
				polledAt := at.Add(-tc.age)
				r.polledAt.Store(&polledAt)
			}
			start := time.Now()
			if !r.ContainsAt("h", at) || r.ContainsAt("other", at) {
				t.Fatal("the lookup answered wrong while the log hangs")
			}
			// Generous: the bound is maxPollWait (5ms); a loaded machine
			// may be slow to wake the lookup, never a full second.
			if took := time.Since(start); took > time.Second {
				t.Fatalf("two lookups took %v while the log hangs", took)
			}
			reading(t, log, 1)
			close(gate)
			settle(t, r)
			if log.count() != 1 {
				t.Fatalf("%d polls started, want 1", log.count())
			}
		})
	}
}

// TestPushDuringPoll: a push that arrives while a poll reads the log gets a
// poll of its own after it (the running one may have read before the
// pushed revocation was written); a push when idle starts one at once.
// (Pushes before the poll starts reading are its own: it clears pushed.)
func TestPushDuringPoll(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	gate := make(chan struct{})
	log := &gatedLog{gate: gate}
	r := New(Options{Log: log, Interval: time.Minute, TTL: time.Hour, Now: func() time.Time { return at }})
	r.announced() // idle: a poll at once
	reading(t, log, 1)
	r.announced() // during it: one more after it
	r.announced() // still during it: the same one more
	close(gate)
	settle(t, r)
	if got := log.count(); got != 2 {
		t.Fatalf("%d polls for three pushes, two during the first poll; want 2", got)
	}
}

// TestWatch: the push given in Options is run with the set's notify, and
// its end is returned; without one, Watch answers ErrNoPush.
func TestWatch(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	if err := New(Options{Log: &gatedLog{}, Interval: time.Second, TTL: time.Hour, Now: now}).Watch(context.Background()); !errors.Is(err, ErrNoPush) {
		t.Fatalf("Watch without a push = %v, want ErrNoPush", err)
	}
	log := &gatedLog{next: []store.Revocation{{Handle: "remote", RevokedAt: at, ExpiresAt: at.Add(time.Hour)}}}
	stopped := errors.New("stopped")
	r := New(Options{Log: log, Interval: time.Minute, TTL: time.Hour, Now: now, Watch: func(_ context.Context, notify func()) error {
		notify()
		return stopped
	}})
	if err := r.Watch(context.Background()); !errors.Is(err, stopped) {
		t.Fatalf("Watch = %v, want the push's own end", err)
	}
	settle(t, r)
	if log.count() != 1 || !r.set.contains("remote", at.UnixNano()) {
		t.Fatalf("the push led to %d polls, want 1 that read the revocation", log.count())
	}
}
