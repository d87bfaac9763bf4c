package ginsession_test

// One test per row of docs/protocol.md §6, driven over real HTTP through the
// harness. Every case checks the status, the JSON body and what happened to
// the frontend's tokens (set, cleared, or left alone).

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	"github.com/ginsession/ginsession/ginsession"
)

// roleValidator fails unless the payload's role is want.
func roleValidator(id, want string) ginsession.ClaimValidator {
	return ginsession.ValidatorFunc(id, func(p ginsession.Payload) any {
		if r, _ := p.String("role"); r != want {
			return map[string]any{"message": "wrong role", "expected": want, "actual": r}
		}
		return nil
	})
}

// ---------------------------------------------------------------------------
// §6 row: verify, no access token → 401 unauthorised, nothing cleared.

func TestProtocolVerifyNoToken(t *testing.T) {
	e := newEnv(t, nil)
	for _, mode := range modes {
		for _, rt := range []struct{ method, path string }{{"GET", "/api/me"}, {"POST", "/api/me"}, {"GET", "/api/checked"}} {
			t.Run(mode+"/"+rt.method+" "+rt.path, func(t *testing.T) {
				c := e.newClient(mode)
				r := c.do(rt.method, rt.path, "")
				expectStatusAndBody(t, r, 401, bodyUnauthorised)
				expectTokensUntouched(t, r)
			})
		}
		t.Run(mode+"/optional route lets it through", func(t *testing.T) {
			r := e.newClient(mode).do("GET", "/api/optional", "")
			expectStatusAndBody(t, r, 200, `{"session":false}`)
			expectTokensUntouched(t, r)
		})
	}
}

// §6 row: verify, malformed token → 401 unauthorised, nothing cleared.

func TestProtocolVerifyMalformedToken(t *testing.T) {
	e := newEnv(t, nil)
	seg := strings.Repeat("A", 7<<10)
	junk := []struct{ name, tok string }{
		{"abc", "abc"},
		{"a.b", "a.b"},
		{"a.b.c.d", "a.b.c.d"},
		{"empty segment", "a..c"},
		{"leading dot", ".b.c"},
		{"non-base64", "a*b.c$d.e!f"},
		{"20KB junk", strings.Repeat("x", 20<<10)},
		{"20KB three segments", seg + "." + seg + "." + seg},
	}
	for _, mode := range modes {
		for _, j := range junk {
			t.Run(mode+"/"+j.name, func(t *testing.T) {
				for _, m := range []string{"GET", "POST"} {
					r := sendWithToken(t, e.server.URL, mode, m, "/api/me", "sAccessToken", j.tok)
					expectStatusAndBody(t, r, 401, bodyUnauthorised)
					expectTokensUntouched(t, r)
				}
			})
		}
	}
}

// §6 row: verify, expired / bad signature / unknown key / anti-CSRF failure
// → 401 try refresh token, nothing cleared, never "front-token: remove".

