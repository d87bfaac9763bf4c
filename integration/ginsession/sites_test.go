package ginsession_test

import (
	"net/http"
	"testing"

	"github.com/ginsession/ginsession/ginsession"
)

// A page on http://127.0.0.1:5173 calling an API on http://localhost:8080
// is cross-site to a browser: its cookies need SameSite=None to travel, and
// auto anti-CSRF must demand the rid header on a cookie POST.
func TestSitesLocalhostAnd127AreCrossSite(t *testing.T) {
	for _, tc := range []struct {
		name      string
		api, site string
		sameSite  http.SameSite
		needsRID  bool
	}{
		{"127.0.0.1 page, localhost API", "http://localhost:8080", "http://127.0.0.1:5173", http.SameSiteNoneMode, true},
		{"localhost page, 127.0.0.1 API", "http://127.0.0.1:8080", "http://localhost:5173", http.SameSiteNoneMode, true},
		{"127.0.0.2 page, 127.0.0.1 API", "http://127.0.0.1:8080", "http://127.0.0.2:5173", http.SameSiteNoneMode, true},
		{"[::1] page, localhost API", "http://localhost:8080", "http://[::1]:5173", http.SameSiteNoneMode, true},
		{"control: localhost page, localhost API", "http://localhost:8080", "http://localhost:5173", http.SameSiteLaxMode, false},
		{"control: 127.0.0.1 page, 127.0.0.1 API", "http://127.0.0.1:8080", "http://127.0.0.1:5173", http.SameSiteLaxMode, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(cfg *ginsession.Config) {
				cfg.APIDomain = tc.api
				cfg.WebsiteDomain = tc.site
			})
			origin := []string{"Origin", tc.site}
			tk, r := rawSignIn(t, e.server.URL, "cookie", "u1", "", origin...)
			for _, name := range []string{"sAccessToken", "sRefreshToken"} {
				ck := onlySetCookie(t, r.header, name)
				if ck.SameSite != tc.sameSite || ck.Secure {
					t.Errorf("%s: %s, want SameSite %v without Secure", name, ck.Raw, tc.sameSite)
				}
			}
			cookie := []string{"st-auth-mode", "cookie", "Cookie", "sAccessToken=" + tk.access}
			noRID := sendRaw(t, e.server.URL, "POST", "/api/me", "", append(cookie, origin...)...)
			withRID := sendRaw(t, e.server.URL, "POST", "/api/me", "", append(append(cookie, origin...), "rid", "anti-csrf")...)
			expectStatus(t, withRID, 200, "")
			if tc.needsRID {
				expectStatus(t, noRID, 401, "try refresh token")
			} else {
				expectStatus(t, noRID, 200, "")
			}
			// A GET needs no rid either way.
			expectStatus(t, sendRaw(t, e.server.URL, "GET", "/api/me", "", append(cookie, origin...)...), 200, "")
		})
	}
}
