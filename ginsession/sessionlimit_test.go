package ginsession_test

// The per-user cap must never lock out a user who proves who they are
// (issue 21, item 2): sessions nobody can reach stop counting, and a
// refusal carries the sessions it counted so the app can offer "sign out a
// device and continue".

import (
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
)

// The reported lockout. Cap 2, SessionLimitRefuseNew; two sign-ins with
// BrowserSessionOnly; both browsers close, taking their cookies with them.
// Before the fix each row kept the full sliding expiry (RefreshTokenTTL,
// 100 days), so a month later the user's fresh sign-in was refused (409)
// by two sessions nobody could reach, and ListSessions still showed them.
func TestSessionCapRegression_RefuseNewLockoutByClosedBrowsers(t *testing.T) {
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
func TestSessionCapRegression_EvictOldestEvictsActiveForUnreachable(t *testing.T) {
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
