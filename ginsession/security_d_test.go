package ginsession_test

// SECURITY.md section D (faults, crashes, keys, clocks).
//
// Rows covered elsewhere:
//   - database down during refresh, sign-out or a database-checked verify →
//     TestFault_PostgresDown*, TestFault_SQLite* (fault_test.go); the store
//     closed outright: TestProtocol_StorageFailure.
//   - crash before the refresh commits / after commit, before the response →
//     TestFault_CrashBeforeCommit, TestFault_CrashAfterCommit (fault_test.go).
//   - two app instances on one Postgres refreshing the same token →
//     TestRefreshRacePostgresTwoEngines (race_test.go).
//   - signing-key rotation during traffic → TestFault_KeyRotationUnderLoad
//     (fault_test.go), TestKeyRotation (keys_test.go), and the case of a
//     MasterKey added to a running deployment below.

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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
// verifier's clock (exact boundaries: TestSecurityA_TimeClaims).
func TestSecurityD_ClockSkew(t *testing.T) {
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
				gsExpect(t, r, 401, gsTryRefresh)
				gsNothingCleared(t, r)
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

// SECURITY.md D: huge headers and many cookies → bounded work: at most a
// few cookie candidates are ever verified, and memory does not grow with the
// header.
func TestSecurityD_HugeHeadersManyCookies(t *testing.T) {
	f := secSetup(t, nil)
	junkTok := func(i int) string { // well-formed, our kid, bad signature: each would cost a signature check
		h, p, s := gsSplitJWT(t, f.access)
		return h + "." + p + "." + gsFlip(s, i%len(s))
	}
	many := func(n int, last string) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString("c" + strconv.Itoa(i) + "=v; ")
		}
		b.WriteString(last)
		return b.String()
	}
	dups := func(n int, tail string) string {
		parts := make([]string, 0, n+1)
		for i := 0; i < n; i++ {
			parts = append(parts, "sAccessToken="+junkTok(i))
		}
		if tail != "" {
			parts = append(parts, tail)
		}
		return strings.Join(parts, "; ")
	}
	lines := make([]string, 1000)
	for i := range lines {
		lines[i] = "c" + strconv.Itoa(i) + "=v"
	}
	cases := []struct {
		name   string
		cookie []string
		status int
	}{
		{"1 000 other cookies, ours last", []string{many(1000, "sAccessToken="+f.access)}, 200},
		{"1 000 Cookie lines, ours last", append(lines, "sAccessToken="+f.access), 200},
		{"1 MB of other cookies, ours last", []string{many(80000, "sAccessToken="+f.access)}, 200},
		{"ours among the first four duplicates", []string{"sAccessToken=" + junkTok(1) + "; sAccessToken=" + f.access + "; sAccessToken=" + junkTok(2)}, 200},
		// Candidates beyond the first four could name another session
		// (cookie tossing): nobody can tell, so the request is nobody's.
		{"ours among the first four, 1 000 duplicates after", []string{"sAccessToken=" + junkTok(1) + "; sAccessToken=" + f.access + "; " + dups(1000, "")}, 401},
		{"1 000 duplicates, ours after them", []string{dups(1000, "sAccessToken="+f.access)}, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := secServe(f.e.router, "GET", "/api/me", http.Header{"Cookie": tc.cookie})
			if w.Code != tc.status {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tc.status)
			}
			if tc.status == 401 && (w.Header().Get("front-token") != "" || !strings.Contains(w.Body.String(), "try refresh token")) {
				t.Errorf("%s %v", w.Body, w.Header())
			}
		})
	}
	t.Run("memory and signature checks do not grow with the duplicates", func(t *testing.T) {
		mk := func(cookie string) *http.Request {
			req := httptest.NewRequest("GET", "/api/me", nil)
			req.Header.Set("Cookie", cookie)
			return req
		}
		four := secBytesPerRequest(f.e.router, mk(dups(4, "")))
		thousand := secBytesPerRequest(f.e.router, mk(dups(1000, "")))
		t.Logf("%d bytes per request with 4 duplicate tokens, %d with 1 000", four, thousand)
		if thousand > four+16<<10 {
			t.Errorf("1 000 duplicate tokens cost %d bytes per request, 4 cost %d: candidates are not capped", thousand, four)
		}
		ours := secBytesPerRequest(f.e.router, mk(many(80000, "sAccessToken="+f.access)))
		plain := secBytesPerRequest(f.e.router, mk("sAccessToken="+f.access))
		t.Logf("%d bytes per request behind 1 MB of cookies, %d alone", ours, plain)
		if ours > plain+16<<10 {
			t.Errorf("1 MB of cookies cost %d bytes per request (%d without)", ours, plain)
		}
	})
	t.Run("over the network", func(t *testing.T) {
		r := gsRaw(t, f.e.server.URL, "GET", "/api/me", "", "Cookie", many(80000, "sAccessToken="+f.access))
		if r.status != 200 && r.status != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
}

// SECURITY.md D (signing keys): a MasterKey added to a running deployment.
// The keys already stored in the clear are verify-only for the new
// configuration; the engine must make a key it can sign with at once
// instead of waiting out the old key's turn (days) with every sign-in and
// refresh failing. Tokens of the old key keep verifying.
func TestSecurityD_MasterKeyAddedToRunningDeployment(t *testing.T) {
	st := openSQLite(t)
	clk := newClock()
	api := func(cfg *ginsession.Config) { cfg.APIDomain = "http://api.example.test" }
	before := newEnvOn(t, st, clk, api)
	old := before.newClient("header")
	old.signIn("u")
	oldKid := gsKid(t, old.access)
	for i, master := range []string{"the first master key, 32+ bytes long", "another master key, also 32+ bytes"} {
		after := newEnvOn(t, st, clk, func(cfg *ginsession.Config) {
			api(cfg)
			cfg.MasterKey = []byte(master)
		})
		c := after.newClient("header")
		r := c.do("POST", "/signin", `{"user":"u2"}`)
		if r.status != 200 {
			t.Fatalf("MasterKey %d: sign-in %d %s: no usable signing key", i, r.status, r.raw)
		}
		if gsKid(t, c.access) == oldKid {
			t.Fatalf("MasterKey %d: signed with the key stored in the clear", i)
		}
		expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
		expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
		old.env = after
		expectStatus(t, old.do("GET", "/api/me", ""), 200, "")
		if !after.jwks(t).has(oldKid) {
			t.Fatalf("MasterKey %d: the old key is no longer published", i)
		}
	}
}
