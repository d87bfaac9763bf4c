package ginsession_test

// docs/protocol.md §2–§4 (response headers, cookies, transfer method, anti-CSRF)
// and §8 (JWKS), over real HTTP.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/gin-contrib/cors"
	"github.com/golang-jwt/jwt/v5"

	"github.com/ginsession/ginsession/ginsession"
)

func timesWithin(a, b time.Time, d time.Duration) bool {
	x := a.Sub(b)
	return x <= d && x >= -d
}

func TestTransportCookieAttributes(t *testing.T) {
	t.Run("same-site defaults", func(t *testing.T) {
		e := newEnv(t, nil)
		_, r := rawSignIn(t, e.server.URL, "cookie", "u1", "")
		now := e.clock.Now()
		a := onlySetCookie(t, r.header, "sAccessToken")
		if a.Path != "/" || !a.HttpOnly || a.Secure || a.Domain != "" || a.SameSite != http.SameSiteLaxMode {
			t.Errorf("sAccessToken attributes: %s", a.Raw)
		}
		if !timesWithin(a.Expires, now.AddDate(1, 0, 0), 24*time.Hour) {
			t.Errorf("sAccessToken Expires %v, want about a year after %v", a.Expires, now)
		}
		f := onlySetCookie(t, r.header, "sRefreshToken")
		if f.Path != refreshPath || !f.HttpOnly || f.Secure || f.Domain != "" || f.SameSite != http.SameSiteLaxMode {
			t.Errorf("sRefreshToken attributes: %s", f.Raw)
		}
		if !f.Expires.Equal(now.Add(100 * 24 * time.Hour)) {
			t.Errorf("sRefreshToken Expires %v, want the refresh expiry %v", f.Expires, now.Add(100*24*time.Hour))
		}
		if !strings.Contains(a.Raw, "HttpOnly") || !strings.Contains(a.Raw, "SameSite=Lax") {
			t.Errorf("raw Set-Cookie %q", a.Raw)
		}
		expectNoTokenHeaders(t, r.header)

		// Refresh slides the refresh cookie's expiry.
		e.clock.Advance(time.Hour)
		ref := sendWithToken(t, e.server.URL, "cookie", "POST", refreshPath, "sRefreshToken", f.Value)
		expectStatus(t, ref, 200, "")
		f2 := onlySetCookie(t, ref.header, "sRefreshToken")
		if want := e.clock.Now().Add(100 * 24 * time.Hour); !f2.Expires.Equal(want) || f2.Path != refreshPath {
			t.Errorf("refreshed sRefreshToken: Expires %v want %v (%s)", f2.Expires, want, f2.Raw)
		}
		a2 := onlySetCookie(t, ref.header, "sAccessToken")
		if a2.Path != "/" || !timesWithin(a2.Expires, e.clock.Now().AddDate(1, 0, 0), 24*time.Hour) {
			t.Errorf("refreshed sAccessToken %s", a2.Raw)
		}
	})

	cases := []struct {
		name       string
		mutate     func(cfg *ginsession.Config)
		sameSite   http.SameSite
		rawSite    string
		secure     bool
		acceptNone bool
	}{
		{"localhost frontend on 127.0.0.1 API is cross-site", func(cfg *ginsession.Config) {
			cfg.WebsiteDomain = "http://localhost:3000"
		}, http.SameSiteNoneMode, "SameSite=None", false, true},
		{"127.0.0.1 frontend on another port is same-site", func(cfg *ginsession.Config) {
			cfg.WebsiteDomain = "http://127.0.0.1:1"
		}, http.SameSiteLaxMode, "SameSite=Lax", false, false},
		{"https subdomains of one site are same-site", func(cfg *ginsession.Config) {
			cfg.APIDomain = "https://api.example.test"
			cfg.WebsiteDomain = "https://app.example.test"
		}, http.SameSiteLaxMode, "SameSite=Lax", true, false},
		{"frontend on another registrable domain is cross-site", func(cfg *ginsession.Config) {
			cfg.APIDomain = "https://api.example.test"
			cfg.WebsiteDomain = "https://app.other.test"
		}, http.SameSiteNoneMode, "SameSite=None", true, true},
		{"frontend on another scheme is cross-site", func(cfg *ginsession.Config) {
			s := true
			cfg.APIDomain = "https://api.example.test"
			cfg.WebsiteDomain = "http://app.example.test"
			cfg.CookieSecure = &s
		}, http.SameSiteNoneMode, "SameSite=None", true, true},
		{"explicit strict", func(cfg *ginsession.Config) {
			cfg.CookieSameSite = "strict"
		}, http.SameSiteStrictMode, "SameSite=Strict", false, false},
		{"explicit none between localhost origins needs no Secure", func(cfg *ginsession.Config) {
			cfg.WebsiteDomain = "http://localhost:3000"
			cfg.CookieSameSite = "none"
		}, http.SameSiteNoneMode, "SameSite=None", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.mutate)
			_, r := rawSignIn(t, e.server.URL, "cookie", "u1", "")
			for _, name := range []string{"sAccessToken", "sRefreshToken"} {
				ck := onlySetCookie(t, r.header, name)
				if ck.SameSite != tc.sameSite || !strings.Contains(ck.Raw, tc.rawSite) {
					t.Errorf("%s SameSite: %s, want %s", name, ck.Raw, tc.rawSite)
				}
				if ck.Secure != tc.secure {
					t.Errorf("%s Secure %v, want %v: %s", name, ck.Secure, tc.secure, ck.Raw)
				}
				if !ck.HttpOnly {
					t.Errorf("%s not HttpOnly", name)
				}
			}
			// Clearing uses the same attributes.
			r = sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session", "st-auth-mode", "cookie")
			expectStatus(t, r, 401, "unauthorised")
			for _, ck := range setCookies(r.header) {
				if ck.SameSite != tc.sameSite || ck.Secure != tc.secure {
					t.Errorf("clearing cookie attributes %s", ck.Raw)
				}
			}
		})
	}
}

