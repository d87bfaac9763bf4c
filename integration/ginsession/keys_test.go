package ginsession_test

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ginsession/ginsession/ginsession"
)

// TestKeyRotation walks a clock through several rotation intervals: a new
// key is published before it signs, old keys verify until their tokens
// expire, and nobody is logged out along the way.
func TestKeyRotation(t *testing.T) {
	const interval = time.Hour
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.KeyRotationInterval = interval
		cfg.AccessTokenTTL = 10 * time.Minute
	})
	c := e.newClient("header")
	c.signIn("u")
	first := kidOf(t, c.access)
	if !e.jwks(t).has(first) {
		t.Fatal("signing key not published")
	}
	seen := map[string]bool{first: true}
	prevKid, prevToken := first, c.access
	for step := 0; step < 4*12; step++ { // four intervals in 5-minute steps
		e.clock.Advance(5 * time.Minute)
		// The token from the last step still verifies (it has not expired).
		keys := e.jwks(t)
		if !keys.has(prevKid) {
			t.Fatalf("step %d: key %s unpublished while its token is live", step, prevKid)
		}
		req := e.newClient("header")
		req.access = prevToken
		expectStatus(t, req.do("GET", "/api/me", ""), 200, "")

		expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
		kid := kidOf(t, c.access)
		if !seen[kid] {
			seen[kid] = true
		}
		prevKid, prevToken = kid, c.access
	}
	if len(seen) < 4 {
		t.Fatalf("only %d signing keys over four intervals", len(seen))
	}
	// The first key is long unpublished: its tokens expired hours ago.
	if e.jwks(t).has(first) {
		t.Fatal("the first key is still published hours after its last token expired")
	}
}

// TestKeyPublishedBeforeUse checks the lead: the next key appears in the
// JWKS before any token carries it.
func TestKeyPublishedBeforeUse(t *testing.T) {
	const interval = time.Hour
	e := newEnv(t, func(cfg *ginsession.Config) { cfg.KeyRotationInterval = interval })
	c := e.newClient("header")
	c.signIn("u")
	first := kidOf(t, c.access)
	published := map[string]bool{}
	for step := 0; step < 70; step++ {
		e.clock.Advance(time.Minute)
		for _, k := range e.jwks(t).Keys {
			published[k["kid"]] = true
		}
		c.signIn("u")
		if kid := kidOf(t, c.access); kid != first {
			if !published[kid] {
				t.Fatalf("minute %d: key %s signed before it was ever published", step, kid)
			}
			return
		}
	}
	t.Fatal("no rotation within 70 minutes of a 1 h interval")
}

// TestSigningAlgorithms signs and verifies with each supported algorithm and
// refuses the others at verification.
func TestSigningAlgorithms(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			e := newEnv(t, func(cfg *ginsession.Config) { cfg.SigningAlgorithm = alg })
			c := e.newClient("header")
			c.signIn("u")
			parsed, _, err := jwt.NewParser().ParseUnverified(c.access, jwt.MapClaims{})
			if err != nil {
				t.Fatal(err)
			}
			if parsed.Method.Alg() != alg {
				t.Fatalf("signed with %s", parsed.Method.Alg())
			}
			expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
		})
	}
}

// TestMasterKey checks that with a MasterKey the private keys are not stored
// in the clear, and that a second engine with the same MasterKey verifies
// and refreshes the first one's tokens.
func TestMasterKey(t *testing.T) {
	master := []byte(strings.Repeat("k", 32))
	st := openSQLite(t)
	clk := newClock()
	same := func(cfg *ginsession.Config) {
		cfg.MasterKey = master
		cfg.APIDomain = "http://api.example.test"
	}
	a := newEnvOn(t, st, clk, same)
	c := a.newClient("header")
	c.signIn("u")
	keys, err := st.SigningKeys(t.Context(), clk.Now())
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys: %v %d", err, len(keys))
	}
	for _, k := range keys {
		if _, err := x509.ParsePKCS8PrivateKey(k.PrivateKey); err == nil {
			t.Fatalf("key %s stored as a plain PKCS#8 private key", k.ID)
		}
	}
	b := newEnvOn(t, st, clk, same)
	c.env = b
	expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	// A third engine with another master key cannot accept the tokens.
	other := newEnvOn(t, st, clk, func(cfg *ginsession.Config) {
		cfg.MasterKey = []byte(strings.Repeat("x", 32))
		cfg.APIDomain = "http://api.example.test"
	})
	c.env = other
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 401, "unauthorised")
}
