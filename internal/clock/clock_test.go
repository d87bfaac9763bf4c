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
	b.Run("clock.Coarse", func(b *testing.B) {
		for b.Loop() {
			Coarse()
		}
	})
	b.Run("time.Now", func(b *testing.B) {
		for b.Loop() {
			time.Now()
		}
	})
}

// TestCoarseFollowsNow: a Coarse reading is never ahead of the clock and
// never behind it by more than a few ticks (a loaded test machine may keep
// the ticking goroutine waiting; 50 ticks is far beyond any tick of a
// working process, and far below the second that expiries are given in).
func TestCoarseFollowsNow(t *testing.T) {
	deadline := time.Now().Add(300 * time.Millisecond)
	for n := 0; time.Now().Before(deadline); n++ {
		got := Coarse()
		after := time.Now()
		if got.After(after) {
			t.Fatalf("reading %d: Coarse() = %v is after time.Now() = %v", n, got, after)
		}
		if lag := after.Sub(got); lag > 50*Tick {
			t.Fatalf("reading %d: Coarse() is %v behind", n, lag)
		}
		time.Sleep(Tick / 4)
	}
}

// TestCoarseParks: unused for parkAfter ticks, the ticking stops (no
// goroutine wakes an idle process); the next call answers at once with a
// fresh reading and starts it again.
func TestCoarseParks(t *testing.T) {
	Coarse()
	if !running.Load() {
		t.Fatal("Coarse did not start the ticking")
	}
	deadline := time.Now().Add(5 * time.Second)
	for running.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the ticking did not stop in 5 s without a call")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if coarse.Load() != nil {
		t.Fatal("parked, but a reading is left for callers to take")
	}
	time.Sleep(20 * time.Millisecond)
	before := time.Now()
	got := Coarse()
	if got.Before(before) {
		t.Fatalf("the first call after parking answered %v, older than %v", got, before)
	}
	if !running.Load() {
		t.Fatal("the first call after parking did not start the ticking again")
	}
}