func TestTransportCookieDomain(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.APIDomain = "http://api.example.test:8080"
		cfg.CookieDomain = ".Example.test"
	})
	tk, r := rawSignIn(t, e.server.URL, "cookie", "u1", "")
	for _, name := range []string{"sAccessToken", "sRefreshToken"} {
		ck := onlySetCookie(t, r.header, name)
		if ck.Domain != "example.test" || !strings.Contains(ck.Raw, "Domain=example.test") {
			t.Errorf("%s: Domain %q (%s), want example.test", name, ck.Domain, ck.Raw)
		}
	}
	// Refresh sets them on the domain too.
	ref := sendWithToken(t, e.server.URL, "cookie", "POST", refreshPath, "sRefreshToken", tk.refresh)
	expectStatus(t, ref, 200, "")
	for _, name := range []string{"sAccessToken", "sRefreshToken"} {
		if ck := onlySetCookie(t, ref.header, name); ck.Domain != "example.test" {
			t.Errorf("refresh %s: %s", name, ck.Raw)
		}
	}
	tk2 := tokensIn(t, ref, "cookie")
	// Clearing names the domain, or the browser would keep the cookies.
	out := sendWithToken(t, e.server.URL, "cookie", "POST", "/auth/signout", "sAccessToken", tk2.access)
	expectStatusAndBody(t, out, 200, `{"status":"OK"}`)
	if got := out.header.Get("front-token"); got != "remove" {
		t.Errorf("front-token %q", got)
	}
	expectCookiesCleared(t, out.header, "example.test")
	for _, ck := range setCookies(out.header) {
		if ck.Domain != "example.test" {
			t.Errorf("clearing without the configured domain: %s", ck.Raw)
		}
	}
	// A dead refresh cookie is cleared on the configured domain too.
	r = sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session", "Cookie", "sRefreshToken="+tk2.refresh) // signed out above
	expectStatus(t, r, 401, "unauthorised")
	expectCookiesCleared(t, r.header, "example.test")
}

// st-auth-mode is read in any case, as the SuperTokens backends read it: a
// client sending "Cookie" gets cookies, not headers. Found by a newcomer's
// trial with curl: "Cookie" quietly gave header mode.
func TestTransportAuthModeAnyCase(t *testing.T) {
	e := newEnv(t, nil)
	for _, mode := range []string{"Cookie", "COOKIE"} {
		r := sendRaw(t, e.server.URL, "POST", "/signin", `{"user":"u1"}`, "st-auth-mode", mode, "rid", "anti-csrf")
		expectStatus(t, r, 200, "")
		if got := r.header.Get("st-access-token"); got != "" {
			t.Errorf("st-auth-mode %q: the access token came in a header", mode)
		}
		if tk := tokensIn(t, r, "cookie"); tk.access == "" || tk.refresh == "" {
			t.Errorf("st-auth-mode %q: no session cookies: %q", mode, r.header.Values("Set-Cookie"))
		}
	}
	r := sendRaw(t, e.server.URL, "POST", "/signin", `{"user":"u1"}`, "st-auth-mode", "Header", "rid", "anti-csrf")
	if tk := tokensIn(t, r, "header"); tk.access == "" || len(r.header.Values("Set-Cookie")) != 0 {
		t.Errorf(`st-auth-mode "Header": %v`, r.header)
	}
}

