package revocation

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

// Pruning of the set of revoked handles (revocation.go: publish, prune),
// on the in-memory revocation log of revocation_test.go.

// TestRevocationSetPrunesExpired: expired entries are refused no more at
// once, and removed a bounded number at a time, earliest first: a poll
// removes pollPruneBatch, a revocation two more; entries not expired stay.
// (It reads the set itself: containsAt would start polls of its own.)
func TestRevocationSetPrunesExpired(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	log := &revocationLog{}
	const n = 3000
	r, handles := revocationsHolding(t, log, n, now) // all expire at +1h
	later := at.Add(3 * time.Hour)
	log.next = []store.Revocation{{Handle: "lasting", RevokedAt: at, ExpiresAt: later}}
	r.poll(&pollCall{done: make(chan struct{})})

	at = at.Add(2 * time.Hour)
	if r.set.contains(handles[0], at.UnixNano()) || !r.set.contains("lasting", at.UnixNano()) {
		t.Fatal("an expired entry is refused, or a live one is not")
	}
	r.poll(&pollCall{done: make(chan struct{})}) // nothing new
	if got, want := r.Len(), n+1-pollPruneBatch; got != want {
		t.Fatalf("after one poll the set holds %d entries, want %d", got, want)
	}
	if err := r.Add(context.Background(), "local"); err != nil {
		t.Fatal(err)
	}
	if got, want := r.Len(), n+2-pollPruneBatch-2; got != want {
		t.Fatalf("after one revocation the set holds %d entries, want %d", got, want)
	}
	for range n / pollPruneBatch {
		r.poll(&pollCall{done: make(chan struct{})})
	}
	if got := r.Len(); got != 2 {
		t.Fatalf("the set holds %d entries once the expired are pruned, want 2", got)
	}
	if !r.set.contains("lasting", at.UnixNano()) || !r.set.contains("local", at.UnixNano()) {
		t.Fatal("a live entry was pruned")
	}
	if len(r.expiries) != 2 {
		t.Fatalf("%d expiries queued for 2 entries", len(r.expiries))
	}
}

// TestRevocationSetKeepsTheLaterExpiry: a handle revoked again keeps the
// later of its expiries (a poll's re-read of a row may not shorten it), and
// the earlier one left in the queue does not remove it.
func TestRevocationSetKeepsTheLaterExpiry(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	log := &revocationLog{}
	r, _ := revocationsHolding(t, log, 0, now)
	for _, exp := range []time.Duration{time.Hour, 3 * time.Hour, 2 * time.Hour} {
		log.next = []store.Revocation{{Handle: "h", RevokedAt: at, ExpiresAt: at.Add(exp)}}
		r.poll(&pollCall{done: make(chan struct{})})
	}
	at = at.Add(150 * time.Minute)
	r.poll(&pollCall{done: make(chan struct{})})
	if !r.set.contains("h", at.UnixNano()) || r.Len() != 1 {
		t.Fatalf("the handle revoked until +3h is gone at +2h30 (held: %d)", r.Len())
	}
	at = at.Add(time.Hour)
	r.poll(&pollCall{done: make(chan struct{})})
	if r.set.contains("h", at.UnixNano()) || r.Len() != 0 || len(r.expiries) != 0 {
		t.Fatalf("past its last expiry the handle is held (%d entries, %d queued)", r.Len(), len(r.expiries))
	}
}

// TestRevocationSetShrinks: after a burst of revocations has expired and
// been pruned, the shards' maps and the expiry queue are moved to smaller
// ones (a Go map keeps its memory when entries are deleted), and what is
// still live survives the moves.
func TestRevocationSetShrinks(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	log := &revocationLog{}
	const burst = 100000 // about 1 560 per shard, past minShrink
	r, _ := revocationsHolding(t, log, burst, now)
	var lasting []store.Revocation
	for i := range 50 {
		lasting = append(lasting, store.Revocation{Handle: fmt.Sprintf("lasting-%d", i), RevokedAt: at, ExpiresAt: at.Add(5 * time.Hour)})
	}
	log.next = lasting
	r.poll(&pollCall{done: make(chan struct{})})
	peak := 0
	for i := range r.set.shards {
		peak = max(peak, r.set.shards[i].peak)
	}
	if peak < minShrink {
		t.Fatalf("the largest shard peaked at %d entries: the burst is too small for this test", peak)
	}

	at = at.Add(2 * time.Hour)
	for r.Len() > len(lasting) {
		r.poll(&pollCall{done: make(chan struct{})})
	}
	for i := range r.set.shards {
		if sh := &r.set.shards[i]; sh.peak >= minShrink || sh.peak < len(sh.handles) {
			t.Fatalf("shard %d: peak %d with %d entries, want it moved to a map for what it holds", i, sh.peak, len(sh.handles))
		}
	}
	if len(r.expiries) != len(lasting) || cap(r.expiries) >= 2*minShrink {
		t.Fatalf("the expiry queue holds %d with room for %d, want %d in a smaller array", len(r.expiries), cap(r.expiries), len(lasting))
	}
	for _, rv := range lasting {
		if !r.set.contains(rv.Handle, at.UnixNano()) {
			t.Fatalf("%s was lost moving the set", rv.Handle)
		}
	}
}
