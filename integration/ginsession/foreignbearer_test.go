package ginsession_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// An app may send its own Authorization value (an API key, another auth
// system's token) beside the session cookies. A bearer value without the
// structure of our token is not a session token: the cookie session is
// used, as supertokens-node does and the SDK's own test suite checks.
func TestForeignBearerCookieSessionStillWorks(t *testing.T) {
	e := newEnv(t, nil)
	tk, _ := rawSignIn(t, e.server.URL, "cookie", "u1", "")
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	foreignJWT := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"sub": "someone-else", "iss": "https://idp.example", "aud": "api", "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
	})
	foreignJWT.Header["kid"] = "idp-key-1"
	signed, err := foreignJWT.SignedString(other)
	if err != nil {
		t.Fatal(err)
	}
	for name, authz := range map[string]string{
		"an API key":           "Bearer sk_live_0123456789abcdef",
		"another system's JWT": "Bearer " + signed,
		"a JWT-shaped nothing": "Bearer a.b.c",
	} {
		t.Run(name, func(t *testing.T) {
			r := sendRaw(t, e.server.URL, "GET", "/api/me", "", "Authorization", authz, "Cookie", "sAccessToken="+tk.access)
			expectStatus(t, r, 200, "")
			if r.body["userId"] != "u1" {
				t.Errorf("%s", r.raw)
			}
			// On an Optional route without cookies it is no session at all.
			r = sendRaw(t, e.server.URL, "GET", "/api/optional", "", "Authorization", authz)
			expectStatus(t, r, 200, "")
			if r.body["session"] != false {
				t.Errorf("optional route: %s", r.raw)
			}
			// The refresh route uses the refresh cookie.
			rr := sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session", "Authorization", authz, "Cookie", "sRefreshToken="+tk.refresh)
			expectStatus(t, rr, 200, "")
			tk = tokensIn(t, rr, "cookie")
			if rr.header.Get("st-access-token") != "" {
				t.Error("refreshed in header mode")
			}
		})
	}
	// Our own token in the header still wins over cookies (header mode).
	h, _ := rawSignIn(t, e.server.URL, "header", "u2", "")
	r := sendRaw(t, e.server.URL, "GET", "/api/me", "", "Authorization", "Bearer "+h.access, "Cookie", "sAccessToken="+tk.access)
	expectStatus(t, r, 200, "")
	if r.body["userId"] != "u2" {
		t.Errorf("header token did not win: %s", r.raw)
	}
	// A token of ours that is expired or tampered is still ours: try refresh.
	e.clock.Advance(time.Hour + time.Second)
	r = sendRaw(t, e.server.URL, "GET", "/api/me", "", "Authorization", "Bearer "+h.access)
	expectStatusAndBody(t, r, 401, bodyTryRefresh)
}