func TestTransportHeaderMode(t *testing.T) {
	e := newEnv(t, nil)
	tk, r := rawSignIn(t, e.server.URL, "header", "u1", "")
	if tk.access == "" || tk.refresh == "" || tk.front == "" {
		t.Fatalf("header sign-in: %v", r.header)
	}
	if len(r.header.Values("Set-Cookie")) != 0 {
		t.Errorf("header mode set cookies: %q", r.header.Values("Set-Cookie"))
	}
	me := sendWithToken(t, e.server.URL, "header", "POST", "/api/me", "", tk.access)
	expectStatus(t, me, 200, "")
	if me.body["userId"] != "u1" {
		t.Errorf("verify: %s", me.raw)
	}
	ref := sendWithToken(t, e.server.URL, "header", "POST", refreshPath, "", tk.refresh)
	expectStatusAndBody(t, ref, 200, `{}`)
	tk2 := tokensIn(t, ref, "header")
	if tk2.refresh == "" || tk2.refresh == tk.refresh || tk2.front == "" {
		t.Errorf("header refresh: %v", ref.header)
	}
	if len(ref.header.Values("Set-Cookie")) != 0 {
		t.Errorf("header refresh set cookies: %q", ref.header.Values("Set-Cookie"))
	}
	// The access token is not a refresh token and vice versa.
	r = sendWithToken(t, e.server.URL, "header", "POST", refreshPath, "", tk2.access)
	expectStatusAndBody(t, r, 401, bodyUnauthorised)
	r = sendWithToken(t, e.server.URL, "header", "GET", "/api/me", "", tk2.refresh)
	expectStatusAndBody(t, r, 401, bodyUnauthorised)
	expectTokensUntouched(t, r)
	// "bearer" is case-insensitive.
	r = sendRaw(t, e.server.URL, "GET", "/api/me", "", "Authorization", "bearer "+tk2.access)
	expectStatus(t, r, 200, "")
}

func TestTransportFrontTokenStandardBase64(t *testing.T) {
	e := newEnv(t, nil)
	const weird = "~~~???>>>~~~~~~??????<&é"
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			_, r := rawSignIn(t, e.server.URL, mode, "~~~???>>>", `{"s":"`+weird+`"}`)
			ft := r.header.Get("front-token")
			if !regexp.MustCompile(`^[A-Za-z0-9+/]+={0,2}$`).MatchString(ft) || len(ft)%4 != 0 {
				t.Fatalf("front-token %q is not padded standard base64", ft)
			}
			// Runs of six '~' and six '?' always encode to '+' and '/'.
			if !strings.ContainsAny(ft, "+") || !strings.ContainsAny(ft, "/") {
				t.Fatalf("front-token %q should contain '+' and '/' (URL-safe encoding used?)", ft)
			}
			raw, err := base64.StdEncoding.Strict().DecodeString(ft)
			if err != nil {
				t.Fatal(err)
			}
			var front struct {
				UID string         `json:"uid"`
				ATE int64          `json:"ate"`
				UP  map[string]any `json:"up"`
			}
			if err := json.Unmarshal(raw, &front); err != nil {
				t.Fatalf("front-token JSON %q: %v", raw, err)
			}
			if front.UID != "~~~???>>>" || front.UP["s"] != weird || front.UP["sub"] != "~~~???>>>" {
				t.Errorf("front-token content %s", raw)
			}
			if front.ATE != e.clock.Now().Add(time.Hour).UnixMilli() {
				t.Errorf("ate %d, want %d", front.ATE, e.clock.Now().Add(time.Hour).UnixMilli())
			}
		})
	}
}

// The Authorization header wins over cookies (docs/protocol.md §4, SECURITY B).
func TestTransportHeaderWins(t *testing.T) {
	e := newEnv(t, nil)
	a, _ := rawSignIn(t, e.server.URL, "cookie", "user-A", "")
	b, _ := rawSignIn(t, e.server.URL, "header", "user-B", "")

	// The SDK sends st-auth-mode on every request; docs/protocol.md §4 says verify
	// and refresh accept either method whatever it says, and the header wins.
	for _, authMode := range []string{"", "header", "cookie"} {
		name := "st-auth-mode " + authMode
		if authMode == "" {
			name = "no st-auth-mode"
		}
		t.Run(name+"/verify", func(t *testing.T) {
			for _, m := range []string{"GET", "POST"} {
				h := []string{"rid", "anti-csrf", "Cookie", cookieHeader("sAccessToken", a.access), "Authorization", "Bearer " + b.access}
				if authMode != "" {
					h = append(h, "st-auth-mode", authMode)
				}
				r := sendRaw(t, e.server.URL, m, "/api/me", "", h...)
				expectStatus(t, r, 200, "")
				if r.body["userId"] != "user-B" {
					t.Errorf("%s %s: identity %v, want user-B (the header's)", name, m, r.body["userId"])
				}
			}
		})
	}

	t.Run("refresh with both responds in header mode and clears the cookies", func(t *testing.T) {
		r := sendRaw(t, e.server.URL, "POST", refreshPath, "",
			"rid", "session", "st-auth-mode", "header",
			"Cookie", cookieHeader("sAccessToken", a.access, "sRefreshToken", a.refresh),
			"Authorization", "Bearer "+b.refresh)
		expectStatusAndBody(t, r, 200, `{}`)
		nb := tokensIn(t, r, "header")
		if nb.refresh == "" || nb.refresh == b.refresh {
			t.Error("no new header refresh token")
		}
		if front := decodeFront(t, nb.front); front["uid"] != "user-B" {
			t.Errorf("refreshed identity %v", front["uid"])
		}
		expectCookiesCleared(t, r.header, "")
		for _, ck := range setCookies(r.header) {
			if ck.Value != "" {
				t.Errorf("refresh in header mode set a cookie: %s", ck.Raw)
			}
		}
		// A's session was not touched: its refresh token still rotates.
		ra := sendWithToken(t, e.server.URL, "cookie", "POST", refreshPath, "sRefreshToken", a.refresh)
		expectStatus(t, ra, 200, "")
		if decodeFront(t, ra.header.Get("front-token"))["uid"] != "user-A" {
			t.Errorf("A's refresh: %v", ra.header)
		}
	})
}

