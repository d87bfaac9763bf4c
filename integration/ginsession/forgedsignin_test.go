package ginsession_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// A form on another site can POST to the app's sign-in route, and where the
// session cookies are SameSite=None (Partitioned, or any cross-site setup)
// the browser attaches them. Such a request sends neither st-auth-mode nor
// rid, so it counts as header mode; it must neither clear the victim's
// cookies (a sign-out by any site) nor replace them. Under VIA_TOKEN the
// same holds for a sibling subdomain, whose forms carry even Lax cookies.

// forgedSetups are the cookie setups a cross-site (or same-site) form
// reaches with the victim's cookies attached.
var forgedSetups = map[string]func(*ginsession.Config){
	"Partitioned": func(cfg *ginsession.Config) {
		cfg.APIDomain = "https://api.example.com"
		cfg.CookieSecure = boolPtr(true)
		cfg.CookiePartitioned = true
	},
	"SameSite none": func(cfg *ginsession.Config) {
		cfg.APIDomain = "https://api.example.com"
		cfg.WebsiteDomain = "https://app.example.org"
		cfg.CookieSecure = boolPtr(true)
		cfg.CookieSameSite = "none"
	},
	"VIA_TOKEN": func(cfg *ginsession.Config) {
		cfg.AntiCSRF = ginsession.AntiCSRFViaToken
	},
}

// mountForgeableCreators adds the other two ways to create a session
// beside /signin (Create): CreateFromAnonymous and CreateAnonymous.
func mountForgeableCreators(e *env) {
	s := e.sessions
	e.router.POST("/signin-carry", func(c *gin.Context) {
		var in struct {
			User string `json:"user"`
		}
		if err := c.BindJSON(&in); err != nil {
			return
		}
		sess, err := s.CreateFromAnonymous(c, in.User, nil, nil)
		if err != nil {
			s.HandleError(c, err)
			return
		}
		c.JSON(200, gin.H{"status": "OK", "handle": sess.Handle()})
	})
	e.router.POST("/visit", func(c *gin.Context) {
		sess, err := s.CreateAnonymous(c, nil, nil)
		if err != nil {
			s.HandleError(c, err)
			return
		}
		c.JSON(200, gin.H{"status": "OK", "handle": sess.Handle()})
	})
}

