package ginsession_test

// Lifetime policy at its edges: sessions past MaxSessionAge count for
// nothing and can be written by no one, and impersonation sessions stay
// outside the user's cap and inside the operator's own lifetime.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// A session past MaxSessionAge is over: no token of it works, the lists
// leave it out, its cookies expired at its end. It must not count towards
// MaxSessionsPerUser either. But a refresh shortly before the end slides the
// row's stored expiry a whole RefreshTokenTTL past the end (RotateSession
// is given now+RefreshTokenTTL, not the session's end), and
// CreateSessionLimited counts every row whose stored expiry is in the
// future. Under SessionLimitRefuseNew the user is refused (409) by sessions
// that no longer exist for any other purpose, for up to RefreshTokenTTL
// (100 days by default), while the device list they would use to sign the
// others out is empty.
func TestLifetimePolicyRefuseNewCountsSessionsPastMaxAge(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.MaxSessionAge = 2 * time.Hour
		cfg.AccessTokenTTL = time.Hour
		cfg.MaxSessionsPerUser = 1
		cfg.SessionLimitPolicy = ginsession.SessionLimitRefuseNew
	})
	old := e.newClient("header")
	old.signIn("capped")
	e.clock.Advance(2*time.Hour - time.Minute)
	expectStatus(t, old.do("POST", refreshPath, ""), 200, "") // last activity a minute before the end
	e.clock.Advance(2 * time.Minute)

	// The old session is over everywhere.
	expectStatus(t, old.do("GET", "/api/me", ""), 401, "try refresh token")
	if list, err := e.sessions.ListSessions(t.Context(), "capped"); err != nil || len(list) != 0 {
		t.Fatalf("ListSessions after the end: %d sessions, %v", len(list), err)
	}

	// A new sign-in (the old browser's cookies expired at the end, so it
	// never sends that refresh token again) must not be refused.
	fresh := e.newClient("header")
	r := fresh.do("POST", "/signin", `{"user":"capped"}`)
	expectStatus(t, r, 200, "")
}

// By-handle calls on a session past MaxSessionAge: GetSessionInfo and the
// lists say it does not exist, but UpdateSessionData and MergeIntoPayload
// succeed on it (and would keep doing so for up to RefreshTokenTTL after
// a late refresh), so an app that checks their error to decide whether a
// session is live is told it is.
func TestLifetimePolicyByHandleWritesOnSessionPastMaxAge(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.MaxSessionAge = 2 * time.Hour
		cfg.AccessTokenTTL = time.Hour
	})
	c := e.newClient("header")
	handle := c.signIn("late").body["handle"].(string)
	e.clock.Advance(2*time.Hour - time.Minute)
	expectStatus(t, c.do("POST", refreshPath, ""), 200, "")
	e.clock.Advance(2 * time.Minute)
	ctx := t.Context()
	if _, err := e.sessions.GetSessionInfo(ctx, handle); !errors.Is(err, ginsession.ErrSessionNotFound) {
		t.Fatalf("GetSessionInfo after the end: %v", err)
	}
	if err := e.sessions.UpdateSessionData(ctx, handle, map[string]any{"k": 1}); !errors.Is(err, ginsession.ErrSessionNotFound) {
		t.Errorf("UpdateSessionData on a session past its MaxSessionAge: %v, want ErrSessionNotFound", err)
	}
	if err := e.sessions.MergeIntoPayload(ctx, handle, map[string]any{"k": 1}); !errors.Is(err, ginsession.ErrSessionNotFound) {
		t.Errorf("MergeIntoPayload on a session past its MaxSessionAge: %v, want ErrSessionNotFound", err)
	}
}

