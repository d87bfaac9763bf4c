package ginsession_test

// The per-user cap must never lock out a user who proves who they are
// (issue 21, item 2): sessions nobody can reach stop counting, and a
// refusal carries the sessions it counted so the app can offer "sign out a
// device and continue".

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
)

// The reported lockout. Cap 2, SessionLimitRefuseNew; two sign-ins with
// BrowserSessionOnly; both browsers close, taking their cookies with them.
// Before the fix each row kept the full sliding expiry (RefreshTokenTTL,
// 100 days), so a month later the user's fresh sign-in was refused (409)
// by two sessions nobody could reach, and ListSessions still showed them.
func TestSessionCapRefuseNewLockoutByClosedBrowsers(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.MaxSessionsPerUser = 2
		cfg.SessionLimitPolicy = ginsession.SessionLimitRefuseNew
	})
	for range 2 {
		browser := e.newClient("cookie")
		expectStatus(t, browser.do("POST", "/signin", `{"user":"locked","sessionOnly":true}`), 200, "")
		// The browser closes: its session cookies are gone with it.
	}
	e.clock.Advance(30 * 24 * time.Hour)

	list, err := e.sessions.ListSessions(t.Context(), "locked")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("a month after both browsers closed, ListSessions shows %d sessions nobody can reach", len(list))
	}
	fresh := e.newClient("cookie")
	expectStatus(t, fresh.do("POST", "/signin", `{"user":"locked","sessionOnly":true}`), 200, "")
	expectStatus(t, fresh.do("GET", "/api/me", ""), 200, "")
}

// The same sessions under SessionLimitEvictOldest: a sign-in is never
// refused, but the unreachable sessions still count, so the cap evicts a
// device the user is using in their place. Cap 2: the user keeps one
// browser-session-only tab active (it refreshes), and closes another.
// Before the fix the closed one counted for RefreshTokenTTL, and the next
// sign-in evicted the oldest, the active tab.
func TestSessionCapEvictOldestEvictsActiveForUnreachable(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) { cfg.MaxSessionsPerUser = 2 })
	active := e.newClient("cookie")
	expectStatus(t, active.do("POST", "/signin", `{"user":"evict","sessionOnly":true}`), 200, "")
	e.clock.Advance(time.Second)
	closed := e.newClient("cookie")
	expectStatus(t, closed.do("POST", "/signin", `{"user":"evict","sessionOnly":true}`), 200, "")
	// Two days of use, refreshing as the SDK does when the access token
	// has expired; the other browser is closed and never returns.
	for range 16 {
		e.clock.Advance(3 * time.Hour)
		expectStatus(t, active.do("POST", refreshPath, ""), 200, "")
	}
	if list, err := e.sessions.ListSessions(t.Context(), "evict"); err != nil || len(list) != 1 {
		t.Errorf("ListSessions: %d sessions (%v), want the active one only", len(list), err)
	}
	revokedBefore := e.events.count(&e.events.revoked)
	phone := e.newClient("header")
	phone.signIn("evict")
	expectStatus(t, active.do("GET", "/api/me", ""), 200, "")
	expectStatus(t, active.do("POST", refreshPath, ""), 200, "")
	if n := e.events.count(&e.events.revoked) - revokedBefore; n != 0 {
		t.Errorf("the sign-in evicted %d sessions; the closed browser's had ended and the active one must stay", n)
	}
}

// bothPolicies runs f under each SessionLimitPolicy.
func bothPolicies(t *testing.T, f func(t *testing.T, policy ginsession.SessionLimitPolicy)) {
	for _, p := range []ginsession.SessionLimitPolicy{ginsession.SessionLimitEvictOldest, ginsession.SessionLimitRefuseNew} {
		name := string(p)
		if p == ginsession.SessionLimitEvictOldest {
			name = "evict-oldest"
		}
		t.Run(name, func(t *testing.T) { f(t, p) })
	}
}

// expiryOf is the stored session's expiry as GetSessionInfo gives it.
func expiryOf(t *testing.T, e *env, handle string) time.Time {
	t.Helper()
	info, err := e.sessions.GetSessionInfo(t.Context(), handle)
	if err != nil {
		t.Fatalf("GetSessionInfo(%s): %v", handle, err)
	}
	return info.ExpiresAt
}