func TestProtocolVerifyTryRefresh(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode+"/expired", func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			c.signIn("u1")
			expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
			e.clock.Advance(time.Hour + time.Second)
			for _, p := range []string{"/api/me", "/api/checked", "/api/optional"} {
				r := c.do("GET", p, "")
				expectStatusAndBody(t, r, 401, bodyTryRefresh)
				expectTokensUntouched(t, r)
			}
			r := c.do("POST", "/api/me", "")
			expectStatusAndBody(t, r, 401, bodyTryRefresh)
			expectTokensUntouched(t, r)
		})

		t.Run(mode+"/bad signature", func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			c.signIn("u1")
			h, p, s := splitJWT(t, c.accessToken())
			for _, i := range []int{0, len(s) / 2, len(s) - 2} {
				bad := h + "." + p + "." + flipChar(s, i)
				r := sendWithToken(t, e.server.URL, mode, "GET", "/api/me", "sAccessToken", bad)
				expectStatusAndBody(t, r, 401, bodyTryRefresh)
				expectTokensUntouched(t, r)
			}
			// A flipped payload byte breaks the signature too.
			bad := h + "." + flipChar(p, len(p)/2) + "." + s
			r := sendWithToken(t, e.server.URL, mode, "GET", "/api/me", "sAccessToken", bad)
			expectStatusAndBody(t, r, 401, bodyTryRefresh)
			expectTokensUntouched(t, r)
			// The genuine token is still fine.
			expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
		})

		t.Run(mode+"/unknown key: another engine on another store", func(t *testing.T) {
			e1 := newEnv(t, nil)
			// Same issuer, so the only difference is the signing key.
			e2 := newEnvOn(t, openSQLite(t), newClock(), func(cfg *ginsession.Config) { cfg.APIDomain = e1.server.URL })
			c2 := e2.newClient(mode)
			c2.signIn("u1")
			tok := c2.accessToken()
			if r := sendWithToken(t, e2.server.URL, mode, "GET", "/api/me", "sAccessToken", tok); r.status != 200 {
				t.Fatalf("token does not work on its own engine: %d %s", r.status, r.raw)
			}
			for _, m := range []string{"GET", "POST"} {
				r := sendWithToken(t, e1.server.URL, mode, m, "/api/me", "sAccessToken", tok)
				expectStatusAndBody(t, r, 401, bodyTryRefresh)
				expectTokensUntouched(t, r)
			}
		})

		t.Run(mode+"/unknown key: re-signed under a new kid", func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			c.signIn("u1")
			tok := c.accessToken()
			for name, forged := range map[string]string{
				"foreign key, unknown kid": resignWithForeignKey(t, tok, randomKid()),
				"foreign key, our kid":     resignWithForeignKey(t, tok, kidOf(t, tok)),
			} {
				r := sendWithToken(t, e.server.URL, mode, "GET", "/api/me", "sAccessToken", forged)
				if r.status != 401 || r.message() != "try refresh token" {
					t.Errorf("%s: %d %s", name, r.status, r.raw)
				}
				expectTokensUntouched(t, r)
			}
			// Our signature under a header whose kid was swapped.
			_, p, s := splitJWT(t, tok)
			hdr, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": randomKid()})
			swapped := base64.RawURLEncoding.EncodeToString(hdr) + "." + p + "." + s
			r := sendWithToken(t, e.server.URL, mode, "GET", "/api/me", "sAccessToken", swapped)
			expectStatusAndBody(t, r, 401, bodyTryRefresh)
			expectTokensUntouched(t, r)
		})
	}

	t.Run("cookie/anti-csrf VIA_TOKEN wrong or missing", func(t *testing.T) {
		e := newEnv(t, func(cfg *ginsession.Config) { cfg.AntiCSRF = ginsession.AntiCSRFViaToken })
		c := e.newClient("cookie")
		c.signIn("u1")
		if c.csrf == "" {
			t.Fatal("VIA_TOKEN: sign-in gave no anti-csrf token")
		}
		for name, v := range map[string]string{"wrong": "wrong-token", "missing": "", "truncated": c.csrf[:len(c.csrf)-1]} {
			r := c.do("POST", "/api/me", "", "anti-csrf", v)
			if r.status != 401 || r.message() != "try refresh token" {
				t.Errorf("%s anti-csrf: %d %s", name, r.status, r.raw)
			}
			expectTokensUntouched(t, r)
		}
		// The right one passes, and the session was never touched.
		expectStatus(t, c.do("POST", "/api/me", ""), 200, "")
	})

	t.Run("cookie/anti-csrf VIA_CUSTOM_HEADER without rid", func(t *testing.T) {
		e := newEnv(t, func(cfg *ginsession.Config) { cfg.AntiCSRF = ginsession.AntiCSRFViaCustomHeader })
		c := e.newClient("cookie")
		c.signIn("u1")
		for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
			if m != "POST" {
				e.router.Handle(m, "/api/me", e.sessions.Verify(), func(c *gin.Context) { c.JSON(200, gin.H{}) })
			}
			r := c.do(m, "/api/me", "", "rid", "")
			if r.status != 401 || r.message() != "try refresh token" {
				t.Errorf("%s without rid: %d %s", m, r.status, r.raw)
			}
			expectTokensUntouched(t, r)
		}
		expectStatus(t, c.do("POST", "/api/me", ""), 200, "")
		expectStatus(t, c.do("GET", "/api/me", "", "rid", ""), 200, "")
	})

	t.Run("header/anti-csrf does not apply", func(t *testing.T) {
		for _, mode := range []ginsession.AntiCSRFMode{ginsession.AntiCSRFViaToken, ginsession.AntiCSRFViaCustomHeader} {
			e := newEnv(t, func(cfg *ginsession.Config) { cfg.AntiCSRF = mode })
			c := e.newClient("header")
			c.signIn("u1")
			r := c.do("POST", "/api/me", "", "rid", "", "anti-csrf", "")
			if r.status != 200 {
				t.Errorf("%s header mode POST without proof: %d %s", mode, r.status, r.raw)
			}
		}
	})
}