func TestTransportSignInTransferMethod(t *testing.T) {
	e := newEnv(t, nil)
	t.Run("missing st-auth-mode means header", func(t *testing.T) {
		r := sendRaw(t, e.server.URL, "POST", "/signin", `{"user":"u1"}`)
		expectStatus(t, r, 200, "")
		if r.header.Get("st-access-token") == "" || r.header.Get("st-refresh-token") == "" || r.header.Get("front-token") == "" {
			t.Errorf("no header tokens: %v", r.header)
		}
		if len(r.header.Values("Set-Cookie")) != 0 {
			t.Errorf("cookies set: %q", r.header.Values("Set-Cookie"))
		}
	})
	t.Run("unknown st-auth-mode means header", func(t *testing.T) {
		r := sendRaw(t, e.server.URL, "POST", "/signin", `{"user":"u1"}`, "st-auth-mode", "bogus")
		expectStatus(t, r, 200, "")
		if r.header.Get("st-access-token") == "" || len(r.header.Values("Set-Cookie")) != 0 {
			t.Errorf("bogus mode: %v", r.header)
		}
	})
	t.Run("cookie", func(t *testing.T) {
		tk, r := rawSignIn(t, e.server.URL, "cookie", "u1", "")
		if tk.refresh == "" {
			t.Error("no refresh cookie")
		}
		expectNoTokenHeaders(t, r.header)
	})
	t.Run("header sign-in clears cookies of an older session", func(t *testing.T) {
		old, _ := rawSignIn(t, e.server.URL, "cookie", "u1", "")
		r := sendRaw(t, e.server.URL, "POST", "/signin", `{"user":"u2"}`, "st-auth-mode", "header",
			"Cookie", cookieHeader("sAccessToken", old.access, "sRefreshToken", old.refresh))
		expectStatus(t, r, 200, "")
		expectCookiesCleared(t, r.header, "")
		if r.header.Get("st-access-token") == "" {
			t.Error("no header token")
		}
	})
}

func TestTransportExposeHeaders(t *testing.T) {
	const origin = "http://localhost:3000"
	withSite := func(cfg *ginsession.Config) { cfg.WebsiteDomain = origin }
	flow := func(t *testing.T, base string, check func(what string, h http.Header)) {
		t.Helper()
		tk, r := rawSignIn(t, base, "header", "u1", "", "Origin", origin)
		check("sign-in", r.header)
		r = sendWithToken(t, base, "header", "POST", refreshPath, "", tk.refresh, "Origin", origin)
		expectStatus(t, r, 200, "")
		check("refresh", r.header)
		tk = tokensIn(t, r, "header")
		r = sendWithToken(t, base, "header", "POST", "/auth/signout", "", tk.access, "Origin", origin)
		expectStatus(t, r, 200, "")
		check("sign-out", r.header)
	}

	t.Run("appended for a request with an Origin", func(t *testing.T) {
		m := startMiniServer(t, withSite)
		flow(t, m.url, func(what string, h http.Header) { expectExposedHeaders(t, what, h) })
		// Without an Origin there is nothing to expose.
		_, r := rawSignIn(t, m.url, "header", "u1", "")
		if v := r.header.Values("Access-Control-Expose-Headers"); len(v) != 0 {
			t.Errorf("same-origin response exposes %q", v)
		}
	})

	t.Run("ginsession.CORS already set them: no duplicates", func(t *testing.T) {
		mw, err := ginsession.CORS(origin)
		if err != nil {
			t.Fatal(err)
		}
		m := startMiniServer(t, withSite, mw)
		flow(t, m.url, func(what string, h http.Header) {
			expectExposedHeaders(t, what, h)
			if h.Get("Access-Control-Allow-Origin") != origin {
				t.Errorf("%s: ACAO %q", what, h.Get("Access-Control-Allow-Origin"))
			}
		})
	})

	t.Run("a CORS middleware's own list is kept", func(t *testing.T) {
		mw := cors.New(cors.Config{
			AllowOrigins:     []string{origin},
			AllowHeaders:     ginsession.CORSAllowHeaders,
			ExposeHeaders:    []string{"X-Request-Id", "Front-Token"},
			AllowCredentials: true,
		})
		m := startMiniServer(t, withSite, mw)
		flow(t, m.url, func(what string, h http.Header) { expectExposedHeaders(t, what, h, "x-request-id") })
	})
}