// Impersonation goes through the same createRow as a sign-in, so an
// operator's impersonation session takes one of the user's places under
// MaxSessionsPerUser: with the default policy it evicts (signs out
// everywhere, cause=limit) the user's own oldest device; with
// SessionLimitRefuseNew support cannot impersonate a user at the cap at
// all. Neither is something the user did, and the user is not told why
// their laptop was signed out.
func TestLifetimePolicyImpersonationEvictsTheUsersOwnSession(t *testing.T) {
	roles := ginsession.NewArrayClaim("roles", func(ctx context.Context, userID string, _ ginsession.Payload) ([]string, bool, error) {
		if userID == "operator" {
			return []string{"support"}, true, nil
		}
		return nil, false, nil
	})
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.Claims = []ginsession.Claim{roles}
		cfg.MaxSessionsPerUser = 1
	})
	s := e.sessions
	e.router.POST("/support/impersonate", s.Verify(), func(c *gin.Context) {
		var in struct{ User string }
		_ = c.BindJSON(&in)
		if _, err := s.Impersonate(c, ginsession.FromContext(c), in.User, nil, roles.Includes("support")); err != nil {
			s.HandleError(c, err)
			return
		}
		c.JSON(200, gin.H{})
	})
	alice := e.newClient("header")
	alice.signIn("alice")
	op := e.newClient("header")
	op.signIn("operator")
	expectStatus(t, op.do("POST", "/support/impersonate", `{"user":"alice"}`), 200, "")

	// Alice did nothing; her own device must still be signed in.
	expectStatus(t, alice.do("GET", "/api/me", ""), 200, "")
	expectStatus(t, alice.do("POST", refreshPath, ""), 200, "")
}

// An operator who signed in with "remember me" off (BrowserSessionOnly)
// and impersonates a user gets impersonation cookies with Expires: the
// impersonation session outlives the browser session the operator chose,
// on a machine the operator said not to remember. It ends with the
// operator's session only server-side, and that row lives on for
// RefreshTokenTTL after the operator's browser dropped its own cookies.
// Impersonate takes no CreateOptions and does not carry the operator's
// choice over.
func TestLifetimePolicyImpersonationIgnoresOperatorsBrowserSessionOnly(t *testing.T) {
	roles := ginsession.NewArrayClaim("roles", func(ctx context.Context, userID string, _ ginsession.Payload) ([]string, bool, error) {
		if userID == "operator" {
			return []string{"support"}, true, nil
		}
		return nil, false, nil
	})
	e := newEnv(t, func(cfg *ginsession.Config) { cfg.Claims = []ginsession.Claim{roles} })
	s := e.sessions
	e.router.POST("/support/impersonate", s.Verify(), func(c *gin.Context) {
		var in struct{ User string }
		_ = c.BindJSON(&in)
		if _, err := s.Impersonate(c, ginsession.FromContext(c), in.User, nil, roles.Includes("support")); err != nil {
			s.HandleError(c, err)
			return
		}
		c.JSON(200, gin.H{})
	})
	op := e.newClient("cookie")
	expectStatus(t, op.do("POST", "/signin", `{"user":"operator","sessionOnly":true}`), 200, "")
	r := op.do("POST", "/support/impersonate", `{"user":"alice"}`)
	expectStatus(t, r, 200, "")
	for _, name := range []string{"sAccessToken", "sRefreshToken"} {
		if ck := onlySetCookie(t, r.header, name); !ck.Expires.IsZero() {
			t.Errorf("impersonation by a browser-session-only operator: %s", ck.Raw)
		}
	}
}

// CheckDatabase reads the session's row (created_at included) but does not
// apply MaxSessionAge to it: an access token minted before MaxSessionAge
// was turned on or shortened (a rolling deploy after an incident: "no
// session may be older than 1h from now on") keeps passing even the
// database-checked routes past the session's end, for up to
// AccessTokenTTL, while GetSessionInfo on the same engine already says the
// session does not exist.
func TestLifetimePolicyCheckDatabaseIgnoresMaxSessionAge(t *testing.T) {
	st := openSQLite(t)
	clk := newClock()
	before := newEnvOn(t, st, clk, func(cfg *ginsession.Config) { cfg.AccessTokenTTL = time.Hour })
	after := newEnvOn(t, st, clk, func(cfg *ginsession.Config) {
		cfg.APIDomain = before.server.URL // one issuer for both
		cfg.AccessTokenTTL = time.Hour
		cfg.MaxSessionAge = time.Hour
	})
	c := before.newClient("header")
	handle := c.signIn("old-timer").body["handle"].(string)
	clk.Advance(59 * time.Minute)
	expectStatus(t, c.do("POST", refreshPath, ""), 200, "") // minted by the old configuration
	clk.Advance(2 * time.Minute)                            // past the new end
	if _, err := after.sessions.GetSessionInfo(t.Context(), handle); !errors.Is(err, ginsession.ErrSessionNotFound) {
		t.Fatalf("GetSessionInfo past the end: %v", err)
	}
	r := sendWithToken(t, after.server.URL, "header", "GET", "/api/checked", "", c.access)
	if r.status == 200 {
		t.Errorf("a database-checked route accepted a session past its MaxSessionAge")
	}
}

