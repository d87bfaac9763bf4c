package ginsession_test

// What other services and older SDKs need: the access token readable in
// cookie mode (ExposeAccessTokenInCookieMode), the OpenID discovery
// document, the public JWKS any origin may read, and the legacy
// sIdRefreshToken cookie cleared.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

func TestExposeAccessTokenInCookieMode(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) { cfg.ExposeAccessTokenInCookieMode = true })
	c := e.newClient("cookie")
	r := c.signIn("ola")
	exposed := r.header.Get("st-access-token")
	if exposed == "" || exposed != c.cookie("sAccessToken", "/") {
		t.Fatalf("sign-in: st-access-token %q, cookie %q", exposed, c.cookie("sAccessToken", "/"))
	}
	if r.header.Get("st-refresh-token") != "" {
		t.Error("the refresh token was exposed")
	}
	r = c.do("POST", refreshPath, "")
	expectStatus(t, r, 200, "")
	if got := r.header.Get("st-access-token"); got == "" || got == exposed || got != c.cookie("sAccessToken", "/") {
		t.Errorf("refresh: st-access-token %q", got)
	}
	// The cookies stay the transport.
	expectStatus(t, c.do("GET", "/api/me", ""), 200, "")

	// The control: without the option cookie mode sends no token header.
	plain := newEnv(t, nil)
	pc := plain.newClient("cookie")
	if got := pc.signIn("ola").header.Values("St-Access-Token"); len(got) != 0 {
		t.Errorf("without the option: st-access-token %q", got)
	}
}

