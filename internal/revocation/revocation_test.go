package revocation

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

// Issue 21 item 3: anonymous visitors can fill the set of revoked handles
// (create an anonymous session, sign it out, repeat), so neither a local
// revocation nor a poll may cost in proportion to the set. These tests
// count allocations rather than time: a copy of a map of n entries
// allocates in proportion to n (the old set copied itself on every
// revocation and on every poll that read anything), an insert into a
// shared one does not.

// revocationLog is a revocation log in memory: next is what the next
// RevocationsSince answers (consumed), AddRevocations is counted.
type revocationLog struct {
	mu    sync.Mutex
	next  []store.Revocation
	added int
}

func (l *revocationLog) AddRevocations(_ context.Context, revs []store.Revocation) error {
	l.mu.Lock()
	l.added += len(revs)
	l.mu.Unlock()
	return nil
}

func (l *revocationLog) RevocationsSince(context.Context, time.Time, time.Time) ([]store.Revocation, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.next
	l.next = nil
	return out, nil
}

// revocationsHolding returns a revocation set on log that holds n
// revocations read by one poll, and the handles it holds.
func revocationsHolding(tb testing.TB, log *revocationLog, n int, now func() time.Time) (*Set, []string) {
	tb.Helper()
	r := New(Options{Log: log, Interval: time.Second, TTL: time.Hour, Now: now})
	at := now()
	handles := make([]string, n)
	revs := make([]store.Revocation, n)
	for i := range revs {
		handles[i] = fmt.Sprintf("existing-%08d", i)
		revs[i] = store.Revocation{Handle: handles[i], RevokedAt: at.Add(-time.Minute), ExpiresAt: at.Add(time.Hour)}
	}
	log.next = revs
	r.poll(&pollCall{done: make(chan struct{})})
	if got := r.Len(); got != n {
		tb.Fatalf("the set holds %d revocations after the first poll, want %d", got, n)
	}
	return r, handles
}

// revocationAllocs measures, on a set of n revocations, the allocations of
// one local revocation (add) and of one poll that reads a revocation
// another instance made plus the overlap re-read of ones already known.
func revocationAllocs(t *testing.T, n int) (add, poll float64) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	log := &revocationLog{}
	r, existing := revocationsHolding(t, log, n, now)
	const runs = 200
	ctx := context.Background()

	// Handles and poll answers are made before counting: only the set's
	// own work is measured. AllocsPerRun calls f runs+1 times.
	local := make([]string, runs+1)
	remote := make([][]store.Revocation, runs+1)
	calls := make([]*pollCall, runs+1)
	for i := range local {
		local[i] = fmt.Sprintf("local-%08d", i)
		remote[i] = []store.Revocation{
			{Handle: existing[len(existing)-1], RevokedAt: at.Add(-time.Minute), ExpiresAt: at.Add(time.Hour)},
			{Handle: fmt.Sprintf("remote-%08d", i), RevokedAt: at.Add(-time.Second), ExpiresAt: at.Add(time.Hour)},
		}
		calls[i] = &pollCall{done: make(chan struct{})}
	}
	i := 0
	add = testing.AllocsPerRun(runs, func() {
		if err := r.Add(ctx, local[i]); err != nil {
			t.Fatal(err)
		}
		i++
	})
	i = 0
	poll = testing.AllocsPerRun(runs, func() {
		log.next = remote[i]
		r.poll(calls[i])
		i++
	})
	for _, h := range []string{existing[0], local[runs], remote[runs][1].Handle} {
		if !r.ContainsAt(h, at) {
			t.Fatalf("%s is not refused after the measured revocations", h)
		}
	}
	if log.added != runs+1 {
		t.Fatalf("%d revocations written to the log, want %d", log.added, runs+1)
	}
	if want := n + 2*(runs+1); r.Len() != want {
		t.Fatalf("the set holds %d revocations, want %d", r.Len(), want)
	}
	return add, poll
}

// TestRevocationSetIsNotCopied: adding one revocation, locally or by a
// poll, allocates a few objects whether the set holds 1 000 or 100 000
// revocations. Before the set was sharded, both copied the whole map
// (hundreds of allocations at 100 000 entries, growing with the set).
func TestRevocationSetIsNotCopied(t *testing.T) {
	add1k, poll1k := revocationAllocs(t, 1000)
	add100k, poll100k := revocationAllocs(t, 100000)
	t.Logf("allocations per local revocation: %v at 1 000 entries, %v at 100 000; per poll: %v, %v", add1k, add100k, poll1k, poll100k)
	// add: the []store.Revocation it writes to the log. A poll: its
	// context with a timeout and the time it marks the set fresh with. The
	// bounds leave room for amortised growth of the shared structures, not
	// for a copy.
	const maxAdd, maxPoll = 2, 8
	if add100k > maxAdd || add100k > add1k+1 {
		t.Errorf("a local revocation allocates %v objects at 100 000 entries (%v at 1 000), want at most %d and at most one more than at 1 000: the set is copied", add100k, add1k, maxAdd)
	}
	if poll100k > maxPoll || poll100k > poll1k+1 {
		t.Errorf("a poll allocates %v objects at 100 000 entries (%v at 1 000), want at most %d and at most one more than at 1 000: the set is copied", poll100k, poll1k, maxPoll)
	}
}

