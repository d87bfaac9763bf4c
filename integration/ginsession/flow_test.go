package ginsession_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
)

// TestFlow runs the whole life of a session the way the frontend SDK drives
// it: sign in, verify, the access token expires, 401 try refresh token,
// refresh, verify again, sign out, refresh fails.
func TestFlow(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			signin := c.do("POST", "/signin", `{"user":"user-1","payload":{"role":"admin"}}`)
			expectStatus(t, signin, 200, "")
			handle, _ := signin.body["handle"].(string)
			front := decodeFront(t, signin.header.Get("front-token"))
			if front["uid"] != "user-1" {
				t.Fatalf("front-token uid %v", front["uid"])
			}
			if mode == "cookie" {
				if c.cookie("sAccessToken", "/") == "" || c.refreshToken() == "" {
					t.Fatal("cookie mode: session cookies not set")
				}
				if signin.header.Get("st-access-token") != "" {
					t.Fatal("cookie mode leaked st-access-token header")
				}
			} else {
				if c.access == "" || c.refresh == "" {
					t.Fatal("header mode: tokens not in headers")
				}
				if len(setCookies(signin.header)) != 0 {
					t.Fatal("header mode set cookies")
				}
			}

			me := c.do("GET", "/api/me", "")
			expectStatus(t, me, 200, "")
			if me.body["userId"] != "user-1" || me.body["handle"] != handle {
				t.Fatalf("verify returned %v", me.body)
			}
			if p, _ := me.body["payload"].(map[string]any); p["role"] != "admin" {
				t.Fatalf("payload %v", me.body["payload"])
			}

			e.clock.Advance(time.Hour + time.Second)
			expectStatus(t, c.do("GET", "/api/me", ""), 401, "try refresh token")

			oldRefresh := c.refreshToken()
			ref := c.do("POST", "/auth/session/refresh", "")
			expectStatus(t, ref, 200, "")
			if ref.raw != "{}" {
				t.Fatalf("refresh body %q", ref.raw)
			}
			if c.refreshToken() == oldRefresh || c.refreshToken() == "" {
				t.Fatal("refresh did not rotate the refresh token")
			}
			if ref.header.Get("front-token") == "" {
				t.Fatal("refresh without front-token")
			}
			me = c.do("POST", "/api/me", "")
			expectStatus(t, me, 200, "")
			if me.body["handle"] != handle {
				t.Fatal("refresh changed the session handle")
			}

			out := c.do("POST", "/auth/signout", "")
			expectStatus(t, out, 200, "")
			if out.body["status"] != "OK" || out.header.Get("front-token") != "remove" {
				t.Fatalf("sign-out: %s front-token %q", out.raw, out.header.Get("front-token"))
			}
			if _, err := e.sessions.GetSessionInfo(t.Context(), handle); !errors.Is(err, ginsession.ErrSessionNotFound) {
				t.Fatalf("session still stored after sign-out: %v", err)
			}
			if mode == "cookie" && c.cookie("sAccessToken", "/") != "" {
				t.Fatal("sign-out left the access cookie")
			}
			if mode == "header" && (c.access != "" || c.refresh != "") {
				t.Fatal("sign-out did not clear header tokens")
			}
			// The refresh token from before sign-out is dead.
			c.setRefreshToken(oldRefresh)
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 401, "")
			if n := e.events.count(&e.events.created); n != 1 {
				t.Fatalf("created hook ran %d times", n)
			}
			if n := e.events.count(&e.events.refreshed); n != 1 {
				t.Fatalf("refreshed hook ran %d times", n)
			}
			if n := e.events.count(&e.events.revoked); n != 1 {
				t.Fatalf("revoked hook ran %d times", n)
			}
		})
	}
}

// TestRotation covers the refresh state machine of DESIGN.md over HTTP.
func TestRotation(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode+"/previous inside the window works and does not fork", func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			c.signIn("u")
			t0 := c.refreshToken()
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			t1 := c.refreshToken()
			e.clock.Advance(10 * time.Second)
			// The response was lost: the client retries with t0.
			c.setRefreshToken(t0)
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			if got := c.refreshToken(); got != t1 {
				t.Fatal("retry inside the window forked the lineage: got a different child")
			}
			// The lineage goes on from t1.
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			if e.events.count(&e.events.theft) != 0 {
				t.Fatal("theft reported for a retry")
			}
			expectStatus(t, c.do("GET", "/api/checked", ""), 200, "")
		})
		t.Run(mode+"/previous after the window is theft", func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			handle := c.signIn("u").body["handle"].(string)
			t0 := c.refreshToken()
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			t1 := c.refreshToken()
			e.clock.Advance(31 * time.Second)
			c.setRefreshToken(t0)
			r := c.do("POST", "/auth/session/refresh", "")
			expectStatus(t, r, 401, "token theft detected")
			if r.header.Get("front-token") != "remove" {
				t.Fatal("theft response does not remove the frontend session")
			}
			if _, err := e.sessions.GetSessionInfo(t.Context(), handle); !errors.Is(err, ginsession.ErrSessionNotFound) {
				t.Fatal("session survived theft")
			}
			c.setRefreshToken(t1)
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 401, "unauthorised")
			if e.events.count(&e.events.theft) != 1 {
				t.Fatal("theft hook not called once")
			}
		})
		t.Run(mode+"/two generations old is theft even inside the window", func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			c.signIn("u")
			t0 := c.refreshToken()
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			c.setRefreshToken(t0)
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 401, "token theft detected")
		})
		t.Run(mode+"/forged token for a real handle is unauthorised and revokes nothing", func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			handle := c.signIn("u").body["handle"].(string)
			good := c.refreshToken()
			// Flip one character in the secret part: same handle, wrong MAC.
			b := []byte(good)
			i := len(b) / 2
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			c.setRefreshToken(string(b))
			r := c.do("POST", "/auth/session/refresh", "")
			expectStatus(t, r, 401, "unauthorised")
			if _, err := e.sessions.GetSessionInfo(t.Context(), handle); err != nil {
				t.Fatalf("forged token revoked the session: %v", err)
			}
			if e.events.count(&e.events.theft) != 0 {
				t.Fatal("forged token reported as theft")
			}
			c.setRefreshToken(good)
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
		})
	}
}