// §6 row: verify, session revoked on a database-checked route → 401
// unauthorised, tokens cleared, front-token: remove.

func TestProtocolVerifySessionRevoked(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			// Without revocation propagation, only database-checked
			// routes see the revocation before the token expires.
			e := newEnv(t, func(cfg *ginsession.Config) { cfg.RevocationPollInterval = -1 })
			c := e.newClient(mode)
			handle, _ := c.signIn("u1").body["handle"].(string)
			expectStatus(t, c.do("GET", "/api/checked", ""), 200, "")
			ok, err := e.sessions.RevokeSession(t.Context(), handle)
			if err != nil || !ok {
				t.Fatalf("RevokeSession: %v %v", ok, err)
			}
			// Stateless routes keep accepting the token until it expires.
			expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
			r := c.do("GET", "/api/checked", "")
			expectStatusAndBody(t, r, 401, bodyUnauthorised)
			expectClearedIn(t, r, mode)
			if mode == "cookie" && c.cookie("sAccessToken", "/") != "" {
				t.Error("the jar still holds sAccessToken after the clear")
			}
			if mode == "header" && (c.access != "" || c.refresh != "") {
				t.Error("header tokens not cleared")
			}
		})
	}
}

// §6 row: verify, claim validation failed → 403 invalid claim with
// claimValidationErrors, nothing cleared.