// Two sAccessToken / sRefreshToken cookies after CookieDomain changed
// (docs/protocol.md §3 olderCookieDomain).
func TestTransportOlderCookieDomain(t *testing.T) {
	mutate := func(cfg *ginsession.Config) {
		cfg.APIDomain = "http://api.example.test"
		cfg.CookieDomain = ".example.test"
		cfg.OlderCookieDomain = ginsession.HostOnly
	}
	checkOlderCleared := func(t *testing.T, h http.Header) {
		t.Helper()
		expectCookiesCleared(t, h, "") // host-only: no Domain attribute
		for _, ck := range setCookies(h) {
			// (A partitioned clear there expires only a partitioned stray,
			// not our unpartitioned cookie.)
			if ck.Domain == "example.test" && ck.Value == "" && !ck.Partitioned {
				t.Errorf("the current-domain cookie was cleared: %s", ck.Raw)
			}
		}
	}

	for _, order := range []string{"older first", "current first"} {
		t.Run("verify/"+order, func(t *testing.T) {
			e := newEnv(t, mutate)
			old, _ := rawSignIn(t, e.server.URL, "cookie", "u1", "")
			e.clock.Advance(time.Hour + time.Second) // the older cookie's token has expired
			r := sendWithToken(t, e.server.URL, "cookie", "POST", refreshPath, "sRefreshToken", old.refresh)
			expectStatus(t, r, 200, "")
			cur := tokensIn(t, r, "cookie")
			cur.handle = old.handle
			pair := []string{"sAccessToken", old.access, "sAccessToken", cur.access}
			if order == "current first" {
				pair = []string{"sAccessToken", cur.access, "sAccessToken", old.access}
			}
			for _, m := range []string{"GET", "POST"} {
				r = sendRaw(t, e.server.URL, m, "/api/me", "", "rid", "anti-csrf", "st-auth-mode", "cookie", "Cookie", cookieHeader(pair...))
				expectStatus(t, r, 200, "")
				if r.body["userId"] != "u1" || r.body["handle"] != cur.handle {
					t.Errorf("%s: identity %s", m, r.raw)
				}
				checkOlderCleared(t, r.header)
			}
			// Garbage in the older cookie is handled the same way.
			r = sendRaw(t, e.server.URL, "GET", "/api/me", "", "Cookie", cookieHeader("sAccessToken", "old-garbage", "sAccessToken", cur.access))
			expectStatus(t, r, 200, "")
			checkOlderCleared(t, r.header)
			// An older cookie of another session is not a migration: the
			// request is nobody's (TestDuplicatesAccessTokensOfTwoSessionsAreNobodys).
			other, _ := rawSignIn(t, e.server.URL, "cookie", "u2", "")
			r = sendRaw(t, e.server.URL, "GET", "/api/me", "", "Cookie", cookieHeader("sAccessToken", other.access, "sAccessToken", cur.access))
			expectStatusAndBody(t, r, 401, bodyTryRefresh)
		})

		t.Run("refresh/"+order, func(t *testing.T) {
			e := newEnv(t, mutate)
			t0, _ := rawSignIn(t, e.server.URL, "cookie", "u1", "")
			r := sendWithToken(t, e.server.URL, "cookie", "POST", refreshPath, "sRefreshToken", t0.refresh)
			expectStatus(t, r, 200, "")
			t1 := tokensIn(t, r, "cookie")
			e.clock.Advance(time.Minute) // past the grace window: t0 is plainly old
			pair := []string{"sRefreshToken", t0.refresh, "sRefreshToken", t1.refresh}
			if order == "current first" {
				pair = []string{"sRefreshToken", t1.refresh, "sRefreshToken", t0.refresh}
			}
			r = sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session", "st-auth-mode", "cookie", "Cookie", cookieHeader(pair...))
			expectStatusAndBody(t, r, 200, `{}`)
			t2 := tokensIn(t, r, "cookie")
			if t2.refresh == "" || t2.refresh == t1.refresh || t2.refresh == t0.refresh {
				t.Error("no rotation")
			}
			for _, n := range []string{"sAccessToken", "sRefreshToken"} {
				if ck := onlySetCookie(t, r.header, n); ck.Domain != "example.test" {
					t.Errorf("new %s not on the configured domain: %s", n, ck.Raw)
				}
			}
			checkOlderCleared(t, r.header)
			expectSessionAlive(t, e, t0.handle)
			if n := e.events.count(&e.events.theft); n != 0 {
				t.Errorf("theft detected on a cookie-domain migration (%d)", n)
			}
			// The lineage continues from the new token.
			r = sendWithToken(t, e.server.URL, "cookie", "POST", refreshPath, "sRefreshToken", t2.refresh)
			expectStatus(t, r, 200, "")
		})
	}
}