// A browser-session-only session's row lives BrowserSessionIdleTimeout
// past its creation and every refresh, never past MaxSessionAge; a
// remembered one keeps RefreshTokenTTL. Payload and data writes do not
// move it. The cookies keep no Expires, and the cleanup removes the row
// once it is over.
func TestBrowserSessionIdleStoredExpiry(t *testing.T) {
	e := newEnv(t, nil)
	start := e.clock.Now()
	for _, mode := range modes {
		c := e.newClient(mode)
		r := c.do("POST", "/signin", `{"user":"idle","sessionOnly":true}`)
		expectStatus(t, r, 200, "")
		if got := expiryOf(t, e, r.body["handle"].(string)); !got.Equal(start.Add(24 * time.Hour)) {
			t.Errorf("%s: browser-session-only expiry %v after sign-in, want 24h (the default)", mode, got.Sub(start))
		}
	}
	kept := e.newClient("cookie")
	keptHandle := kept.signIn("idle").body["handle"].(string)
	if got := expiryOf(t, e, keptHandle); !got.Equal(start.Add(100 * 24 * time.Hour)) {
		t.Errorf("remembered expiry %v, want RefreshTokenTTL", got.Sub(start))
	}

	c := e.newClient("cookie")
	handle := c.do("POST", "/signin", `{"user":"idle","sessionOnly":true}`).body["handle"].(string)
	e.clock.Advance(20 * time.Hour)
	r := c.do("POST", refreshPath, "")
	expectStatus(t, r, 200, "")
	if ck := onlySetCookie(t, r.header, "sRefreshToken"); !ck.Expires.IsZero() || ck.MaxAge != 0 {
		t.Errorf("refresh cookie of a browser-session-only session: %s", ck.Raw)
	}
	slid := e.clock.Now().Add(24 * time.Hour)
	if got := expiryOf(t, e, handle); !got.Equal(slid) {
		t.Errorf("after a refresh: expiry %v from now, want 24h", got.Sub(e.clock.Now()))
	}
	ctx := t.Context()
	if err := e.sessions.MergeIntoPayload(ctx, handle, map[string]any{"k": 1}); err != nil {
		t.Fatal(err)
	}
	if err := e.sessions.UpdateSessionData(ctx, handle, map[string]any{"k": 2}); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, c.do("POST", "/api/merge", `{"theme":"dark"}`), 200, "")
	if got := expiryOf(t, e, handle); !got.Equal(slid) {
		t.Errorf("payload and data writes moved the expiry to %v from now", got.Sub(e.clock.Now()))
	}

	// The browser closes. A day later the row is over, and the cleanup
	// removes it (and the other browser-session-only ones), not the
	// remembered session.
	e.clock.Advance(24*time.Hour + time.Second)
	if _, err := e.sessions.GetSessionInfo(ctx, handle); !errors.Is(err, ginsession.ErrSessionNotFound) {
		t.Errorf("GetSessionInfo past the idle lifetime: %v", err)
	}
	n, err := e.store.DeleteExpired(ctx, e.clock.Now())
	if err != nil || n != 3 {
		t.Errorf("DeleteExpired: %d rows (%v), want the 3 browser-session-only sessions", n, err)
	}
	expectSessionAlive(t, e, keptHandle)

	// A shorter timeout, and MaxSessionAge before it.
	short := newEnv(t, func(cfg *ginsession.Config) {
		cfg.BrowserSessionIdleTimeout = 2 * time.Hour
		cfg.MaxSessionAge = 3 * time.Hour
	})
	d := short.newClient("header")
	created := short.clock.Now()
	h := d.do("POST", "/signin", `{"user":"idle","sessionOnly":true}`).body["handle"].(string)
	if got := expiryOf(t, short, h); !got.Equal(created.Add(2 * time.Hour)) {
		t.Errorf("BrowserSessionIdleTimeout 2h: expiry %v", got.Sub(created))
	}
	short.clock.Advance(90 * time.Minute)
	expectStatus(t, d.do("POST", refreshPath, ""), 200, "")
	if got := expiryOf(t, short, h); !got.Equal(created.Add(3 * time.Hour)) {
		t.Errorf("refreshed 90m after sign-in: expiry %v after creation, want MaxSessionAge 3h", got.Sub(created))
	}
}