func TestProtocolVerifyInvalidClaim(t *testing.T) {
	global := roleValidator("st-role", "admin")
	for _, mode := range modes {
		t.Run(mode+"/global validator", func(t *testing.T) {
			e := newEnv(t, func(cfg *ginsession.Config) { cfg.ClaimValidators = []ginsession.ClaimValidator{global} })
			user := e.newClient(mode)
			expectStatus(t, user.do("POST", "/signin", `{"user":"u1","payload":{"role":"user"}}`), 200, "")
			for _, m := range []string{"GET", "POST"} {
				r := user.do(m, "/api/me", "")
				expectStatusAndBody(t, r, 403, `{"message":"invalid claim","claimValidationErrors":[{"id":"st-role","reason":{"message":"wrong role","expected":"admin","actual":"user"}}]}`)
				expectTokensUntouched(t, r)
			}
			// Refresh has no claims to check, and sign-out skips them.
			expectStatus(t, user.do("POST", "/auth/session/refresh", ""), 200, "")
			r := user.do("POST", "/auth/signout", "")
			expectStatusAndBody(t, r, 200, `{"status":"OK"}`)
			expectClearedIn(t, r, mode)
			admin := e.newClient(mode)
			expectStatus(t, admin.do("POST", "/signin", `{"user":"u2","payload":{"role":"admin"}}`), 200, "")
			expectStatus(t, admin.do("GET", "/api/me", ""), 200, "")
		})

		t.Run(mode+"/per-route validators", func(t *testing.T) {
			e := newEnv(t, func(cfg *ginsession.Config) { cfg.ClaimValidators = []ginsession.ClaimValidator{global} })
			ok := func(c *gin.Context) { c.JSON(200, gin.H{"ok": true}) }
			verified := ginsession.ValidatorFunc("st-ev", func(p ginsession.Payload) any {
				if v, _ := p.Bool("verified"); !v {
					return false
				}
				return nil
			})
			e.router.GET("/api/with", e.sessions.Verify(ginsession.WithClaimValidators(verified)), ok)
			e.router.GET("/api/override", e.sessions.Verify(ginsession.OverrideClaimValidators(func(g []ginsession.ClaimValidator) []ginsession.ClaimValidator {
				if len(g) != 1 || g[0].ID() != "st-role" {
					t.Errorf("override got globals %v", g)
				}
				return []ginsession.ClaimValidator{verified}
			})), ok)
			e.router.GET("/api/none", e.sessions.Verify(ginsession.OverrideClaimValidators(func([]ginsession.ClaimValidator) []ginsession.ClaimValidator { return nil })), ok)

			c := e.newClient(mode)
			expectStatus(t, c.do("POST", "/signin", `{"user":"u1","payload":{"role":"user","verified":false}}`), 200, "")
			r := c.do("GET", "/api/with", "")
			expectStatusAndBody(t, r, 403, `{"message":"invalid claim","claimValidationErrors":[
				{"id":"st-role","reason":{"message":"wrong role","expected":"admin","actual":"user"}},
				{"id":"st-ev","reason":false}]}`)
			expectTokensUntouched(t, r)
			r = c.do("GET", "/api/override", "")
			expectStatusAndBody(t, r, 403, `{"message":"invalid claim","claimValidationErrors":[{"id":"st-ev","reason":false}]}`)
			expectTokensUntouched(t, r)
			r = c.do("GET", "/api/none", "")
			expectStatusAndBody(t, r, 200, `{"ok":true}`)

			// Satisfy the route claim only: WithClaimValidators still
			// applies the global one; the override does not.
			c2 := e.newClient(mode)
			expectStatus(t, c2.do("POST", "/signin", `{"user":"u2","payload":{"role":"user","verified":true}}`), 200, "")
			r = c2.do("GET", "/api/with", "")
			expectStatusAndBody(t, r, 403, `{"message":"invalid claim","claimValidationErrors":[{"id":"st-role","reason":{"message":"wrong role","expected":"admin","actual":"user"}}]}`)
			expectStatusAndBody(t, c2.do("GET", "/api/override", ""), 200, `{"ok":true}`)
		})
	}
}

// The statuses of §6 are configurable; the configured ones are what the
// frontend gets.
func TestProtocolConfigurableStatuses(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, func(cfg *ginsession.Config) {
				cfg.SessionExpiredStatus = 440
				cfg.InvalidClaimStatus = 499
				cfg.ClaimValidators = []ginsession.ClaimValidator{roleValidator("st-role", "admin")}
			})
			anon := e.newClient(mode)
			r := anon.do("GET", "/api/me", "")
			expectStatusAndBody(t, r, 440, bodyUnauthorised)
			expectTokensUntouched(t, r)
			r = anon.do("POST", "/auth/session/refresh", "")
			expectStatusAndBody(t, r, 440, bodyUnauthorised)
			expectTokensUntouched(t, r) // no token was presented: nothing to clear

			c := e.newClient(mode)
			expectStatus(t, c.do("POST", "/signin", `{"user":"u1","payload":{"role":"user"}}`), 200, "")
			r = c.do("GET", "/api/me", "")
			if r.status != 499 || r.message() != "invalid claim" {
				t.Fatalf("claim failure: %d %s", r.status, r.raw)
			}
			expectTokensUntouched(t, r)

			t0 := c.refreshToken()
			e.clock.Advance(time.Hour + time.Second)
			r = c.do("GET", "/api/me", "")
			expectStatusAndBody(t, r, 440, bodyTryRefresh)
			expectTokensUntouched(t, r)
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			c.setRefreshToken(t0)
			r = c.do("POST", "/auth/session/refresh", "")
			expectStatusAndBody(t, r, 440, bodyTheft)
			expectClearedIn(t, r, mode)
		})
	}
}

// §6 row: refresh OK → 200 {}, a new pair, front-token, optional anti-csrf.

