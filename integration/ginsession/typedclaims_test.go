package ginsession_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// userDB is the app's source of truth the claims are fetched from.
type userDB struct {
	mu       sync.Mutex
	verified map[string]bool
	roles    map[string][]string
	fetches  int
}

func (u *userDB) setVerified(id string, v bool) {
	u.mu.Lock()
	u.verified[id] = v
	u.mu.Unlock()
}

func newClaimsEnv(t *testing.T) (*env, *userDB, *ginsession.BooleanClaim, *ginsession.ArrayClaim[string]) {
	db := &userDB{verified: map[string]bool{}, roles: map[string][]string{}}
	emailVerified := ginsession.NewBooleanClaim("st-ev", func(ctx context.Context, userID string, _ ginsession.Payload) (bool, bool, error) {
		db.mu.Lock()
		defer db.mu.Unlock()
		db.fetches++
		return db.verified[userID], true, nil
	})
	roles := ginsession.NewArrayClaim("st-role", func(ctx context.Context, userID string, _ ginsession.Payload) ([]string, bool, error) {
		db.mu.Lock()
		defer db.mu.Unlock()
		r, ok := db.roles[userID]
		return r, ok, nil
	})
	var e *env
	e = newEnv(t, func(cfg *ginsession.Config) {
		cfg.Claims = []ginsession.Claim{emailVerified, roles}
		cfg.ClaimValidators = []ginsession.ClaimValidator{emailVerified.IsTrue()}
	})
	s := e.sessions
	show := func(c *gin.Context) {
		sess := ginsession.FromContext(c)
		verified, _ := emailVerified.Get(sess.Payload())
		r, _ := roles.Get(sess.Payload())
		c.JSON(200, gin.H{"verified": verified, "roles": r})
	}
	e.router.GET("/api/verified", s.Verify(), show)
	e.router.GET("/api/admin", s.Verify(ginsession.WithClaimValidators(roles.Includes("admin"))), show)
	e.router.GET("/api/not-banned", s.Verify(ginsession.WithClaimValidators(roles.Excludes("banned"))), show)
	e.router.GET("/api/unverified-ok", s.Verify(ginsession.OverrideClaimValidators(func([]ginsession.ClaimValidator) []ginsession.ClaimValidator { return nil })), show)
	e.router.GET("/api/fresh", s.Verify(ginsession.OverrideClaimValidators(func([]ginsession.ClaimValidator) []ginsession.ClaimValidator {
		return []ginsession.ClaimValidator{emailVerified.IsTrue().MaxAge(time.Minute)}
	})), show)
	e.router.GET("/api/assert", s.Verify(ginsession.OverrideClaimValidators(func([]ginsession.ClaimValidator) []ginsession.ClaimValidator { return nil })), func(c *gin.Context) {
		if err := ginsession.FromContext(c).AssertClaims(c, roles.Includes("editor")); err != nil {
			s.HandleError(c, err)
			return
		}
		c.JSON(200, gin.H{"ok": true})
	})
	return e, db, emailVerified, roles
}

func TestClaimsInPayloadAsTheSDKReadsThem(t *testing.T) {
	e, db, _, _ := newClaimsEnv(t)
	db.setVerified("u", true)
	db.roles["u"] = []string{"admin", "editor"}
	c := e.newClient("cookie")
	r := c.signIn("u")
	up := decodeFront(t, r.header.Get("front-token"))["up"].(map[string]any)
	ev, ok := up["st-ev"].(map[string]any)
	if !ok || ev["v"] != true {
		t.Fatalf("st-ev in front-token up: %v", up["st-ev"])
	}
	if ts, _ := ev["t"].(float64); int64(ts) != e.clock.Now().UnixMilli() {
		t.Fatalf("st-ev.t = %v, want fetch time in ms %d", ev["t"], e.clock.Now().UnixMilli())
	}
	role := up["st-role"].(map[string]any)
	if b, _ := json.Marshal(role["v"]); string(b) != `["admin","editor"]` {
		t.Fatalf("st-role.v = %s", b)
	}
	me := c.do("GET", "/api/admin", "")
	expectStatus(t, me, 200, "")
	if me.body["verified"] != true {
		t.Fatalf("typed getter: %v", me.body)
	}
}