// The control: a browser-session-only session that keeps refreshing within
// the idle timeout lives on (for days), is listed, and counts towards the
// cap; one idle for longer is signed out at its next refresh.
func TestBrowserSessionIdleActiveSessionSurvives(t *testing.T) {
	bothPolicies(t, func(t *testing.T, policy ginsession.SessionLimitPolicy) {
		e := newEnv(t, func(cfg *ginsession.Config) {
			cfg.MaxSessionsPerUser = 2
			cfg.SessionLimitPolicy = policy
		})
		active := e.newClient("cookie")
		expectStatus(t, active.do("POST", "/signin", `{"user":"busy","sessionOnly":true}`), 200, "")
		e.clock.Advance(time.Second)
		other := e.newClient("header")
		expectStatus(t, other.do("POST", "/signin", `{"user":"busy","sessionOnly":true}`), 200, "")
		for range 5 {
			e.clock.Advance(23*time.Hour + 59*time.Minute)
			expectStatus(t, active.do("POST", refreshPath, ""), 200, "")
			expectStatus(t, other.do("POST", refreshPath, ""), 200, "")
		}
		expectStatus(t, active.do("GET", "/api/me", ""), 200, "")
		if list, err := e.sessions.ListSessions(t.Context(), "busy"); err != nil || len(list) != 2 {
			t.Fatalf("ListSessions after five days of use: %d (%v), want 2", len(list), err)
		}
		// Both are reachable, so both count.
		third := e.newClient("header")
		r := third.do("POST", "/signin", `{"user":"busy"}`)
		if policy == ginsession.SessionLimitRefuseNew {
			expectStatus(t, r, 409, "session limit reached")
			expectStatus(t, active.do("GET", "/api/me", ""), 200, "")
		} else {
			expectStatus(t, r, 200, "")
			expectStatus(t, active.do("GET", "/api/me", ""), 401, "unauthorised") // the oldest
		}
		// Idle for longer than the timeout: signed out at the next refresh.
		e.clock.Advance(24*time.Hour + time.Second)
		r = other.do("POST", refreshPath, "")
		expectStatus(t, r, 401, "unauthorised")
		expectHeadersCleared(t, r.header)
	})
}

// After both browsers close, the user signs in again once the idle timeout
// has passed, under either policy: the unreachable sessions are neither
// listed nor counted, and nothing is evicted for them.
func TestSessionCapUnreachableBrowserSessionsDoNotCount(t *testing.T) {
	bothPolicies(t, func(t *testing.T, policy ginsession.SessionLimitPolicy) {
		e := newEnv(t, func(cfg *ginsession.Config) {
			cfg.MaxSessionsPerUser = 2
			cfg.SessionLimitPolicy = policy
		})
		for range 2 {
			expectStatus(t, e.newClient("cookie").do("POST", "/signin", `{"user":"gone","sessionOnly":true}`), 200, "")
		}
		// Just inside the idle timeout they are still live (and counted).
		e.clock.Advance(24*time.Hour - time.Second)
		if list, _ := e.sessions.ListSessions(t.Context(), "gone"); len(list) != 2 {
			t.Fatalf("%d sessions listed before the idle timeout", len(list))
		}
		e.clock.Advance(2 * time.Second)
		if list, _ := e.sessions.ListSessions(t.Context(), "gone"); len(list) != 0 {
			t.Errorf("%d unreachable sessions listed after the idle timeout", len(list))
		}
		revoked := e.events.count(&e.events.revoked)
		for range 2 {
			expectStatus(t, e.newClient("cookie").do("POST", "/signin", `{"user":"gone","sessionOnly":true}`), 200, "")
		}
		if n := e.events.count(&e.events.revoked) - revoked; n != 0 {
			t.Errorf("%d sessions evicted for sessions that had ended", n)
		}
		if list, _ := e.sessions.ListSessions(t.Context(), "gone"); len(list) != 2 {
			t.Errorf("%d sessions listed, want the 2 new ones", len(list))
		}
	})
}

// capture mounts POST /signin-capture, which signs in as /signin does
// and keeps Create's error for the test before answering with HandleError.
func capture(e *env) *error {
	var got error
	e.router.POST("/signin-capture", func(c *ginContext) {
		var in struct {
			User string `json:"user"`
		}
		_ = c.BindJSON(&in)
		_, got = e.sessions.Create(c, in.User, nil, nil)
		if got != nil {
			e.sessions.HandleError(c, got)
			return
		}
		c.JSON(200, map[string]any{"status": "OK"})
	})
	return &got
}