func TestProtocolRefreshOK(t *testing.T) {
	for _, csrf := range []ginsession.AntiCSRFMode{ginsession.AntiCSRFAuto, ginsession.AntiCSRFViaToken} {
		for _, mode := range modes {
			name := mode + "/anti-csrf " + string(csrf)
			if csrf == ginsession.AntiCSRFAuto {
				name = mode + "/anti-csrf auto"
			}
			t.Run(name, func(t *testing.T) {
				e := newEnv(t, func(cfg *ginsession.Config) { cfg.AntiCSRF = csrf })
				c := e.newClient(mode)
				in := c.do("POST", "/signin", `{"user":"user-é","payload":{"role":"admin","n":7,"obj":{"a":[1,"x"]}}}`)
				expectStatus(t, in, 200, "")
				handle, _ := in.body["handle"].(string)
				signinCSRF := in.header.Get("anti-csrf")
				oldAccess, oldRefresh := c.accessToken(), c.refreshToken()
				if oldAccess == "" || oldRefresh == "" {
					t.Fatal("sign-in did not hand out both tokens")
				}

				e.clock.Advance(time.Minute)
				r := c.do("POST", "/auth/session/refresh", "")
				if r.status != 200 || r.raw != "{}" {
					t.Fatalf("refresh: %d %q, want 200 {}", r.status, r.raw)
				}
				newAccess, newRefresh := c.accessToken(), c.refreshToken()
				if newAccess == "" || newAccess == oldAccess {
					t.Error("refresh did not issue a new access token")
				}
				if newRefresh == "" || newRefresh == oldRefresh {
					t.Error("refresh did not rotate the refresh token")
				}
				if mode == "cookie" {
					if a, f := cookiesNamed(r.header, "sAccessToken"), cookiesNamed(r.header, "sRefreshToken"); len(a) != 1 || len(f) != 1 || a[0].Value == "" || f[0].Value == "" {
						t.Errorf("cookie refresh: Set-Cookie %q", r.header.Values("Set-Cookie"))
					}
					expectNoTokenHeaders(t, r.header)
				} else {
					if r.header.Get("st-access-token") == "" || r.header.Get("st-refresh-token") == "" {
						t.Error("header refresh: st-access-token / st-refresh-token missing")
					}
					expectNoSessionCookies(t, r.header)
				}

				ft := r.header.Get("front-token")
				if ft == "" || ft == "remove" {
					t.Fatalf("refresh front-token %q", ft)
				}
				front := decodeFront(t, ft)
				up, _ := front["up"].(map[string]any)
				now := e.clock.Now().Unix()
				if front["uid"] != "user-é" || up["sub"] != "user-é" || up["sessionHandle"] != handle {
					t.Errorf("front-token uid/sub/sessionHandle: %v", front)
				}
				iat, _ := up["iat"].(float64)
				exp, _ := up["exp"].(float64)
				ate, _ := front["ate"].(float64)
				if int64(iat) != now || int64(exp) != now+3600 || int64(ate) != int64(exp)*1000 {
					t.Errorf("front-token times: iat %v exp %v ate %v, now %d", up["iat"], up["exp"], front["ate"], now)
				}
				if up["role"] != "admin" || up["n"] != float64(7) {
					t.Errorf("front-token custom payload: %v", up)
				}
				if o, _ := up["obj"].(map[string]any); o == nil || len(o["a"].([]any)) != 2 {
					t.Errorf("front-token nested payload: %v", up["obj"])
				}
				// The access token carries the same payload.
				claims := jwt.MapClaims{}
				if _, _, err := jwt.NewParser().ParseUnverified(newAccess, claims); err != nil {
					t.Fatal(err)
				}
				if claims["sessionHandle"] != handle || claims["role"] != "admin" {
					t.Errorf("access token claims %v", claims)
				}

				got := r.header.Get("anti-csrf")
				if csrf == ginsession.AntiCSRFViaToken {
					if got == "" || got != signinCSRF {
						t.Errorf("VIA_TOKEN refresh anti-csrf %q, sign-in gave %q", got, signinCSRF)
					}
				} else if _, ok := r.header["Anti-Csrf"]; ok {
					t.Errorf("anti-csrf header %q without VIA_TOKEN", got)
				}

				me := c.do("POST", "/api/me", "")
				expectStatus(t, me, 200, "")
				if me.body["handle"] != handle || me.body["userId"] != "user-é" {
					t.Errorf("after refresh: %s", me.raw)
				}
				expectSessionAlive(t, e, handle)
			})
		}
	}
}

