package ginsession_test

// Clock skew between instances (SECURITY.md section D: faults, crashes,
// keys, clocks). Header limits: headerlimits_test.go; a MasterKey added to a
// running deployment: masterkey_test.go.
//
// Rows covered elsewhere:
//   - database down during refresh, sign-out or a database-checked verify →
//     TestFaultPostgresDown*, TestFaultSQLite* (fault_test.go); the store
//     closed outright: TestProtocolStorageFailure.
//   - crash before the refresh commits / after commit, before the response →
//     TestFaultCrashBeforeCommit, TestFaultCrashAfterCommit (fault_test.go).
//   - two app instances on one Postgres refreshing the same token →
//     TestRefreshRaceSameTokenTwoEngines (refresh_race_test.go).
//   - signing-key rotation during traffic → TestFaultKeyRotationUnderLoad
//     (fault_test.go), TestKeyRotation (keys_test.go), and the case of a
//     MasterKey added to a running deployment below.

import (
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
)

// SECURITY.md D: clock skew. Time comes from an injected clock (every
// engine here has its own). An access token issued by an instance whose
// clock is ahead carries an iat in the verifier's future: up to a minute of
// difference is tolerated, more is refused (try refresh, never a logout:
// the refresh on the verifying instance works). An instance whose clock is
// behind can still sign with a key another instance made to sign at once.
// exp gets no leeway: a token is never accepted after its exp by the
// verifier's clock (exact boundaries: TestAccessTokenTimeClaims).
func TestClockSkew(t *testing.T) {
	st := openSQLite(t)
	same := func(cfg *ginsession.Config) { cfg.APIDomain = "http://api.example.test" }
	verifierClock := newClock()
	verifier := newEnvOn(t, st, verifierClock, same)
	for _, tc := range []struct {
		skew     time.Duration // issuer's clock minus the verifier's
		accepted bool
	}{
		{0, true},
		{5 * time.Second, true},
		{30 * time.Second, true},
		{59 * time.Second, true},
		{2 * time.Minute, false},
		{time.Hour, false},
		{-30 * time.Second, true},
		{-59 * time.Second, true},
	} {
		t.Run("issuer skewed by "+tc.skew.String(), func(t *testing.T) {
			issuerClock := &clock{t: verifierClock.Now().Add(tc.skew)}
			issuer := newEnvOn(t, st, issuerClock, same)
			c := issuer.newClient("header")
			c.signIn("u")
			c.env = verifier
			r := c.do("GET", "/api/me", "")
			if tc.accepted {
				expectStatus(t, r, 200, "")
			} else {
				expectStatusAndBody(t, r, 401, bodyTryRefresh)
				expectTokensUntouched(t, r)
			}
			// Either way the user stays signed in: a refresh on the
			// verifying instance gives a token it accepts.
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			expectStatus(t, c.do("GET", "/api/checked", ""), 200, "")
		})
	}
	// A lost refresh response retried on another instance a few seconds
	// apart in clock: the grace window still applies. (Instances whose
	// clocks differ by more than RefreshGracePeriod would see a late retry
	// as theft; the project's SECURITY.md asks for synchronised clocks.)
	t.Run("grace-window retry across instances 5 s apart", func(t *testing.T) {
		for _, skew := range []time.Duration{5 * time.Second, -5 * time.Second} {
			other := newEnvOn(t, st, &clock{t: verifierClock.Now().Add(skew)}, same)
			c := verifier.newClient("header")
			c.signIn("u")
			t0 := c.refresh
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			t1 := c.refresh
			c.env, c.refresh = other, t0
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			if c.refresh != t1 {
				t.Fatalf("skew %v: the retry forked the lineage", skew)
			}
		}
	})
}
