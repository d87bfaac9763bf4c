package ginsession_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// mountGetSession adds routes that verify with GetSession instead of Verify:
// /api/get reports what GetSession returned and what was on the response
// at that point; /api/get-handled answers errors with HandleError.
func mountGetSession(e *env) {
	s := e.sessions
	e.router.GET("/api/get", func(c *gin.Context) {
		sess, err := s.GetSession(c, ginsession.CheckDatabase())
		report := gin.H{
			"wrote":       c.Writer.Written(),
			"setCookies":  len(c.Writer.Header().Values("Set-Cookie")),
			"fromContext": ginsession.FromContext(c) != nil,
		}
		if err != nil {
			report["unauthorised"] = errors.Is(err, ginsession.ErrUnauthorised)
			report["tryRefresh"] = errors.Is(err, ginsession.ErrTryRefreshToken)
			c.JSON(http.StatusTeapot, report)
			return
		}
		report["userId"] = sess.UserID()
		c.JSON(http.StatusOK, report)
	})
	e.router.GET("/api/get-handled", func(c *gin.Context) {
		sess, err := s.GetSession(c, ginsession.CheckDatabase())
		if err != nil {
			s.HandleError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"userId": sess.UserID(), "handle": sess.Handle(), "payload": sess.Payload()})
	})
}

// GetSession decides like Verify but leaves the answer to the handler:
// nothing is written, nothing is cleared, FromContext stays nil; handed to
// HandleError, its error gets exactly Verify's response.
func TestGetSessionDecidesLikeVerifyAndWritesNothing(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, nil)
			mountGetSession(e)
			c := e.newClient(mode)
			c.signIn("user-1")

			got := c.do("GET", "/api/get", "")
			expectStatus(t, got, 200, "")
			if got.body["userId"] != "user-1" || got.body["fromContext"] != false || got.body["setCookies"] != float64(0) {
				t.Fatalf("valid session: %s", got.raw)
			}
			same := func(what string) {
				t.Helper()
				verify := c.do("GET", "/api/checked", "")
				handled := c.do("GET", "/api/get-handled", "")
				if verify.status != handled.status || verify.raw != handled.raw {
					t.Fatalf("%s: Verify answered %d %s, GetSession+HandleError %d %s", what, verify.status, verify.raw, handled.status, handled.raw)
				}
				if len(verify.header.Values("Set-Cookie")) != len(handled.header.Values("Set-Cookie")) {
					t.Fatalf("%s: Verify set %q, GetSession+HandleError %q", what, verify.header.Values("Set-Cookie"), handled.header.Values("Set-Cookie"))
				}
			}
			same("valid session")

			e.clock.Advance(time.Hour + time.Second)
			got = c.do("GET", "/api/get", "")
			if got.status != http.StatusTeapot || got.body["tryRefresh"] != true || got.body["wrote"] != false {
				t.Fatalf("expired access token: %s", got.raw)
			}
			same("expired access token")
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")

			// A revoked session: Verify(CheckDatabase) clears the tokens;
			// GetSession reports it and clears nothing until HandleError.
			me := c.do("GET", "/api/get-handled", "")
			expectStatus(t, me, 200, "")
			if _, err := e.sessions.RevokeSession(t.Context(), me.body["handle"].(string)); err != nil {
				t.Fatal(err)
			}
			got = c.do("GET", "/api/get", "")
			if got.status != http.StatusTeapot || got.body["unauthorised"] != true || got.body["setCookies"] != float64(0) || len(got.header.Values("Set-Cookie")) != 0 {
				t.Fatalf("revoked session: %s (Set-Cookie %q)", got.raw, got.header.Values("Set-Cookie"))
			}
			if mode == "cookie" {
				handled := c.do("GET", "/api/get-handled", "")
				expectStatus(t, handled, 401, "unauthorised")
				if ck := findCookie(handled.header, "sAccessToken"); ck == nil || ck.Value != "" {
					t.Fatalf("HandleError did not clear the access cookie: %q", handled.header.Values("Set-Cookie"))
				}
			}
		})
	}
}

// With Optional, a request without any token is a guest: (nil, nil).
func TestGetSessionOptionalGuest(t *testing.T) {
	e := newEnv(t, nil)
	var sess *ginsession.Session
	var err error
	called := false
	e.router.GET("/api/guest", func(c *gin.Context) {
		called = true
		sess, err = e.sessions.GetSession(c, ginsession.Optional())
		c.Status(http.StatusNoContent)
	})
	r := e.newClient("cookie").do("GET", "/api/guest", "")
	if !called || r.status != http.StatusNoContent || sess != nil || err != nil {
		t.Fatalf("guest: called %v status %d session %v err %v", called, r.status, sess, err)
	}
	e.router.GET("/api/required", func(c *gin.Context) {
		sess, err = e.sessions.GetSession(c)
		c.Status(http.StatusNoContent)
	})
	e.newClient("cookie").do("GET", "/api/required", "")
	if sess != nil || !errors.Is(err, ginsession.ErrUnauthorised) {
		t.Fatalf("no token, not optional: session %v err %v", sess, err)
	}
}
