package ginsession_test

// Revocation: instant on the revoking instance, propagated to the others
// through the revocation log.

import (
	"sort"
	"testing"
	"time"
)

// TestRevocationIsInstantOnThisInstance: a revoked session's access token
// fails at once even on routes that do not check the database.
func TestRevocationIsInstantOnThisInstance(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			handle := c.signIn("u").body["handle"].(string)
			expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
			if _, err := e.sessions.RevokeSession(t.Context(), handle); err != nil {
				t.Fatal(err)
			}
			r := c.do("GET", "/api/me", "")
			expectStatus(t, r, 401, "unauthorised")
			if r.header.Get("front-token") != "remove" {
				t.Fatal("revoked session not removed from the frontend")
			}
		})
	}
}

// TestRevocationPropagatesAcrossInstances: two engines on one Postgres
// (pushed) and on one MariaDB (polled); revoke on A, B refuses the token
// within one second. Reports the measured delay.
func TestRevocationPropagatesAcrossInstances(t *testing.T) {
	onSharedDatabases(t, revocationPropagates)
}

func revocationPropagates(t *testing.T, db sharedDatabase) {
	a, b := twoInstancesOn(t, db, nil)

	var delays []time.Duration
	for round := 0; round < 10; round++ {
		c := a.newClient("header")
		handle := c.signIn("u").body["handle"].(string)
		c.env = b
		expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
		ctx := t.Context()
		start := time.Now()
		if round%2 == 0 {
			if _, err := a.sessions.RevokeSession(ctx, handle); err != nil {
				t.Fatal(err)
			}
		} else if _, err := a.sessions.RevokeAllSessions(ctx, "u"); err != nil {
			t.Fatal(err)
		}
		for {
			r := c.do("GET", "/api/me", "")
			if r.status == 401 {
				delays = append(delays, time.Since(start))
				break
			}
			if r.status != 200 {
				t.Fatalf("unexpected status %d", r.status)
			}
			if time.Since(start) > time.Second {
				t.Fatalf("round %d: B still accepts a token revoked on A after %v", round, time.Since(start))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	t.Logf("propagation delay over %d revocations: min %v, median %v, max %v", len(delays), delays[0], delays[len(delays)/2], delays[len(delays)-1])
}
