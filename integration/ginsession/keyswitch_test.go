package ginsession_test

import (
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
)

// An app switches SigningAlgorithm (restart with a new config) while the
// old algorithm's first key is still stored: the new algorithm's first key
// must not be refused as a second key of the same turn. Before the first
// turn named the algorithm, sign-in on the RS256 instance answered 500 from
// t0+61m to t0+69m (the old key's signing window over, no new key allowed).
// Found by an outside review.
func TestKeyTurnsAlgorithmSwitchKeepsASigningKey(t *testing.T) {
	st := openSQLite(t)
	clk := newClock()
	a := newEnvOn(t, st, clk, func(c *ginsession.Config) {
		c.SigningAlgorithm = "ES256"
		c.KeyRotationInterval = time.Hour
		c.AccessTokenTTL = 10 * time.Minute
	})
	a.newClient("cookie").signIn("u1")
	clk.Advance(5 * time.Minute)
	// Restart with RS256.
	b := newEnvOn(t, st, clk, func(c *ginsession.Config) {
		c.SigningAlgorithm = "RS256"
		c.KeyRotationInterval = time.Hour
		c.AccessTokenTTL = 10 * time.Minute
	})
	for m := 0; m < 80; m += 2 {
		r, err := b.newClient("cookie").tryDo("POST", "/signin", `{"user":"u2"}`)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != 200 {
			t.Errorf("t0+%dm: sign-in on the RS256 instance: %d %s", 5+m, r.status, r.raw)
		}
		clk.Advance(2 * time.Minute)
	}
}