// RevokeOtherSessions revokes (and reports) sessions past MaxSessionAge
// that ListSessions leaves out: "signed out 2 other devices" after a list
// that showed none.
func TestLifetimePolicyRevokeOtherSessionsCountsSessionsPastMaxAge(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.MaxSessionAge = 2 * time.Hour
		cfg.AccessTokenTTL = time.Hour
	})
	mountDevices(e)
	old := e.newClient("header")
	old.signIn("tidy")
	e.clock.Advance(2*time.Hour - time.Minute)
	expectStatus(t, old.do("POST", refreshPath, ""), 200, "")
	e.clock.Advance(2 * time.Minute)
	now := e.newClient("header")
	now.signIn("tidy")
	if l := devicesOf(t, now); len(l) != 1 {
		t.Fatalf("listed %d sessions", len(l))
	}
	r := now.do("POST", "/api/revoke-others", "")
	expectStatus(t, r, 200, "")
	if r.body["revoked"] != float64(0) {
		t.Errorf("revoke-others reports %v signed out after a list that showed no other device", r.body["revoked"])
	}
}

// An impersonation session "ends when the operator's session does". With
// MaxSessionAge the operator's session ends at its absolute end, but
// actorAlive asks only whether the operator's row exists (GetSession), and
// a refresh shortly before the end leaves that row in the store for
// RefreshTokenTTL. So the impersonation session keeps refreshing, and
// database-checked routes keep accepting it, after the operator's session
// is over: the operator's dead session still authorises acting as the
// user, for up to MaxSessionAge more.
func TestLifetimePolicyImpersonationOutlivesOperatorsMaxSessionAge(t *testing.T) {
	roles := ginsession.NewArrayClaim("roles", func(ctx context.Context, userID string, _ ginsession.Payload) ([]string, bool, error) {
		if userID == "operator" {
			return []string{"support"}, true, nil
		}
		return nil, false, nil
	})
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.Claims = []ginsession.Claim{roles}
		cfg.MaxSessionAge = 2 * time.Hour
		cfg.AccessTokenTTL = time.Hour
	})
	s := e.sessions
	e.router.POST("/support/impersonate", s.Verify(), func(c *gin.Context) {
		var in struct{ User string }
		_ = c.BindJSON(&in)
		if _, err := s.Impersonate(c, ginsession.FromContext(c), in.User, nil, roles.Includes("support")); err != nil {
			s.HandleError(c, err)
			return
		}
		c.JSON(200, gin.H{})
	})
	op := e.newClient("header")
	opHandle := op.signIn("operator").body["handle"].(string)
	e.clock.Advance(2*time.Hour - 2*time.Minute)
	expectStatus(t, op.do("POST", refreshPath, ""), 200, "")
	expectStatus(t, op.do("POST", "/support/impersonate", `{"user":"alice"}`), 200, "") // op now holds the impersonation session
	e.clock.Advance(3 * time.Minute)

	// The operator's session is over.
	if _, err := s.GetSessionInfo(t.Context(), opHandle); !errors.Is(err, ginsession.ErrSessionNotFound) {
		t.Fatalf("operator's session past its end: %v", err)
	}
	expectStatus(t, op.do("GET", "/api/checked", ""), 401, "unauthorised")
	expectStatus(t, op.do("POST", refreshPath, ""), 401, "unauthorised")
}