func TestTransportAntiCSRF(t *testing.T) {
	t.Run("VIA_TOKEN", func(t *testing.T) {
		e := newEnv(t, func(cfg *ginsession.Config) { cfg.AntiCSRF = ginsession.AntiCSRFViaToken })
		c := e.newClient("cookie")
		c.signIn("u1")
		mine := c.csrf
		other := e.newClient("cookie")
		other.signIn("u2")
		if mine == "" || other.csrf == "" || mine == other.csrf {
			t.Fatalf("anti-csrf tokens %q %q", mine, other.csrf)
		}
		expectStatus(t, c.do("POST", "/api/me", ""), 200, "")
		expectStatus(t, c.do("GET", "/api/me", "", "anti-csrf", ""), 200, "")
		swapped := strings.Map(func(r rune) rune {
			if unicode.IsUpper(r) {
				return unicode.ToLower(r)
			}
			return unicode.ToUpper(r)
		}, mine)
		if swapped == mine {
			t.Fatal("token has no letters to swap")
		}
		for name, v := range map[string]string{
			"another session's": other.csrf,
			"different case":    swapped,
			"empty":             "",
			"with a prefix":     "x" + mine,
		} {
			r := c.do("POST", "/api/me", "", "anti-csrf", v)
			if r.status != 401 || r.message() != "try refresh token" {
				t.Errorf("%s token: %d %s", name, r.status, r.raw)
			}
			expectTokensUntouched(t, r)
		}
		// Header mode needs none.
		h := e.newClient("header")
		h.signIn("u3")
		r := h.do("POST", "/api/me", "", "anti-csrf", "")
		expectStatus(t, r, 200, "")
		// The refresh hands out the same token; it keeps working.
		e.clock.Advance(time.Hour + time.Second)
		expectStatus(t, c.do("POST", "/api/me", ""), 401, "try refresh token")
		ref := c.do("POST", "/auth/session/refresh", "")
		expectStatus(t, ref, 200, "")
		if ref.header.Get("anti-csrf") != mine {
			t.Errorf("refresh anti-csrf %q, want %q", ref.header.Get("anti-csrf"), mine)
		}
		expectStatus(t, c.do("POST", "/api/me", ""), 200, "")
	})

	t.Run("auto, same-site: NONE", func(t *testing.T) {
		e := newEnv(t, nil)
		c := e.newClient("cookie")
		in := c.signIn("u1")
		if _, ok := in.header["Anti-Csrf"]; ok {
			t.Error("anti-csrf token handed out without VIA_TOKEN")
		}
		r := c.do("POST", "/api/me", "", "rid", "")
		expectStatus(t, r, 200, "")
		r = c.do("POST", "/auth/session/refresh", "", "rid", "")
		expectStatus(t, r, 200, "")
	})

	t.Run("auto, cross-site: VIA_CUSTOM_HEADER", func(t *testing.T) {
		e := newEnv(t, func(cfg *ginsession.Config) {
			cfg.APIDomain = "https://api.example.test"
			cfg.WebsiteDomain = "https://app.other.test"
		})
		// Secure cookies: a cookie jar would not send them over http, so the
		// Cookie header is written by hand.
		tk, in := rawSignIn(t, e.server.URL, "cookie", "u1", "")
		if onlySetCookie(t, in.header, "sAccessToken").SameSite != http.SameSiteNoneMode {
			t.Fatal("expected SameSite=None")
		}
		cookie := cookieHeader("sAccessToken", tk.access)
		r := sendRaw(t, e.server.URL, "POST", "/api/me", "", "st-auth-mode", "cookie", "Cookie", cookie)
		expectStatusAndBody(t, r, 401, bodyTryRefresh)
		expectTokensUntouched(t, r)
		r = sendRaw(t, e.server.URL, "POST", "/api/me", "", "rid", "anti-csrf", "Cookie", cookie)
		expectStatus(t, r, 200, "")
		r = sendRaw(t, e.server.URL, "GET", "/api/me", "", "Cookie", cookie)
		expectStatus(t, r, 200, "")

		// Refresh without rid: refused, and nobody is logged out.
		rc := cookieHeader("sRefreshToken", tk.refresh)
		r = sendRaw(t, e.server.URL, "POST", refreshPath, "", "Cookie", rc)
		expectStatusAndBody(t, r, 401, bodyUnauthorised)
		expectTokensUntouched(t, r)
		expectSessionAlive(t, e, tk.handle)
		r = sendRaw(t, e.server.URL, "POST", "/auth/signout", "", "Cookie", cookie)
		expectStatusAndBody(t, r, 401, bodyTryRefresh)
		expectTokensUntouched(t, r)
		expectSessionAlive(t, e, tk.handle)
		r = sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session", "Cookie", rc)
		expectStatusAndBody(t, r, 200, `{}`)
	})
}

