package clock

import (
	"sync/atomic"
	"time"
)

// Tick is how often the reading Coarse returns advances while it is in use.
const Tick = 10 * time.Millisecond

// parkAfter is how many ticks (a second) without a Coarse call stop the
// ticking: an idle process has no goroutine waking a hundred times a second.
const parkAfter = 100

var (
	coarse  atomic.Pointer[time.Time] // the latest tick's reading; nil while parked
	wanted  atomic.Bool               // Coarse was called since the last tick
	running atomic.Bool               // a ticking goroutine exists
)

// Coarse returns the time as of the latest tick: one atomic load, where
// Now reads the clock (25 ns and more on a virtual machine). The seen-token
// verify path uses it; it only compares the answer with expiries given in
// whole seconds (access tokens) or minutes (revocations).
//
// While Coarse is in use a goroutine takes a reading every Tick, so the
// answer is behind Now by about a Tick, more while that goroutine waits for
// a CPU on a saturated machine. After parkAfter ticks without a call the
// goroutine stops; the next call reads Now itself and starts it again.
// Readings carry the monotonic clock like time.Now's.
func Coarse() time.Time {
	if t := coarse.Load(); t != nil {
		// A load before the store: the flag's cache line is written once
		// per tick, not by every request on every core.
		if !wanted.Load() {
			wanted.Store(true)
		}
		return *t
	}
	return wake()
}

// wake answers a Coarse call while parked, and starts the ticking.
func wake() time.Time {
	t := Now()
	if running.CompareAndSwap(false, true) {
		wanted.Store(true)
		coarse.Store(&t)
		go tick()
	}
	return t
}

// tick keeps the coarse reading fresh until it goes unused.
func tick() {
	tk := time.NewTicker(Tick)
	defer tk.Stop()
	idle := 0
	for range tk.C {
		if wanted.Swap(false) {
			idle = 0
		} else if idle++; idle >= parkAfter {
			// Parked: callers read Now until one starts a new goroutine.
			// coarse goes first, so no caller can take the stale reading
			// for current once running is false.
			coarse.Store(nil)
			running.Store(false)
			return
		}
		t := Now()
		coarse.Store(&t)
	}
}