// The refusal lists the user's sessions, as ListSessions would (oldest
// first, none marked current), and nobody else's; HandleError still
// answers a bare 409.
func TestSessionLimitErrorListsTheUsersSessions(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.MaxSessionsPerUser = 2
		cfg.SessionLimitPolicy = ginsession.SessionLimitRefuseNew
	})
	got := capture(e)
	laptop := e.newClient("cookie")
	created := e.clock.Now()
	laptopHandle := laptop.do("POST", "/signin", `{"user":"full","label":"Ann's laptop"}`, "User-Agent", "Firefox/140").body["handle"].(string)
	e.clock.Advance(time.Minute)
	phone := e.newClient("header")
	phoneHandle := phone.do("POST", "/signin", `{"user":"full","sessionOnly":true}`, "User-Agent", "MobileApp/2.1").body["handle"].(string)
	e.clock.Advance(time.Hour)
	expectStatus(t, phone.do("POST", refreshPath, "", "User-Agent", "MobileApp/2.2"), 200, "")
	e.newClient("header").signIn("someone-else")

	r := e.newClient("cookie").do("POST", "/signin-capture", `{"user":"full"}`)
	expectStatusAndBody(t, r, 409, `{"message":"session limit reached"}`)
	expectNoSessionCookies(t, r.header)
	err := *got
	if !errors.Is(err, ginsession.ErrSessionLimit) {
		t.Fatalf("errors.Is(%v, ErrSessionLimit) is false", err)
	}
	var limit *ginsession.SessionLimitError
	if !errors.As(err, &limit) {
		t.Fatalf("%T is not a *SessionLimitError", err)
	}
	if limit.UserID != "full" || len(limit.Sessions) != 2 {
		t.Fatalf("refusal for %q with %d sessions", limit.UserID, len(limit.Sessions))
	}
	want, err := e.sessions.ListSessions(t.Context(), "full")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(limit.Sessions, want) {
		t.Errorf("the refusal's sessions differ from ListSessions:\n%+v\n%+v", limit.Sessions, want)
	}
	l, p := limit.Sessions[0], limit.Sessions[1]
	if l.Handle != laptopHandle || p.Handle != phoneHandle || l.Current || p.Current {
		t.Errorf("handles %s, %s (current %v, %v), want the laptop's then the phone's, none current", l.Handle, p.Handle, l.Current, p.Current)
	}
	if l.DeviceLabel != "Ann's laptop" || l.LastUserAgent != "Firefox/140" || l.BrowserSessionOnly || !l.LastActiveAt.Equal(created) {
		t.Errorf("laptop: %+v", l)
	}
	if p.LastUserAgent != "MobileApp/2.2" || !p.BrowserSessionOnly || !p.LastActiveAt.Equal(created.Add(time.Minute+time.Hour)) {
		t.Errorf("phone: %+v", p)
	}
}

// Signing out one device from the refusal's list makes room: the app
// revokes it by handle with RevokeUserSession (no session needed), which
// refuses handles of other users, and the sign-in goes through. Under
// evict-oldest the freed place means nothing is evicted.
func TestSessionLimitRevokeOneThenSignIn(t *testing.T) {
	bothPolicies(t, func(t *testing.T, policy ginsession.SessionLimitPolicy) {
		e := newEnv(t, func(cfg *ginsession.Config) {
			cfg.MaxSessionsPerUser = 2
			cfg.SessionLimitPolicy = policy
		})
		ctx := t.Context()
		a, b := e.newClient("cookie"), e.newClient("header")
		aHandle := a.signIn("rev").body["handle"].(string)
		e.clock.Advance(time.Second)
		b.signIn("rev")
		stranger := e.newClient("header")
		strangerHandle := stranger.signIn("stranger").body["handle"].(string)

		for _, h := range []string{strangerHandle, "not-a-handle", ""} {
			if ok, err := e.sessions.RevokeUserSession(ctx, "rev", h); ok || err != nil {
				t.Errorf("RevokeUserSession(rev, %q) = %v, %v; want false, nil", h, ok, err)
			}
		}
		expectStatus(t, stranger.do("GET", "/api/me", ""), 200, "")

		if policy == ginsession.SessionLimitRefuseNew {
			expectStatus(t, e.newClient("cookie").do("POST", "/signin", `{"user":"rev"}`), 409, "session limit reached")
		}
		revoked := e.events.count(&e.events.revoked)
		if ok, err := e.sessions.RevokeUserSession(ctx, "rev", aHandle); !ok || err != nil {
			t.Fatalf("RevokeUserSession(rev, own handle) = %v, %v", ok, err)
		}
		if ok, _ := e.sessions.RevokeUserSession(ctx, "rev", aHandle); ok {
			t.Error("revoked twice")
		}
		expectStatus(t, a.do("GET", "/api/me", ""), 401, "unauthorised")
		expectStatus(t, a.do("POST", refreshPath, ""), 401, "unauthorised")

		c := e.newClient("cookie")
		c.signIn("rev")
		expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
		expectStatus(t, b.do("GET", "/api/me", ""), 200, "")
		if n := e.events.count(&e.events.revoked) - revoked; n != 1 {
			t.Errorf("%d Revoked events, want 1 (the device signed out; nothing evicted)", n)
		}
	})
}