func TestOpenIDDiscovery(t *testing.T) {
	e := newEnv(t, nil)
	r := sendRaw(t, e.server.URL, "GET", "/auth/.well-known/openid-configuration", "")
	expectStatus(t, r, 200, "")
	var doc struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := json.Unmarshal([]byte(r.raw), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Issuer != e.server.URL+"/auth" || doc.JWKSURI != e.server.URL+"/auth/jwt/jwks.json" || len(doc.Algs) != 1 || doc.Algs[0] != "ES256" {
		t.Errorf("discovery document %s", r.raw)
	}
	if cc := r.header.Get("Cache-Control"); cc != "max-age=60, must-revalidate" {
		t.Errorf("Cache-Control %q", cc)
	}
	// The issuer is the iss of the access tokens.
	c := e.newClient("header")
	c.signIn("ian")
	claims := decodeFront(t, c.front)["up"].(map[string]any)
	if claims["iss"] != doc.Issuer {
		t.Errorf("iss %v, discovery issuer %s", claims["iss"], doc.Issuer)
	}
	// And the JWKS it names serves the keys.
	jwks := sendRaw(t, e.server.URL, "GET", strings.TrimPrefix(doc.JWKSURI, e.server.URL), "")
	if jwks.status != 200 || !strings.Contains(jwks.raw, `"kid"`) {
		t.Errorf("jwks_uri: %d %s", jwks.status, jwks.raw)
	}
}

// The JWKS and the discovery document are public: any origin may read them
// without credentials, through Sessions.CORS too; a configured frontend,
// whose SDK sends credentials to its API, gets its credentialed answer
// (a * would make the browser refuse it). The session routes stay limited
// to the configured frontends.
func TestPublicDocumentsCORS(t *testing.T) {
	r := gin.New()
	srv := newServerFor(t, r)
	s, err := ginsession.New(ginsession.Config{Store: openSQLite(t), APIDomain: srv, WebsiteDomain: "http://localhost:3000"})
	if err != nil {
		t.Fatal(err)
	}
	r.Use(s.CORS())
	if err := s.Mount(r); err != nil {
		t.Fatal(err)
	}
	for _, origin := range []string{"http://localhost:3000", "https://other-service.example.org", "null"} {
		// The configured frontend gets its credentialed answer (the SDK's
		// fetch sends credentials to its API); any other origin *.
		wantOrigin, wantCreds := "*", ""
		if origin == "http://localhost:3000" {
			wantOrigin, wantCreds = origin, "true"
		}
		for _, path := range []string{"/auth/jwt/jwks.json", "/auth/.well-known/openid-configuration"} {
			got := sendRaw(t, srv, "GET", path, "", "Origin", origin)
			if got.status != 200 || got.header.Get("Access-Control-Allow-Origin") != wantOrigin || got.header.Get("Access-Control-Allow-Credentials") != wantCreds {
				t.Errorf("GET %s from %s: %d %v", path, origin, got.status, got.header)
			}
			if !variesByOrigin(got.header) {
				t.Errorf("GET %s from %s: no Vary: Origin", path, origin)
			}
			pre := sendRaw(t, srv, "OPTIONS", path, "", "Origin", origin, "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "rid")
			if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != wantOrigin || pre.header.Get("Access-Control-Allow-Credentials") != wantCreds {
				t.Errorf("preflight %s from %s: %d %v", path, origin, pre.status, pre.header)
			}
		}
	}
	// The session routes are not public.
	pre := sendPreflight(t, srv, "/auth/session/refresh", "https://other-service.example.org")
	if pre.status != 403 || pre.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("refresh preflight from an unlisted origin: %d %v", pre.status, pre.header)
	}
}

// newServerFor starts an httptest server for r and returns its URL.
func newServerFor(t *testing.T, r http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL
}

// Older SDKs left an sIdRefreshToken cookie. It is cleared whenever session
// cookies are written or cleared, and by a refresh that carries only it;
// never by a request that could be a cross-site form. A session token that
// comes with it is sent to refresh first (legacycookie_test.go), sign-out
// included.
func TestLegacyIDRefreshTokenCleared(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.AccessTokenTTL = time.Minute
		cfg.AntiCSRF = ginsession.AntiCSRFViaCustomHeader // as with a cross-site frontend
	})
	legacy := "sIdRefreshToken=3c1f7e8a-old-sdk"
	clearsLegacy := func(h http.Header) bool {
		for _, ck := range setCookies(h) {
			if ck.Name == "sIdRefreshToken" && ck.Value == "" && ck.Path == "/" && ck.Expires.Before(time.Unix(1, 0)) {
				return true
			}
		}
		return false
	}
	tk, r := rawSignIn(t, e.server.URL, "cookie", "leo", "", "Cookie", legacy)
	if !clearsLegacy(r.header) {
		t.Errorf("sign-in kept the legacy cookie: %v", r.header.Values("Set-Cookie"))
	}
	r = sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session", "Cookie", "sRefreshToken="+tk.refresh+"; "+legacy)
	expectStatus(t, r, 200, "")
	if !clearsLegacy(r.header) {
		t.Error("refresh kept the legacy cookie")
	}
	tk2 := tokensIn(t, r, "cookie")
	r = sendRaw(t, e.server.URL, "POST", "/auth/signout", "", "rid", "anti-csrf", "Cookie", "sAccessToken="+tk2.access+"; "+legacy)
	expectStatus(t, r, 401, "try refresh token")
	expectTokensUntouched(t, r)
	// A refresh with only the legacy cookie (a session of an older SDK).
	r = sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session", "Cookie", legacy)
	expectStatus(t, r, 401, "unauthorised")
	if !clearsLegacy(r.header) {
		t.Error("a legacy-only refresh kept the legacy cookie")
	}
	// Controls: without the custom header (a cross-site form could send
	// it) nothing is cleared; without the cookie nothing is written.
	r = sendRaw(t, e.server.URL, "POST", refreshPath, "", "Cookie", legacy)
	if len(r.header.Values("Set-Cookie")) != 0 {
		t.Errorf("a refresh without rid cleared %v", r.header.Values("Set-Cookie"))
	}
	_, r = rawSignIn(t, e.server.URL, "cookie", "leo", "")
	for _, ck := range setCookies(r.header) {
		if ck.Name == "sIdRefreshToken" {
			t.Errorf("a sign-in without the legacy cookie wrote %s", ck.Raw)
		}
	}
}
