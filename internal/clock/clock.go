// Package clock reads the wall clock for the request paths at about half
// the cost of time.Now.
//
// time.Now reads two clocks (wall and monotonic). On the virtual machines
// servers run on, each read is a call into the kernel's clock page that
// can cost 25 ns or more, and a seen access token is verified in about a
// microsecond, so the two reads are a visible share of every request. Now
// reads only the monotonic clock and adds it to a wall-clock reading taken
// at most Rebase ago. Its answer follows time.Now except when the wall
// clock is stepped (NTP, an operator): such a step shows after at most
// Rebase. The paths that use it compare against expiries in whole seconds
// (access tokens) or minutes (revocations), so that lag changes nothing.
//
// Coarse is cheaper still for the path that runs on every request (the
// verification of a seen token): an atomic load of a reading a goroutine
// refreshes every Tick while calls keep coming.
package clock

import (
	"sync/atomic"
	"time"
)

// Rebase is how old the wall-clock reading under Now may get before Now
// takes a new one.
const Rebase = time.Second

// base is the latest full reading (wall and monotonic).
var base atomic.Pointer[time.Time]

// Now returns the current time, with a monotonic reading like time.Now's.
// It is safe for concurrent use.
func Now() time.Time {
	if b := base.Load(); b != nil {
		// time.Since of a reading with a monotonic clock reads only the
		// monotonic clock.
		if d := time.Since(*b); d >= 0 && d < Rebase {
			return b.Add(d)
		}
	}
	t := time.Now()
	base.Store(&t)
	return t
}