func TestClaimValidationFailures(t *testing.T) {
	e, db, _, _ := newClaimsEnv(t)
	db.roles["u"] = []string{"banned"}
	c := e.newClient("header")
	c.signIn("u") // not verified
	r := c.do("GET", "/api/verified", "")
	expectStatus(t, r, 403, "invalid claim")
	errs := r.body["claimValidationErrors"].([]any)
	first := errs[0].(map[string]any)
	reason := first["reason"].(map[string]any)
	if first["id"] != "st-ev" || reason["message"] != "wrong value" || reason["expectedValue"] != true || reason["actualValue"] != false {
		t.Fatalf("claimValidationErrors %v", errs)
	}
	if r.header.Get("front-token") == "remove" || len(setCookies(r.header)) != 0 {
		t.Fatal("a claim failure touched the tokens")
	}
	// Per-route override drops the global validator.
	expectStatus(t, c.do("GET", "/api/unverified-ok", ""), 200, "")
	// Array checks, added to the global one: both failures listed.
	r = c.do("GET", "/api/admin", "")
	expectStatus(t, r, 403, "invalid claim")
	if n := len(r.body["claimValidationErrors"].([]any)); n != 2 {
		t.Fatalf("want 2 failures, got %v", r.body)
	}
	db.setVerified("u", true)
	// The stored value is still false until the claim is fetched again
	// (at refresh): verification reads the token, not the database.
	expectStatus(t, c.do("GET", "/api/verified", ""), 403, "invalid claim")
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	expectStatus(t, c.do("GET", "/api/verified", ""), 200, "")
	expectStatus(t, c.do("GET", "/api/not-banned", ""), 403, "invalid claim")
	// AssertClaims inside a handler.
	r = c.do("GET", "/api/assert", "")
	expectStatus(t, r, 403, "invalid claim")
	if r.body["claimValidationErrors"].([]any)[0].(map[string]any)["id"] != "st-role" {
		t.Fatalf("assert failure %v", r.body)
	}
}

func TestClaimMaxAgeRefetches(t *testing.T) {
	e, db, _, _ := newClaimsEnv(t)
	db.setVerified("u", false)
	c := e.newClient("header")
	c.signIn("u")
	db.setVerified("u", true)
	e.clock.Advance(2 * time.Minute)
	before := c.access
	// The value is two minutes old, over the route's one-minute max age:
	// Verify fetches it again, passes, and issues a new token now.
	r := c.do("GET", "/api/fresh", "")
	expectStatus(t, r, 200, "")
	if c.access == before || r.header.Get("front-token") == "" {
		t.Fatal("refetched claim did not issue a new access token")
	}
	up := decodeFront(t, r.header.Get("front-token"))["up"].(map[string]any)
	if up["st-ev"].(map[string]any)["v"] != true {
		t.Fatalf("refetched value %v", up["st-ev"])
	}
	// Within the max age there is no refetch.
	db.mu.Lock()
	n := db.fetches
	db.mu.Unlock()
	expectStatus(t, c.do("GET", "/api/fresh", ""), 200, "")
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.fetches != n {
		t.Fatal("fresh claim fetched again")
	}
}

func TestClaimConfigRejected(t *testing.T) {
	st := openSQLite(t)
	claim := ginsession.NewBooleanClaim("sub", nil)
	if _, err := ginsession.New(ginsession.Config{Store: st, APIDomain: "http://localhost", Claims: []ginsession.Claim{claim}}); err == nil {
		t.Fatal("claim with a protected key accepted")
	}
	a := ginsession.NewBooleanClaim("x", nil)
	if _, err := ginsession.New(ginsession.Config{Store: st, APIDomain: "http://localhost", Claims: []ginsession.Claim{a, a}}); err == nil {
		t.Fatal("duplicate claim keys accepted")
	}
}

func TestPrimitiveClaim(t *testing.T) {
	plan := ginsession.NewPrimitiveClaim("plan", func(ctx context.Context, userID string, _ ginsession.Payload) (string, bool, error) {
		return "pro", true, nil
	})
	p := ginsession.Payload{"plan": map[string]any{"v": "pro", "t": int64(1000)}}
	if v, ok := plan.Get(p); !ok || v != "pro" {
		t.Fatalf("Get = %q %v", v, ok)
	}
	if at, ok := plan.FetchedAt(p); !ok || at.UnixMilli() != 1000 {
		t.Fatalf("FetchedAt = %v", at)
	}
	if plan.HasValue("pro").Validate(p) != nil || plan.HasValue("free").Validate(p) == nil {
		t.Fatal("HasValue")
	}
	if plan.Exists().Validate(ginsession.Payload{}) == nil {
		t.Fatal("Exists on an empty payload passed")
	}
	count := ginsession.NewPrimitiveClaim[int64]("n", nil)
	if v, ok := count.Get(ginsession.Payload{"n": map[string]any{"v": float64(3)}}); !ok || v != 3 {
		t.Fatalf("int64 from a float64 JSON number: %v %v", v, ok)
	}
	if _, ok := count.Get(ginsession.Payload{"n": map[string]any{"v": "three"}}); ok {
		t.Fatal("string accepted as int64")
	}
}