// §6 row: refresh with an invalid / expired / revoked refresh token → 401
// unauthorised, all cleared; with no session token at all → 401
// unauthorised, nothing cleared (any site can send that request).

func TestProtocolRefreshUnauthorised(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode+"/no token", func(t *testing.T) {
			e := newEnv(t, nil)
			r := e.newClient(mode).do("POST", "/auth/session/refresh", "")
			expectStatusAndBody(t, r, 401, bodyUnauthorised)
			expectTokensUntouched(t, r)
			// Without any st-auth-mode either.
			r = sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session")
			expectStatusAndBody(t, r, 401, bodyUnauthorised)
			expectTokensUntouched(t, r)
		})

		t.Run(mode+"/garbage token", func(t *testing.T) {
			e := newEnv(t, nil)
			for name, tok := range map[string]string{
				"short":      "garbage",
				"jwt-shaped": "a.b.c",
				"100KB":      strings.Repeat("Z", 100<<10),
			} {
				r := sendWithToken(t, e.server.URL, mode, "POST", refreshPath, "sRefreshToken", tok)
				if r.status != 401 || r.message() != "unauthorised" {
					t.Errorf("%s: %d %s", name, r.status, r.raw)
				}
				expectJSONBody(t, r, bodyUnauthorised)
				if mode == "header" {
					// A bearer value without a refresh token's structure
					// is not a session token (an app's own Authorization):
					// the request carries none, and nothing is cleared.
					expectTokensUntouched(t, r)
				} else {
					expectClearedIn(t, r, mode)
				}
			}
		})

		t.Run(mode+"/corrupted token of a real session is not theft", func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			handle, _ := c.signIn("u1").body["handle"].(string)
			good := c.refreshToken()
			for _, i := range []int{5, len(good) / 2, len(good) - 3} {
				r := sendWithToken(t, e.server.URL, mode, "POST", refreshPath, "sRefreshToken", flipChar(good, i))
				expectStatusAndBody(t, r, 401, bodyUnauthorised)
				expectClearedIn(t, r, mode)
			}
			expectSessionAlive(t, e, handle)
			if n := e.events.count(&e.events.theft); n != 0 {
				t.Errorf("theft hook ran %d times for a forged token", n)
			}
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
		})

		t.Run(mode+"/expired token", func(t *testing.T) {
			e := newEnv(t, func(cfg *ginsession.Config) { cfg.RefreshTokenTTL = 2 * time.Hour })
			c := e.newClient(mode)
			handle, _ := c.signIn("u1").body["handle"].(string)
			e.clock.Advance(2*time.Hour + time.Second)
			r := c.do("POST", "/auth/session/refresh", "")
			expectStatusAndBody(t, r, 401, bodyUnauthorised)
			expectClearedIn(t, r, mode)
			expectSessionGone(t, e, handle)
		})

		t.Run(mode+"/revoked session", func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			handle, _ := c.signIn("u1").body["handle"].(string)
			if _, err := e.sessions.RevokeSession(t.Context(), handle); err != nil {
				t.Fatal(err)
			}
			r := c.do("POST", "/auth/session/refresh", "")
			expectStatusAndBody(t, r, 401, bodyUnauthorised)
			expectClearedIn(t, r, mode)
			if n := e.events.count(&e.events.theft); n != 0 {
				t.Errorf("theft hook ran %d times", n)
			}
		})
	}
}

// §6 row: refresh token theft → 401 token theft detected, session revoked,
// all cleared.