// Rows past MaxSessionAge with a later stored expiry (written before
// MaxSessionAge was set or shortened) are over and not listed, yet the
// store counts them: a refusal by them would list nothing to sign out.
// The refusal deletes them and the sign-in goes through.
func TestSessionLimitSessionsPastMaxAgeDoNotLockOut(t *testing.T) {
	st := openSQLite(t)
	clk := newClock()
	before := newEnvOn(t, st, clk, nil)
	after := newEnvOn(t, st, clk, func(cfg *ginsession.Config) {
		cfg.APIDomain = before.server.URL
		cfg.MaxSessionAge = time.Hour
		cfg.MaxSessionsPerUser = 1
		cfg.SessionLimitPolicy = ginsession.SessionLimitRefuseNew
	})
	old := before.newClient("header")
	old.signIn("veteran")
	clk.Advance(2 * time.Hour)
	fresh := after.newClient("header")
	fresh.signIn("veteran")
	if list, err := after.sessions.ListSessions(t.Context(), "veteran"); err != nil || len(list) != 1 {
		t.Errorf("ListSessions: %d (%v), want the new session", len(list), err)
	}
	// The cap still holds for live sessions.
	r := after.newClient("header").do("POST", "/signin", `{"user":"veteran"}`)
	expectStatus(t, r, 409, "session limit reached")
}

// BrowserSessionIdleTimeout: the default follows a long AccessTokenTTL and
// never exceeds RefreshTokenTTL; nonsense values are refused naming the
// field.
func TestBrowserSessionIdleConfig(t *testing.T) {
	for _, c := range []struct {
		name        string
		access, rtt time.Duration
		want        time.Duration
	}{
		{"long access tokens", 20 * time.Hour, 0, 40 * time.Hour},
		{"short refresh tokens", 0, 10 * time.Hour, 10 * time.Hour},
	} {
		e := newEnv(t, func(cfg *ginsession.Config) {
			cfg.AccessTokenTTL, cfg.RefreshTokenTTL = c.access, c.rtt
		})
		start := e.clock.Now()
		h := e.newClient("header").do("POST", "/signin", `{"user":"cfg","sessionOnly":true}`).body["handle"].(string)
		if got := expiryOf(t, e, h).Sub(start); got != c.want {
			t.Errorf("%s: default idle lifetime %v, want %v", c.name, got, c.want)
		}
	}
	st := openSQLite(t)
	for _, cfg := range []ginsession.Config{
		{BrowserSessionIdleTimeout: -time.Hour},
		{BrowserSessionIdleTimeout: time.Hour}, // = the default AccessTokenTTL
		{BrowserSessionIdleTimeout: time.Minute, AccessTokenTTL: 2 * time.Minute},
		{BrowserSessionIdleTimeout: 200 * 24 * time.Hour}, // > the default RefreshTokenTTL
		{BrowserSessionIdleTimeout: 3 * time.Hour, RefreshTokenTTL: 2 * time.Hour},
	} {
		cfg.Store, cfg.APIDomain = st, "https://api.example.com"
		if _, err := newWithoutPanic(t, cfg); err == nil || !strings.Contains(err.Error(), "Config.BrowserSessionIdleTimeout") {
			t.Errorf("BrowserSessionIdleTimeout %v (AccessTokenTTL %v, RefreshTokenTTL %v): %v", cfg.BrowserSessionIdleTimeout, cfg.AccessTokenTTL, cfg.RefreshTokenTTL, err)
		}
	}
	for _, ok := range []ginsession.Config{
		{BrowserSessionIdleTimeout: time.Hour + time.Second},
		{BrowserSessionIdleTimeout: 100 * 24 * time.Hour}, // = RefreshTokenTTL: no shorter lifetime
	} {
		ok.Store, ok.APIDomain = st, "https://api.example.com"
		if _, err := newWithoutPanic(t, ok); err != nil {
			t.Errorf("BrowserSessionIdleTimeout %v refused: %v", ok.BrowserSessionIdleTimeout, err)
		}
	}
}
