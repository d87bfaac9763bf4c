package ginsession_test

// Custom error handlers and the Errors middleware.

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

func TestCustomErrorHandlers(t *testing.T) {
	var theftSeen *ginsession.TheftError
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.ErrorHandlers = ginsession.ErrorHandlers{
			Unauthorised: func(c *gin.Context, err error) {
				if c.FullPath() == "/page" {
					c.Redirect(http.StatusFound, "/login")
					return
				}
				c.AbortWithStatusJSON(401, gin.H{"message": "unauthorised", "hint": "sign in"})
			},
			TryRefreshToken: func(c *gin.Context, err error) {
				c.Header("X-Refresh", "1")
				c.AbortWithStatusJSON(401, gin.H{"message": "try refresh token"})
			},
			TokenTheft: func(c *gin.Context, err *ginsession.TheftError) {
				theftSeen = err
				c.AbortWithStatusJSON(401, gin.H{"message": "token theft detected", "session": err.Handle})
			},
			InvalidClaim: func(c *gin.Context, err *ginsession.ClaimValidationError) {
				c.AbortWithStatusJSON(403, gin.H{"error": "forbidden", "claims": len(err.Failures)})
			},
		}
	})
	s := e.sessions
	e.router.GET("/page", s.Verify(), func(c *gin.Context) { c.String(200, "page") })
	e.router.GET("/claimed", s.Verify(ginsession.WithClaimValidators(ginsession.ValidatorFunc("x", func(ginsession.Payload) any { return "no" }))), func(c *gin.Context) {})
	c := e.newClient("header")
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r := c.do("GET", "/page", "")
	if r.status != 302 || r.header.Get("Location") != "/login" {
		t.Fatalf("page without session: %d %v", r.status, r.header)
	}
	r = c.do("GET", "/api/me", "")
	if r.status != 401 || r.body["hint"] != "sign in" {
		t.Fatalf("custom unauthorised: %d %s", r.status, r.raw)
	}
	c.signIn("u")
	old := c.refresh
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	r = c.do("GET", "/claimed", "")
	if r.status != 403 || r.body["error"] != "forbidden" {
		t.Fatalf("custom invalid claim: %d %s", r.status, r.raw)
	}
	e.clock.Advance(2 * time.Hour)
	r = c.do("GET", "/api/me", "")
	if r.status != 401 || r.header.Get("X-Refresh") != "1" {
		t.Fatalf("custom try refresh: %d %v", r.status, r.header)
	}
	c.refresh = old
	r = c.do("POST", "/auth/session/refresh", "")
	if r.status != 401 || theftSeen == nil || r.body["session"] != theftSeen.Handle {
		t.Fatalf("custom theft: %d %s", r.status, r.raw)
	}
	// ginsession cleared the tokens before the custom handler ran.
	if r.header.Get("front-token") != "remove" || r.header.Values("St-Refresh-Token")[0] != "" {
		t.Fatal("custom theft handler ran without the tokens being cleared")
	}
	// WriteDefaultError bypasses the custom handlers.
	e.router.GET("/default", func(c *gin.Context) { s.WriteDefaultError(c, ginsession.ErrUnauthorised) })
	r = c.do("GET", "/default", "")
	if r.raw != `{"message":"unauthorised"}` {
		t.Fatalf("default error: %s", r.raw)
	}
}

func TestErrorsMiddleware(t *testing.T) {
	e := newEnv(t, nil)
	s := e.sessions
	g := e.router.Group("/g", s.Errors())
	g.GET("/data", s.Verify(), func(c *gin.Context) {
		if _, err := ginsession.FromContext(c).Data(c); err != nil {
			_ = c.Error(err) // recorded, answered by the middleware
			return
		}
		c.JSON(200, gin.H{})
	})
	g.GET("/other", func(c *gin.Context) { _ = c.Error(errors.New("not ours")) })
	c := e.newClient("cookie")
	handle := c.signIn("u").body["handle"].(string)
	expectStatus(t, c.do("GET", "/g/data", ""), 200, "")
	if _, err := s.RevokeSession(t.Context(), handle); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, c.do("GET", "/g/data", ""), 401, "unauthorised") // refused by Verify
	// A session that vanishes behind ginsession's back (deleted in the
	// store directly) passes Verify and fails inside the handler.
	d := e.newClient("cookie")
	h2 := d.signIn("v").body["handle"].(string)
	if _, err := e.store.DeleteSession(t.Context(), h2); err != nil {
		t.Fatal(err)
	}
	r := d.do("GET", "/g/data", "")
	expectStatus(t, r, 401, "unauthorised")
	if r.header.Get("front-token") != "remove" {
		t.Fatal("session vanished mid-request but the frontend was not told")
	}
	// Errors that are not ginsession's are left to the app.
	if r := d.do("GET", "/g/other", ""); r.status != 200 || r.raw != "" {
		t.Fatalf("foreign error handled: %d %q", r.status, r.raw)
	}
}