// With several frontends, SameSite is resolved per request from the
// configured origin the request's Origin header names.
func TestTransportSameSitePerOrigin(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.APIDomain = "https://api.example.test"
		cfg.WebsiteDomain = "https://app.example.test"
		cfg.Origins = []string{"https://partner.other.test"}
	})
	for _, tc := range []struct {
		origin string
		want   http.SameSite
	}{
		{"https://app.example.test", http.SameSiteLaxMode},
		{"https://partner.other.test", http.SameSiteNoneMode},
		{"", http.SameSiteLaxMode},
	} {
		t.Run("origin "+tc.origin, func(t *testing.T) {
			var h []string
			if tc.origin != "" {
				h = []string{"Origin", tc.origin}
			}
			_, r := rawSignIn(t, e.server.URL, "cookie", "u1", "", h...)
			for _, n := range []string{"sAccessToken", "sRefreshToken"} {
				if ck := onlySetCookie(t, r.header, n); ck.SameSite != tc.want || !ck.Secure {
					t.Errorf("%s: %s", n, ck.Raw)
				}
			}
		})
	}
	// An unlisted origin's page gets no cookie session at all (login
	// CSRF), so its text can never choose a cookie attribute.
	r := sendRaw(t, e.server.URL, "POST", "/signin", `{"user":"u1"}`, "st-auth-mode", "cookie", "rid", "anti-csrf", "Origin", "https://evil.test")
	expectStatus(t, r, 401, "try refresh token")
	expectTokensUntouched(t, r)
}

// SECURITY.md B: a cookie-authenticated state-changing request without CSRF
// proof is rejected before the handler runs. When one configured frontend is
// cross-site, the session cookies are SameSite=None, so the browser attaches
// them to a forged cross-site POST too; the forged request carries the
// attacker's Origin (or none), which must not switch the check off.
func TestTransportAntiCSRFAutoSeveralOrigins(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.APIDomain = "https://api.example.test"
		cfg.WebsiteDomain = "https://app.example.test"
		cfg.Origins = []string{"https://partner.other.test"}
	})
	// The user signs in on the cross-site frontend: SameSite=None cookies.
	signIn := func(t *testing.T) issuedTokens {
		t.Helper()
		tk, in := rawSignIn(t, e.server.URL, "cookie", "u1", "", "Origin", "https://partner.other.test")
		if onlySetCookie(t, in.header, "sAccessToken").SameSite != http.SameSiteNoneMode {
			t.Fatal("expected SameSite=None cookies for the cross-site frontend")
		}
		return tk
	}
	for _, origin := range []string{"https://partner.other.test", "https://evil.test", "null", ""} {
		t.Run("POST without rid, Origin "+origin, func(t *testing.T) {
			tk := signIn(t)
			h := []string{"Cookie", cookieHeader("sAccessToken", tk.access), "Content-Type", "application/x-www-form-urlencoded"}
			if origin != "" {
				h = append(h, "Origin", origin)
			}
			r := sendRaw(t, e.server.URL, "POST", "/api/me", "", h...)
			if r.status != 401 || r.message() != "try refresh token" {
				t.Errorf("forged cross-site POST (Origin %q) reached the handler: %d %s", origin, r.status, r.raw)
			}
			expectTokensUntouched(t, r)
			// The genuine frontend's request passes.
			r = sendRaw(t, e.server.URL, "POST", "/api/me", "", "Cookie", cookieHeader("sAccessToken", tk.access), "rid", "anti-csrf", "Origin", "https://partner.other.test")
			expectStatus(t, r, 200, "")
		})
	}
	// The session routes: a forged sign-out must not log the user out, a
	// forged refresh must not rotate the tokens.
	t.Run("sign-out without rid, Origin https://evil.test", func(t *testing.T) {
		tk := signIn(t)
		r := sendRaw(t, e.server.URL, "POST", "/auth/signout", "", "Cookie", cookieHeader("sAccessToken", tk.access), "Origin", "https://evil.test")
		if r.status != 401 || r.message() != "try refresh token" {
			t.Errorf("forged cross-site sign-out: %d %s", r.status, r.raw)
		}
		expectTokensUntouched(t, r)
		expectSessionAlive(t, e, tk.handle)
	})
	t.Run("refresh without rid, Origin https://evil.test", func(t *testing.T) {
		tk := signIn(t)
		r := sendRaw(t, e.server.URL, "POST", refreshPath, "", "Cookie", cookieHeader("sRefreshToken", tk.refresh), "Origin", "https://evil.test")
		if r.status != 401 || r.message() != "unauthorised" {
			t.Errorf("forged cross-site refresh: %d %s", r.status, r.raw)
		}
		expectTokensUntouched(t, r)
		expectSessionAlive(t, e, tk.handle)
	})
}