func TestProtocolRefreshTheft(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			handle, _ := c.signIn("u1").body["handle"].(string)
			t0 := c.refreshToken()
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			t2 := c.refreshToken()
			access := c.accessToken()
			if t2 == t0 {
				t.Fatal("no rotation")
			}

			c.setRefreshToken(t0) // two generations old
			r := c.do("POST", "/auth/session/refresh", "")
			expectStatusAndBody(t, r, 401, bodyTheft)
			expectClearedIn(t, r, mode)
			expectSessionGone(t, e, handle)
			if n := e.events.count(&e.events.theft); n != 1 {
				t.Errorf("theft hook ran %d times, want 1", n)
			}
			if n := e.events.count(&e.events.revoked); n != 1 {
				t.Errorf("revoked hook ran %d times, want 1", n)
			}

			// The newest token of the lineage is dead too.
			c.setRefreshToken(t2)
			r = c.do("POST", "/auth/session/refresh", "")
			expectStatusAndBody(t, r, 401, bodyUnauthorised)
			expectClearedIn(t, r, mode)
			// And so is the access token on a database-checked route.
			r = sendWithToken(t, e.server.URL, mode, "GET", "/api/checked", "sAccessToken", access)
			expectStatusAndBody(t, r, 401, bodyUnauthorised)
		})
	}
}

// §6 row: sign-out OK → 200 {"status":"OK"}, cleared in the request's
// method, front-token: remove.

func TestProtocolSignOutOK(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			handle, _ := c.signIn("u1").body["handle"].(string)
			refresh := c.refreshToken()
			r := c.do("POST", "/auth/signout", "")
			expectStatusAndBody(t, r, 200, `{"status":"OK"}`)
			expectClearedIn(t, r, mode)
			expectSessionGone(t, e, handle)
			if n := e.events.count(&e.events.revoked); n != 1 {
				t.Errorf("revoked hook ran %d times", n)
			}
			c.setRefreshToken(refresh)
			r = c.do("POST", "/auth/session/refresh", "")
			expectStatusAndBody(t, r, 401, bodyUnauthorised)
			expectClearedIn(t, r, mode)
		})
	}
}

// §6 row: sign-out with an expired access token → 401 try refresh token;
// the SDK refreshes and retries.

func TestProtocolSignOutExpiredAccessToken(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			handle, _ := c.signIn("u1").body["handle"].(string)
			e.clock.Advance(time.Hour + time.Second)
			r := c.do("POST", "/auth/signout", "")
			expectStatusAndBody(t, r, 401, bodyTryRefresh)
			expectTokensUntouched(t, r)
			expectSessionAlive(t, e, handle)

			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			r = c.do("POST", "/auth/signout", "")
			expectStatusAndBody(t, r, 200, `{"status":"OK"}`)
			expectClearedIn(t, r, mode)
			expectSessionGone(t, e, handle)
		})
	}
}

// §6 row: storage failure → 503 with Retry-After, nothing cleared.

func TestProtocolStorageFailure(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			c.signIn("u1")
			access, refresh := c.accessToken(), c.refreshToken()
			if err := e.store.Close(); err != nil {
				t.Fatalf("closing the store: %v", err)
			}
			expect503 := func(what string, r *resp) {
				t.Helper()
				if r.status != 503 {
					t.Errorf("%s with the store down: %d %s, want 503", what, r.status, r.raw)
				}
				if r.header.Get("Retry-After") == "" {
					t.Errorf("%s: no Retry-After", what)
				}
				if r.message() == "" {
					t.Errorf("%s: body %q has no message", what, r.raw)
				}
				expectTokensUntouched(t, r)
			}
			expect503("refresh", c.do("POST", "/auth/session/refresh", ""))
			expect503("sign-out", c.do("POST", "/auth/signout", ""))
			expect503("database-checked verify", c.do("GET", "/api/checked", ""))
			expect503("sign-in", c.do("POST", "/signin", `{"user":"u2"}`))
			if c.accessToken() != access || c.refreshToken() != refresh {
				t.Error("the client's tokens changed during the outage")
			}

			// Stateless verification keeps working with the keys in memory,
			// also after the periodic key reload starts failing.
			expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
			e.clock.Advance(2 * time.Minute)
			r := c.do("POST", "/api/me", "")
			expectStatus(t, r, 200, "")
			if r.body["userId"] != "u1" {
				t.Errorf("stateless verify during the outage: %s", r.raw)
			}
			expectTokensUntouched(t, r)
		})
	}
}
