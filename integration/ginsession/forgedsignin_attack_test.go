package ginsession_test

import (
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// Outside review, round 3 (issue 21 item 1): a forged sign-in that carries
// no session cookie is let through cookiesMayChange ("it carries none"),
// and when the app creates sessions in cookie mode (GetTransferMethod
// returning TransferCookie, the setup TestForgedSignInCookieModeRefused
// guards for victims whose cookies are attached) it writes the attacker's
// session cookies.
//
// That is the usual case, not a corner: with the default SameSite=Lax
// (frontend and API on one site, anti-CSRF NONE) a cross-site form POST
// carries none of the victim's Lax cookies, and the response of a
// top-level navigation may set cookies of any SameSite value (RFC 6265bis
// 5.7, "Top-level navigations can create a cookie with any SameSite
// value"). So evil.test auto-submits <form method=POST target=_top
// enctype=text/plain action=https://api/signin> with the attacker's
// credentials, and the victim's sAccessToken/sRefreshToken are overwritten
// by Mallory's (same name, domain and path): the victim is now signed in as
// the attacker (login CSRF: what they save, upload or pay goes to
// Mallory's account). A signed-out victim is signed into Mallory's account
// the same way in every setup below.
//
// Safe outcome: a cookie-mode session creation by a state-changing
// request without anti-CSRF proof (rid; the session's anti-csrf token under
// VIA_TOKEN) writes no session cookie, whether or not the request carries
// cookies: refused as the attached-cookie case is (401 try refresh token),
// nothing stored.
func TestForgedSignInAttackCookieModeWithoutVictimCookiesSignsIntoAttacker(t *testing.T) {
	setups := map[string]func(*ginsession.Config){
		"Lax (default, same site)": func(*ginsession.Config) {},
	}
	for name, s := range forgedSetups {
		setups[name] = s
	}
	for name, setup := range setups {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, func(cfg *ginsession.Config) {
				setup(cfg)
				cfg.GetTransferMethod = func(*gin.Context, bool) ginsession.TransferMethod { return ginsession.TransferCookie }
			})
			mountForgeableCreators(e)
			for _, path := range []string{"/signin", "/signin-carry"} {
				// No Cookie: a Lax victim's cookies stay home on a
				// cross-site POST (or the victim is signed out).
				r := forgedPost(t, e, path, "")
				if ck := findCookie(r.header, "sAccessToken"); ck != nil && ck.Value != "" {
					t.Errorf("%s: a forged cross-site sign-in wrote the attacker's session cookie (%d, %s)", path, r.status, ck.Raw)
				}
			}
			if list, err := e.sessions.ListSessions(t.Context(), "mallory"); err != nil || len(list) != 0 {
				t.Errorf("mallory's sessions after forged sign-ins: %d (err %v)", len(list), err)
			}
		})
	}
}
