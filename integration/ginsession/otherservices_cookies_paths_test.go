package ginsession_test

// The legacy sIdRefreshToken clear (its attributes and domains), and
// APIBasePath values that would break the discovery document's jwks_uri
// or panic at Register.

import (
	"net/http"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// legacyClears returns the Set-Cookie lines that expire sIdRefreshToken.
func legacyClears(h http.Header) []*http.Cookie {
	var out []*http.Cookie
	for _, ck := range setCookies(h) {
		if ck.Name == "sIdRefreshToken" && ck.Value == "" && ck.Path == "/" && ck.Expires.Before(time.Unix(1, 0)) {
			out = append(out, ck)
		}
	}
	return out
}

// Older SDKs never set Partitioned cookies (sIdRefreshToken predates
// CHIPS). A partitioned cookie's key includes its partition, so a
// Set-Cookie with Partitioned only replaces or removes a partitioned
// cookie: with CookiePartitioned on, every clear ginsession writes for
// sIdRefreshToken carries Partitioned, and the browser keeps the
// unpartitioned legacy cookie it was meant to remove.
func TestOtherServicesLegacyCookieClearIsUnpartitioned(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.APIDomain = "https://api.example.com"
		cfg.CookieSecure = boolPtr(true)
		cfg.CookiePartitioned = true
	})
	legacy := "sIdRefreshToken=3c1f7e8a-old-sdk"
	tk, r := rawSignIn(t, e.server.URL, "cookie", "leo", "", "Cookie", legacy)
	check := func(what string, h http.Header) {
		t.Helper()
		clears := legacyClears(h)
		if len(clears) == 0 {
			t.Fatalf("%s: sIdRefreshToken not cleared at all: %v", what, h.Values("Set-Cookie"))
		}
		for _, ck := range clears {
			if !ck.Partitioned {
				return // an unpartitioned clear: it matches the legacy cookie
			}
		}
		t.Errorf("%s: every sIdRefreshToken clear is Partitioned, so the unpartitioned legacy cookie stays: %v", what, h.Values("Set-Cookie"))
	}
	check("sign-in", r.header)
	r = sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session", "Cookie", "sRefreshToken="+tk.refresh+"; "+legacy)
	expectStatus(t, r, 200, "")
	check("refresh", r.header)
}

// OlderCookieDomain says where the cookies of the previous configuration
// live. The legacy cookie is the oldest of them: when the app moved from a
// domain cookie (".example.test") to host-only cookies, sIdRefreshToken
// sits on example.test, and a host-only clear does not remove it (a
// cookie's key includes its domain). The clear is written on CookieDomain
// and host-only only.
func TestOtherServicesLegacyCookieClearedOnOlderCookieDomain(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.APIDomain = "http://api.example.test"
		cfg.OlderCookieDomain = ".example.test"
	})
	legacy := "sIdRefreshToken=3c1f7e8a-old-sdk"
	_, r := rawSignIn(t, e.server.URL, "cookie", "leo", "", "Cookie", legacy)
	clears := legacyClears(r.header)
	if len(clears) == 0 {
		t.Fatalf("sIdRefreshToken not cleared at all: %v", r.header.Values("Set-Cookie"))
	}
	for _, ck := range clears {
		if ck.Domain == "example.test" {
			return
		}
	}
	t.Errorf("sIdRefreshToken not cleared on the older cookie domain example.test: %v", r.header.Values("Set-Cookie"))
}

// APIBasePath is validated against ?#;, and spaces only. Characters with a
// meaning to gin's router or to URL decoding pass: "*" makes Register
// panic; ":" mounts parameter routes (so the public-path check of
// Sessions.CORS never matches, and the discovery issuer is "…/:t/auth");
// "%20" mounts routes no request reaches (gin matches the decoded path), so
// the discovery document's jwks_uri, and the discovery document itself at
// issuer + "/.well-known/openid-configuration", are unreachable.
// (Partly older than the change: the refresh route had the same problem.)
func TestOtherServicesAPIBasePathWithRouteSyntaxRefused(t *testing.T) {
	for _, bp := range []string{"/auth/*rest", "/:tenant/auth", "/a%20b"} {
		t.Run(bp, func(t *testing.T) {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("Register panicked: %v", p)
				}
			}()
			r := gin.New()
			_, err := ginsession.Register(r, ginsession.Config{Store: openSQLite(t), APIDomain: "https://api.example.com", APIBasePath: bp})
			if err == nil {
				t.Errorf("APIBasePath %q accepted: routes %v", bp, r.Routes())
			}
		})
	}
}

// The consequence of "%" in APIBasePath for other services: the discovery
// document is mounted under the escaped text, but gin matches the decoded
// path, so neither it (at issuer + "/.well-known/openid-configuration",
// where go-oidc looks) nor the JWKS is reachable.
func TestOtherServicesDiscoveryReachableWithEscapedBasePath(t *testing.T) {
	r := gin.New()
	srv := newServerFor(t, r)
	if _, err := ginsession.Register(r, ginsession.Config{Store: openSQLite(t), APIDomain: srv, APIBasePath: "/a%20b"}); err != nil {
		t.Skipf("refused at Register (the fix): %v", err)
	}
	for _, p := range []string{"/a%20b/.well-known/openid-configuration", "/a%20b/jwt/jwks.json"} {
		if got := sendRaw(t, srv, "GET", p, ""); got.status != 200 {
			t.Errorf("GET %s (issuer-relative, as a verifier builds it): %d", p, got.status)
		}
	}
}
