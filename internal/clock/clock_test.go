package clock

import (
	"testing"
	"time"
)

// TestNowFollowsTimeNow: every reading lies between two time.Now readings
// taken around it, by the wall clock and by the monotonic clock, across a
// rebase.
func TestNowFollowsTimeNow(t *testing.T) {
	deadline := time.Now().Add(Rebase + 300*time.Millisecond)
	n := 0
	for time.Now().Before(deadline) {
		before := time.Now()
		got := Now()
		after := time.Now()
		// Wall clock: the wall reading may lag a step by up to Rebase; with
		// no step during the test it lies in [before, after], give or take
		// what the two clocks may drift apart in Rebase (a millisecond is
		// twice the most NTP slews them).
		if got.Round(0).Before(before.Round(0).Add(-time.Millisecond)) || got.Round(0).After(after.Round(0).Add(time.Millisecond)) {
			t.Fatalf("wall: Now() = %v, outside [%v, %v]", got.Round(0), before.Round(0), after.Round(0))
		}
		// Monotonic clock: exact ordering.
		if got.Before(before) || got.After(after) {
			t.Fatalf("monotonic: Now() = %v, outside [%v, %v]", got, before, after)
		}
		n++
		time.Sleep(time.Millisecond)
	}
	if n < 100 {
		t.Fatalf("only %d readings in %v", n, Rebase)
	}
}

// TestNowRebases: the reading under Now is replaced once it is Rebase old.
func TestNowRebases(t *testing.T) {
	Now()
	first := base.Load()
	time.Sleep(Rebase + 50*time.Millisecond)
	Now()
	if base.Load() == first {
		t.Fatal("the base reading was not replaced after Rebase")
	}
}

func BenchmarkNow(b *testing.B) {
	b.Run("clock.Now", func(b *testing.B) {
		for b.Loop() {
			Now()
		}
	})
	b.Run("time.Now", func(b *testing.B) {
		for b.Loop() {
			time.Now()
		}
	})
}