func TestTransportGETOnSessionRoutes(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			handle, _ := c.signIn("u1").body["handle"].(string)
			refresh, access := c.refreshToken(), c.accessToken()
			for _, p := range []string{refreshPath, "/auth/signout"} {
				tok := access
				if p == refreshPath {
					tok = refresh
				}
				for _, cn := range []string{"sAccessToken", "sRefreshToken"} {
					r := sendWithToken(t, e.server.URL, mode, "GET", p, cn, tok)
					if r.status != 404 && r.status != 405 {
						t.Errorf("GET %s: %d %s", p, r.status, r.raw)
					}
					expectTokensUntouched(t, r)
				}
			}
			expectSessionAlive(t, e, handle)
			if n := e.events.count(&e.events.refreshed) + e.events.count(&e.events.revoked); n != 0 {
				t.Errorf("hooks ran %d times", n)
			}
			// Had a GET rotated, the original token would be "previous" and,
			// past the grace window, theft.
			e.clock.Advance(time.Minute)
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
		})
	}
}

// jwkPublicKey turns one JWK of the document into a public key.
func jwkPublicKey(t *testing.T, jwk map[string]string) crypto.PublicKey {
	t.Helper()
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("JWK member %q is not base64url: %v", s, err)
		}
		return b
	}
	switch jwk["kty"] {
	case "EC":
		if jwk["crv"] != "P-256" {
			t.Fatalf("crv %q", jwk["crv"])
		}
		x, y := dec(jwk["x"]), dec(jwk["y"])
		if len(x) != 32 || len(y) != 32 {
			t.Fatalf("EC coordinates of %d and %d bytes", len(x), len(y))
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			t.Fatal(err)
		}
		return pub
	case "RSA":
		return &rsa.PublicKey{N: new(big.Int).SetBytes(dec(jwk["n"])), E: int(new(big.Int).SetBytes(dec(jwk["e"])).Int64())}
	case "OKP":
		if jwk["crv"] != "Ed25519" {
			t.Fatalf("crv %q", jwk["crv"])
		}
		return ed25519.PublicKey(dec(jwk["x"]))
	}
	t.Fatalf("unknown kty %q", jwk["kty"])
	return nil
}

func TestJWKS(t *testing.T) {
	for _, tc := range []struct{ alg, kty string }{{"ES256", "EC"}, {"RS256", "RSA"}, {"EdDSA", "OKP"}} {
		t.Run(tc.alg, func(t *testing.T) {
			e := newEnv(t, func(cfg *ginsession.Config) { cfg.SigningAlgorithm = tc.alg })
			tk, _ := rawSignIn(t, e.server.URL, "header", "u1", `{"role":"admin"}`)
			r := sendRaw(t, e.server.URL, "GET", "/auth/jwt/jwks.json", "")
			expectStatus(t, r, 200, "")
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			cc := r.header.Get("Cache-Control")
			m := regexp.MustCompile(`max-age=(\d+)`).FindStringSubmatch(cc)
			if m == nil {
				t.Fatalf("Cache-Control %q has no max-age", cc)
			}
			if n, _ := strconv.Atoi(m[1]); n <= 0 {
				t.Errorf("max-age %d", n)
			}
			expectTokensUntouched(t, r)
			var doc struct {
				Keys []map[string]string `json:"keys"`
			}
			if err := json.Unmarshal([]byte(r.raw), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Keys) == 0 {
				t.Fatal("empty JWKS")
			}
			kid := kidOf(t, tk.access)
			var mine map[string]string
			for _, k := range doc.Keys {
				if k["kid"] == "" || k["kty"] == "" || k["alg"] == "" {
					t.Errorf("JWK without kid/kty/alg: %v", k)
				}
				for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
					if _, ok := k[private]; ok {
						t.Errorf("JWK publishes private member %q", private)
					}
				}
				if k["kid"] == kid {
					mine = k
				}
			}
			if mine == nil {
				t.Fatalf("the access token's kid %s is not in the JWKS", kid)
			}
			if mine["alg"] != tc.alg || mine["kty"] != tc.kty {
				t.Errorf("JWK alg/kty %s/%s, want %s/%s", mine["alg"], mine["kty"], tc.alg, tc.kty)
			}
			pub := jwkPublicKey(t, mine)
			claims := jwt.MapClaims{}
			tok, err := jwt.ParseWithClaims(tk.access, claims, func(*jwt.Token) (any, error) { return pub, nil },
				jwt.WithValidMethods([]string{tc.alg}), jwt.WithTimeFunc(e.clock.Now), jwt.WithExpirationRequired())
			if err != nil || !tok.Valid {
				t.Fatalf("the access token does not verify with the published key: %v", err)
			}
			if claims["sub"] != "u1" || claims["role"] != "admin" || claims["sessionHandle"] == "" {
				t.Errorf("claims %v", claims)
			}
			// And a token of another engine does not verify with this key.
			other := newEnv(t, func(cfg *ginsession.Config) { cfg.SigningAlgorithm = tc.alg })
			ot, _ := rawSignIn(t, other.server.URL, "header", "u1", "")
			if _, err := jwt.Parse(ot.access, func(*jwt.Token) (any, error) { return pub, nil },
				jwt.WithValidMethods([]string{tc.alg}), jwt.WithTimeFunc(other.clock.Now)); err == nil {
				t.Error("another engine's token verified with this engine's key")
			}
		})
	}
}
