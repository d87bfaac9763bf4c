package ginsession_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// A route that demands VIA_TOKEN under the default (auto) mode: sessions
// must carry the anti-csrf token, or the SDK is told "try refresh token"
// before and after every refresh, forever.
func TestAntiCSRFPerRouteViaTokenUnderDefaultConfig(t *testing.T) {
	e := newEnv(t, nil)
	e.router.POST("/api/strict", e.sessions.Verify(ginsession.WithAntiCSRF(ginsession.AntiCSRFViaToken)), func(c *gin.Context) {
		c.JSON(200, gin.H{"userId": ginsession.FromContext(c).UserID()})
	})
	c := e.newClient("cookie")
	r := c.signIn("u1")
	if r.header.Get("anti-csrf") == "" {
		t.Fatal("sign-in issued no anti-csrf token although a route demands it")
	}
	expectStatus(t, c.do("POST", "/api/strict", ""), 200, "")
	// Without the token the route refuses (the SDK would refresh)...
	expectStatusAndBody(t, c.do("POST", "/api/strict", "", "anti-csrf", ""), 401, bodyTryRefresh)
	// ...and after a refresh the frontend holds a token that works.
	e.clock.Advance(time.Hour + time.Second)
	expectStatusAndBody(t, c.do("POST", "/api/strict", ""), 401, bodyTryRefresh)
	r = c.do("POST", "/auth/session/refresh", "")
	expectStatus(t, r, 200, "")
	if r.header.Get("anti-csrf") == "" {
		t.Error("refresh issued no anti-csrf token")
	}
	expectStatus(t, c.do("POST", "/api/strict", ""), 200, "")
}

// VIA_TOKEN in cookie mode: the refresh route requires the session's
// anti-csrf token, as SuperTokens does; a forged or stateless request that
// carries only the HttpOnly cookies is refused quietly (nothing cleared), and
// a first-visit probe without any token stays a quiet 401.
func TestAntiCSRFViaTokenRefreshChecksTheToken(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) { cfg.AntiCSRF = ginsession.AntiCSRFViaToken })
	tk, _ := rawSignIn(t, e.server.URL, "cookie", "u1", "")
	other, _ := rawSignIn(t, e.server.URL, "cookie", "u2", "")
	if tk.csrf == "" {
		t.Fatal("no anti-csrf token issued")
	}
	for name, csrf := range map[string]string{
		"missing":              "",
		"wrong":                "nope",
		"another session's":    other.csrf,
		"the token, truncated": tk.csrf[:len(tk.csrf)-1],
	} {
		t.Run(name, func(t *testing.T) {
			h := []string{"rid", "session", "st-auth-mode", "cookie", "Cookie", "sRefreshToken=" + tk.refresh}
			if csrf != "" {
				h = append(h, "anti-csrf", csrf)
			}
			r := sendRaw(t, e.server.URL, "POST", refreshPath, "", h...)
			expectStatusAndBody(t, r, 401, bodyUnauthorised)
			expectTokensUntouched(t, r)
		})
	}
	expectSessionAlive(t, e, tk.handle)
	// The probe: no token at all.
	r := sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session")
	expectStatusAndBody(t, r, 401, bodyUnauthorised)
	expectTokensUntouched(t, r)
	// With the token the refresh works and the token stays the session's.
	r = sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session", "st-auth-mode", "cookie", "anti-csrf", tk.csrf, "Cookie", "sRefreshToken="+tk.refresh)
	expectStatus(t, r, 200, "")
	if got := r.header.Get("anti-csrf"); got != tk.csrf {
		t.Errorf("anti-csrf after refresh %q, want %q", got, tk.csrf)
	}
	// Header mode has no ambient credentials: no anti-csrf token needed.
	h, _ := rawSignIn(t, e.server.URL, "header", "u3", "")
	r = sendWithToken(t, e.server.URL, "header", "POST", refreshPath, "", h.refresh)
	expectStatus(t, r, 200, "")
}

// A request never changes the engine: a handler that calls GetSession with
// WithAntiCSRF(AntiCSRFViaToken) on an engine whose sessions carry no
// anti-csrf token gets an error saying how to configure it, and sessions
// created afterwards still carry none. (Found in issue 23: the first such
// request used to switch the token on for every session of the engine.)
func TestAntiCSRFGetSessionViaTokenChangesNothing(t *testing.T) {
	e := newEnv(t, nil)
	errs := make(chan error, 1)
	e.router.POST("/api/upgrade", func(c *gin.Context) {
		_, err := e.sessions.GetSession(c, ginsession.WithAntiCSRF(ginsession.AntiCSRFViaToken))
		errs <- err
		if err != nil {
			e.sessions.HandleError(c, err)
			return
		}
		c.Status(200)
	})
	c := e.newClient("cookie")
	c.signIn("u1")
	expectStatus(t, c.do("POST", "/api/upgrade", ""), 500, "")
	if err := <-errs; err == nil || !strings.Contains(err.Error(), "Config.AntiCSRF") {
		t.Fatalf("GetSession answered %v, want the configuration error", err)
	}
	if r := e.newClient("cookie").signIn("u2"); r.header.Get("anti-csrf") != "" {
		t.Fatal("a sign-in after that request carries an anti-csrf token: the request changed the engine")
	}
}