// forgedPost is what an auto-submitted <form method=POST
// enctype=text/plain> on evil.test sends: a JSON-looking body, the
// victim's cookies, no custom header. extra adds headers.
func forgedPost(t *testing.T, e *env, path, cookies string, extra ...string) *resp {
	t.Helper()
	req, err := http.NewRequest("POST", e.server.URL+path, strings.NewReader(`{"user":"mallory","x":"=y"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Origin", "https://evil.test")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Cookie", cookies)
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	r, err := roundTrip(plainHTTP, req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// expectSessionCookiesUntouched fails if the response writes or clears a
// session cookie.
func expectSessionCookiesUntouched(t *testing.T, r *resp) {
	t.Helper()
	for _, ck := range setCookies(r.header) {
		if ck.Name == "sAccessToken" || ck.Name == "sRefreshToken" {
			t.Errorf("a forged request touched the victim's cookies: %s", ck.Raw)
		}
	}
}

func TestForgedSignInLeavesTheVictimsCookies(t *testing.T) {
	for name, setup := range forgedSetups {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, setup)
			mountForgeableCreators(e)
			victim, _ := rawSignIn(t, e.server.URL, "cookie", "victim", "")
			cookies := "sAccessToken=" + victim.access + "; sRefreshToken=" + victim.refresh
			for _, path := range []string{"/signin", "/signin-carry", "/visit"} {
				r := forgedPost(t, e, path, cookies)
				expectSessionCookiesUntouched(t, r)
			}
			// The victim is still signed in with the same cookies.
			h := []string{"Cookie", "sAccessToken=" + victim.access, "rid", "anti-csrf", "anti-csrf", victim.csrf}
			expectStatus(t, sendRaw(t, e.server.URL, "POST", "/api/me", "", h...), 200, "")
			expectSessionAlive(t, e, victim.handle)
		})
	}
}

// A transfer method the app forces to cookies (or a forged st-auth-mode
// that CORS let through) would write the attacker's session over the
// victim's: that sign-in is refused, and nothing is stored.
func TestForgedSignInCookieModeRefused(t *testing.T) {
	for name, setup := range forgedSetups {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, func(cfg *ginsession.Config) {
				setup(cfg)
				cfg.GetTransferMethod = func(*gin.Context, bool) ginsession.TransferMethod { return ginsession.TransferCookie }
			})
			mountForgeableCreators(e)
			victim, _ := rawSignIn(t, e.server.URL, "cookie", "victim", "")
			cookies := "sAccessToken=" + victim.access + "; sRefreshToken=" + victim.refresh
			for _, path := range []string{"/signin", "/signin-carry", "/visit"} {
				r := forgedPost(t, e, path, cookies)
				expectStatus(t, r, 401, "try refresh token")
				expectSessionCookiesUntouched(t, r)
			}
			if list, err := e.sessions.ListSessions(t.Context(), "mallory"); err != nil || len(list) != 0 {
				t.Errorf("mallory's sessions after refused sign-ins: %d (err %v)", len(list), err)
			}
		})
	}
}

// The control: the app's own frontend proves itself (rid; under VIA_TOKEN
// also the session's anti-csrf token alone), and then a header-mode
// sign-in clears the older cookie session and a cookie-mode one replaces
// it, as before.
func TestForgedSignInProvenRequestsStillReplace(t *testing.T) {
	for name, setup := range forgedSetups {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, setup)
			victim, _ := rawSignIn(t, e.server.URL, "cookie", "victim", "")
			cookies := "sAccessToken=" + victim.access + "; sRefreshToken=" + victim.refresh
			// (Sent by the app's own page: no cross-site Origin.)
			app := []string{"Origin", e.sessions.FrontendOrigin(nil), "Sec-Fetch-Site", "same-origin"}
			proof := append(app, "rid", "anti-csrf")
			if victim.csrf != "" {
				proof = append(app, "anti-csrf", victim.csrf)
			}
			r := forgedPost(t, e, "/signin", cookies, proof...)
			expectStatus(t, r, 200, "")
			if ck := findCookie(r.header, "sAccessToken"); ck == nil || ck.Value != "" {
				t.Errorf("header-mode sign-in with proof: the older cookie session is not cleared (%v)", ck)
			}
			r = forgedPost(t, e, "/signin", cookies, append(proof, "st-auth-mode", "cookie")...)
			expectStatus(t, r, 200, "")
			if ck := findCookie(r.header, "sAccessToken"); ck == nil || ck.Value == "" || ck.Value == victim.access {
				t.Errorf("cookie-mode sign-in with proof: no new session cookie (%v)", ck)
			}
		})
	}
}

// Under VIA_TOKEN a wrong anti-csrf token is no proof, and a frontend that
// lost its token but sends the SDK's rid header can still sign in again
// (no form can send it).
func TestForgedSignInViaTokenProof(t *testing.T) {
	e := newEnv(t, forgedSetups["VIA_TOKEN"])
	victim, _ := rawSignIn(t, e.server.URL, "cookie", "victim", "")
	other, _ := rawSignIn(t, e.server.URL, "cookie", "other", "")
	cookies := "sAccessToken=" + victim.access + "; sRefreshToken=" + victim.refresh
	for _, bad := range []string{"nope", other.csrf, victim.csrf[:len(victim.csrf)-1]} {
		r := forgedPost(t, e, "/signin", cookies, "anti-csrf", bad)
		expectStatus(t, r, 200, "")
		expectSessionCookiesUntouched(t, r)
		r = forgedPost(t, e, "/signin", cookies, "anti-csrf", bad, "st-auth-mode", "cookie")
		expectStatus(t, r, 401, "try refresh token")
		expectSessionCookiesUntouched(t, r)
	}
	r := forgedPost(t, e, "/signin", cookies, "Origin", e.sessions.FrontendOrigin(nil), "Sec-Fetch-Site", "same-origin", "rid", "anti-csrf", "st-auth-mode", "cookie")
	expectStatus(t, r, 200, "")
	if ck := findCookie(r.header, "sAccessToken"); ck == nil || ck.Value == "" {
		t.Errorf("sign-in with rid after a lost anti-csrf token: no new session cookie (%v)", ck)
	}
}
