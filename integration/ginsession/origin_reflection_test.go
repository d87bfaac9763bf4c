package ginsession_test

// The Origin header is never reflected (SECURITY.md section B: transport,
// CSRF, CORS, origin). Most rows of section B are
// docs/protocol.md rules too, and their tests live with the protocol's:
//
//   - token in cookie and in Authorization: the header wins; no identity
//     mixing → TestTransportHeaderWins (verify and refresh, every
//     st-auth-mode).
//   - attacker's valid token in the header, victim's cookie: identity is the
//     header token's → TestTransportHeaderWins (user-B's header over
//     user-A's cookie).
//   - cookie auth, state-changing request, no rid (VIA_CUSTOM_HEADER) or wrong
//     anti-csrf (VIA_TOKEN): rejected before the handler runs →
//     TestProtocolVerifyTryRefresh/cookie/anti-csrf *,
//     TestTransportAntiCSRF, TestTransportAntiCSRFAutoSeveralOrigins;
//     fuzzed by FuzzAntiCSRF.
//   - anti-CSRF token from another session, empty, different case →
//     TestTransportAntiCSRF/VIA_TOKEN (the compare is
//     subtle.ConstantTimeCompare, verify.go); FuzzAntiCSRF.
//   - GET on refresh or sign-out → TestTransportGETOnSessionRoutes.
//   - cross-site POST to refresh without CSRF proof: the session is not
//     revoked → TestTransportAntiCSRF/auto, cross-site,
//     TestTransportAntiCSRFAutoSeveralOrigins/refresh without rid.
//   - origin function given evil, null, empty, suffix tricks, wrong scheme or
//     port, CR/LF → FuzzOriginFor (seeded with each),
//     TestTransportSameSitePerOrigin; two Origin headers and reflection
//     through whole responses → TestOriginNeverReflected below.
//   - CORS preflight from an unlisted origin → TestCORSPreflightRefused,
//     TestCORSPreflightRefusedVaryOrigin.
//   - origin "*" plus credentials refused at construction →
//     TestCORSConfigRefused, TestConfigRejected ("WebsiteDomain *",
//     "Origins with *").
//   - cookieDomain IP, localhost, public suffix, with ; space port or scheme →
//     TestConfigRejected ("CookieDomain ..."), TestConfigValidateCookieDomain,
//     FuzzCookieDomain.
//   - SameSite=None without Secure (non-localhost) → TestConfigRejected
//     ("SameSite none without Secure", "auto SameSite resolves to none over
//     http").

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ginsession/ginsession/ginsession"
)

// SECURITY.md B: the origin function given two Origin headers, CR/LF, or
// near-misses of a configured origin only ever picks a configured origin,
// and no response ever reflects the request's Origin text: not in
// Access-Control-Allow-Origin, not in a cookie attribute, nowhere.
func TestOriginNeverReflected(t *testing.T) {
	const website, partner = "https://app.example.test", "https://partner.other.test"
	cors, err := ginsession.CORS(website, partner)
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(cfg *ginsession.Config) {
		cfg.APIDomain = "https://api.example.test"
		cfg.WebsiteDomain = website
		cfg.Origins = []string{partner}
	}
	setups := map[string]*miniServer{
		"ginsession alone":       startMiniServer(t, mutate),
		"behind ginsession.CORS": startMiniServer(t, mutate, cors),
	}
	cases := []struct {
		name     string
		origins  []string
		sameSite http.SameSite // of the issued cookies: None only for the partner
	}{
		{"the partner", []string{partner}, http.SameSiteNoneMode},
		{"the website", []string{website}, http.SameSiteLaxMode},
		{"partner then evil", []string{partner, "https://evil.test"}, http.SameSiteLaxMode},
		{"evil then partner", []string{"https://evil.test", partner}, http.SameSiteLaxMode},
		{"partner twice", []string{partner, partner}, http.SameSiteLaxMode},
		{"one header, two values", []string{partner + ", https://evil.test"}, http.SameSiteLaxMode},
		{"CR/LF header injection", []string{"https://evil.test\r\nSet-Cookie: sAccessToken=evil"}, http.SameSiteLaxMode},
		{"partner with CR/LF", []string{partner + "\r\n"}, http.SameSiteLaxMode},
		{"partner with a space", []string{partner + " "}, http.SameSiteLaxMode},
		{"partner upper-cased", []string{strings.ToUpper(partner)}, http.SameSiteLaxMode},
		{"partner as a suffix", []string{partner + ".evil.test"}, http.SameSiteLaxMode},
		{"partner, other port", []string{partner + ":444"}, http.SameSiteLaxMode},
		{"partner over http", []string{"http://partner.other.test"}, http.SameSiteLaxMode},
		{"null", []string{"null"}, http.SameSiteLaxMode},
		{"empty", []string{""}, http.SameSiteLaxMode},
	}
	for setup, m := range setups {
		for _, tc := range cases {
			t.Run(setup+"/"+tc.name, func(t *testing.T) {
				req := httptest.NewRequest("POST", "/signin", strings.NewReader(`{"user":"u1"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("st-auth-mode", "cookie")
				req.Header["Origin"] = tc.origins
				w := httptest.NewRecorder()
				m.router.ServeHTTP(w, req)
				// A page of another origin (or several Origin headers, which
				// no browser sends) gets no cookie session: login CSRF.
				foreign := !(len(tc.origins) == 1 && (tc.origins[0] == partner || tc.origins[0] == website || tc.origins[0] == ""))
				switch {
				case w.Code == http.StatusUnauthorized && foreign:
					if len(w.Header().Values("Set-Cookie")) != 0 {
						t.Errorf("refused sign-in wrote cookies: %v", w.Header())
					}
				case w.Code == 200 && foreign:
					t.Errorf("a cookie session was created for Origin %q", tc.origins)
				case w.Code == http.StatusForbidden && setup != "ginsession alone":
					// The CORS middleware refused the origin before the
					// handler ran: nothing issued, nothing allowed.
					if len(w.Header().Values("Set-Cookie")) != 0 || len(w.Header().Values("Access-Control-Allow-Origin")) != 0 {
						t.Errorf("refused request: %v", w.Header())
					}
				case w.Code != 200:
					t.Fatalf("sign-in: %d %s", w.Code, w.Body)
				default:
					for _, name := range []string{"sAccessToken", "sRefreshToken"} {
						ck := findCookie(w.Header(), name)
						if ck == nil || ck.SameSite != tc.sameSite {
							t.Errorf("%s: %v, want SameSite %v", name, ck, tc.sameSite)
						}
					}
				}
				// Only configured origins are ever returned.
				for _, v := range w.Header().Values("Access-Control-Allow-Origin") {
					if v != website && v != partner {
						t.Errorf("Access-Control-Allow-Origin %q", v)
					}
				}
				for k, vs := range w.Header() {
					for _, v := range vs {
						lv := strings.ToLower(v)
						if strings.Contains(lv, "evil") || strings.ContainsAny(v, "\r\n") || (k != "Access-Control-Allow-Origin" && strings.Contains(lv, "partner")) {
							t.Errorf("response header %s: %q reflects the request's Origin", k, v)
						}
					}
				}
			})
		}
	}
}