// TestRevocationLearnedOnce: the learned-lag metric hears of a revocation
// another instance made once, however often the overlap re-reads it, and
// never of this instance's own.
func TestRevocationLearnedOnce(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	log := &revocationLog{}
	r, _ := revocationsHolding(t, log, 0, now)
	var lags []time.Duration
	r.learned = func(lag time.Duration) { lags = append(lags, lag) }
	if err := r.Add(context.Background(), "own"); err != nil {
		t.Fatal(err)
	}
	at = at.Add(time.Second)
	remote := store.Revocation{Handle: "remote", RevokedAt: at.Add(-300 * time.Millisecond), ExpiresAt: at.Add(time.Hour)}
	own := store.Revocation{Handle: "own", RevokedAt: at.Add(-time.Second), ExpiresAt: at.Add(time.Hour)}
	for range 3 {
		log.next = []store.Revocation{own, remote}
		r.poll(&pollCall{done: make(chan struct{})})
	}
	if len(lags) != 1 || lags[0] != 300*time.Millisecond {
		t.Fatalf("learned %v, want one lag of 300ms", lags)
	}
}

// TestRevocationSetConcurrent (run it with -race): verifies read the set
// while revocations and polls write it.
func TestRevocationSetConcurrent(t *testing.T) {
	var mu sync.Mutex
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return at }
	log := &revocationLog{}
	r, handles := revocationsHolding(t, log, 1000, now)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if !r.Contains(handles[(i*7+g)%len(handles)]) {
					t.Error("a revoked handle is not refused")
					return
				}
				r.Contains(fmt.Sprintf("other-%d", i))
			}
		})
	}
	for i := range 2000 {
		if err := r.Add(context.Background(), fmt.Sprintf("local-%d", i)); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			log.mu.Lock()
			log.next = []store.Revocation{{Handle: fmt.Sprintf("remote-%d", i), RevokedAt: at, ExpiresAt: at.Add(time.Minute)}}
			log.mu.Unlock()
			mu.Lock()
			at = at.Add(time.Second)
			mu.Unlock()
			r.announced() // a push: a poll in the background
		}
	}
	close(stop)
	wg.Wait()
	for r.inflight.Load() != nil {
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkRevocationSet: one local revocation (add, the store write a
// no-op) and one lookup, on sets of 1 000 and 100 000 revocations.
//
// The add rows run in a steady state, as under a constant stream of
// revocations: the seeded entries expire one op apart and the clock moves
// on by one such step per op, so each op's revocation comes as an old one
// expires (and is pruned) and the set holds `existing` entries throughout.
func BenchmarkRevocationSet(b *testing.B) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("add/existing=%d", n), func(b *testing.B) {
			at := t0
			now := func() time.Time { return at }
			r, _ := revocationsHolding(b, &revocationLog{}, 0, now)
			// A revocation added at the clock's k-th step expires at step
			// k+n: the seeded ones are those of steps 1-n .. 0.
			step := (r.ttl + time.Minute) / time.Duration(n)
			seeded := make([]store.Revocation, n)
			for i := range seeded {
				exp := t0.Add(time.Duration(i+1) * step)
				seeded[i] = store.Revocation{Handle: fmt.Sprintf("existing-%08d", i), RevokedAt: exp.Add(-r.ttl - time.Minute), ExpiresAt: exp}
			}
			r.log.(*revocationLog).next = seeded
			r.poll(&pollCall{done: make(chan struct{})})
			handles := make([]string, b.N)
			for i := range handles {
				handles[i] = fmt.Sprintf("local-%08d", i)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				at = t0.Add(time.Duration(i+1) * step)
				if err := r.Add(ctx, handles[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if r.Len() != n {
				b.Fatalf("the set holds %d entries after %d ops, want %d", r.Len(), b.N, n)
			}
		})
		b.Run(fmt.Sprintf("contains/existing=%d", n), func(b *testing.B) {
			now := func() time.Time { return t0 }
			r, handles := revocationsHolding(b, &revocationLog{}, n, now)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if !r.ContainsAt(handles[i%len(handles)], t0) {
					b.Fatal("not refused")
				}
			}
		})
	}
}
