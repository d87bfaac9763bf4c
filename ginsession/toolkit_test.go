package ginsession_test

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/postgresstore"
)

// TestRevocationIsInstantOnThisInstance: a revoked session's access token
// fails at once even on routes that do not check the database.
func TestRevocationIsInstantOnThisInstance(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			handle := c.signIn("u").body["handle"].(string)
			expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
			if _, err := e.sessions.RevokeSession(t.Context(), handle); err != nil {
				t.Fatal(err)
			}
			r := c.do("GET", "/api/me", "")
			expectStatus(t, r, 401, "unauthorised")
			if r.header.Get("front-token") != "remove" {
				t.Fatal("revoked session not removed from the frontend")
			}
		})
	}
}

// TestRevocationPropagatesAcrossInstances: two engines on one Postgres;
// revoke on A, B refuses the token within one second. Reports the measured
// delay.
func TestRevocationPropagatesAcrossInstances(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	open := func() store.Store {
		st, err := postgresstore.Open(dsn, gormstore.Options{CleanupInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	same := func(cfg *ginsession.Config) { cfg.APIDomain = "http://api.example.test" }
	a := newEnvOn(t, open(), nil, same)
	b := newEnvOn(t, open(), nil, same)

	var delays []time.Duration
	for round := 0; round < 10; round++ {
		c := a.newClient("header")
		handle := c.signIn("u").body["handle"].(string)
		c.env = b
		expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
		ctx := t.Context()
		start := time.Now()
		if round%2 == 0 {
			if _, err := a.sessions.RevokeSession(ctx, handle); err != nil {
				t.Fatal(err)
			}
		} else if _, err := a.sessions.RevokeAllSessions(ctx, "u"); err != nil {
			t.Fatal(err)
		}
		for {
			r := c.do("GET", "/api/me", "")
			if r.status == 401 {
				delays = append(delays, time.Since(start))
				break
			}
			if r.status != 200 {
				t.Fatalf("unexpected status %d", r.status)
			}
			if time.Since(start) > time.Second {
				t.Fatalf("round %d: B still accepts a token revoked on A after %v", round, time.Since(start))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	t.Logf("propagation delay over %d revocations: min %v, median %v, max %v", len(delays), delays[0], delays[len(delays)/2], delays[len(delays)-1])
}

func TestAnonymousSessionBecomesUserSession(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, nil)
			s := e.sessions
			e.router.POST("/visit", func(c *gin.Context) {
				sess, err := s.CreateAnonymous(c, nil, map[string]any{"cart": []string{"apple"}, "tracking": "x"})
				if err != nil {
					s.HandleError(c, err)
					return
				}
				c.JSON(200, gin.H{"handle": sess.Handle(), "userId": sess.UserID()})
			})
			e.router.GET("/whoami", s.Verify(), func(c *gin.Context) {
				sess := ginsession.FromContext(c)
				data, _ := sess.Data(c)
				c.JSON(200, gin.H{"userId": sess.UserID(), "anonymous": sess.IsAnonymous(), "data": data})
			})
			e.router.POST("/login", func(c *gin.Context) {
				sess, err := s.CreateFromAnonymous(c, "alice", nil, func(anon map[string]any) map[string]any {
					return map[string]any{"cart": anon["cart"]} // keep the cart, drop the rest
				})
				if err != nil {
					s.HandleError(c, err)
					return
				}
				c.JSON(200, gin.H{"handle": sess.Handle()})
			})
			c := e.newClient(mode)
			visit := c.do("POST", "/visit", "")
			expectStatus(t, visit, 200, "")
			anonHandle := visit.body["handle"].(string)
			who := c.do("GET", "/whoami", "")
			if who.body["anonymous"] != true || who.body["userId"] == "alice" {
				t.Fatalf("anonymous session: %v", who.body)
			}
			login := c.do("POST", "/login", "")
			expectStatus(t, login, 200, "")
			who = c.do("GET", "/whoami", "")
			data, _ := who.body["data"].(map[string]any)
			if who.body["userId"] != "alice" || who.body["anonymous"] != false {
				t.Fatalf("after sign-in: %v", who.body)
			}
			if cart, _ := data["cart"].([]any); len(cart) != 1 || cart[0] != "apple" || data["tracking"] != nil {
				t.Fatalf("carried data: %v", data)
			}
			if _, err := s.GetSessionInfo(t.Context(), anonHandle); !errors.Is(err, ginsession.ErrSessionNotFound) {
				t.Fatal("anonymous session survived sign-in")
			}
			// A sign-in without an anonymous session works too (carry gets nil).
			fresh := e.newClient(mode)
			expectStatus(t, fresh.do("POST", "/login", ""), 200, "")
			// An expired anonymous token makes sign-in ask for a refresh,
			// so the cart is not lost.
			d := e.newClient(mode)
			d.do("POST", "/visit", "")
			e.clock.Advance(2 * time.Hour)
			expectStatus(t, d.do("POST", "/login", ""), 401, "try refresh token")
			expectStatus(t, d.do("POST", "/auth/session/refresh", ""), 200, "")
			expectStatus(t, d.do("POST", "/login", ""), 200, "")
			if data := d.do("GET", "/whoami", "").body["data"].(map[string]any); data["cart"] == nil {
				t.Fatal("cart lost across refresh + sign-in")
			}
			// A signed-in user's expired token does not block a new
			// sign-in: there is nothing to carry.
			e.clock.Advance(2 * time.Hour)
			expectStatus(t, d.do("POST", "/login", ""), 200, "")
		})
	}
}

func TestImpersonation(t *testing.T) {
	roles := ginsession.NewArrayClaim("roles", func(ctx context.Context, userID string, _ ginsession.Payload) ([]string, bool, error) {
		if userID == "operator" {
			return []string{"support"}, true, nil
		}
		return nil, false, nil
	})
	e := newEnv(t, func(cfg *ginsession.Config) { cfg.Claims = []ginsession.Claim{roles} })
	s := e.sessions
	var audit []string
	e.router.POST("/support/impersonate", s.Verify(), func(c *gin.Context) {
		var in struct{ User string }
		_ = c.BindJSON(&in)
		sess, err := s.Impersonate(c, ginsession.FromContext(c), in.User, nil, roles.Includes("support"))
		if err != nil {
			s.HandleError(c, err)
			return
		}
		c.JSON(200, gin.H{"handle": sess.Handle()})
	})
	e.router.GET("/act", s.Verify(), func(c *gin.Context) {
		sess := ginsession.FromContext(c)
		if a := sess.Actor(); a != nil {
			audit = append(audit, a.UserID+" as "+sess.UserID())
			c.JSON(200, gin.H{"userId": sess.UserID(), "actor": a.UserID})
			return
		}
		c.JSON(200, gin.H{"userId": sess.UserID()})
	})
	e.router.GET("/act/checked", s.Verify(ginsession.CheckDatabase()), func(c *gin.Context) { c.JSON(200, gin.H{}) })

	// A user without the claim cannot impersonate.
	plain := e.newClient("header")
	plain.signIn("mallory")
	r := plain.do("POST", "/support/impersonate", `{"user":"alice"}`)
	expectStatus(t, r, 403, "invalid claim")

	op := e.newClient("header")
	op.signIn("operator")
	r = op.do("POST", "/support/impersonate", `{"user":"alice"}`)
	expectStatus(t, r, 200, "")
	r = op.do("GET", "/act", "")
	if r.body["userId"] != "alice" || r.body["actor"] != "operator" {
		t.Fatalf("impersonation session: %v", r.body)
	}
	if len(audit) != 1 || audit[0] != "operator as alice" {
		t.Fatalf("audit %v", audit)
	}
	up := decodeFront(t, op.front)["up"].(map[string]any)
	if act, _ := up["act"].(map[string]any); act["sub"] != "operator" {
		t.Fatalf("act claim in the token: %v", up["act"])
	}
	// An impersonation session cannot impersonate again.
	expectStatus(t, op.do("POST", "/support/impersonate", `{"user":"bob"}`), 400, "")

	// Revoking the operator's sessions ends the impersonation: at once on
	// every route (propagation), and its refresh fails.
	impersonation := *op
	if _, err := s.RevokeAllSessions(t.Context(), "operator"); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, impersonation.do("GET", "/act", ""), 401, "unauthorised")
	expectStatus(t, impersonation.do("POST", "/auth/session/refresh", ""), 401, "unauthorised")

	// Without propagation, database-checked routes and refresh still end it.
	e2 := newEnv(t, func(cfg *ginsession.Config) {
		cfg.Claims = []ginsession.Claim{roles}
		cfg.RevocationPollInterval = -1
	})
	e2.router.POST("/support/impersonate", e2.sessions.Verify(), func(c *gin.Context) {
		sess, err := e2.sessions.Impersonate(c, ginsession.FromContext(c), "alice", nil, roles.Includes("support"))
		if err != nil {
			e2.sessions.HandleError(c, err)
			return
		}
		c.JSON(200, gin.H{"handle": sess.Handle()})
	})
	e2.router.GET("/act/checked", e2.sessions.Verify(ginsession.CheckDatabase()), func(c *gin.Context) { c.JSON(200, gin.H{}) })
	op2 := e2.newClient("header")
	op2.signIn("operator")
	expectStatus(t, op2.do("POST", "/support/impersonate", ""), 200, "")
	expectStatus(t, op2.do("GET", "/act/checked", ""), 200, "")
	if _, err := e2.sessions.RevokeAllSessions(t.Context(), "operator"); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, op2.do("GET", "/api/me", ""), 200, "") // stateless: until expiry
	expectStatus(t, op2.do("GET", "/act/checked", ""), 401, "unauthorised")
	expectStatus(t, op2.do("POST", "/auth/session/refresh", ""), 401, "unauthorised")
	list, _ := e2.sessions.ListSessions(t.Context(), "alice")
	if len(list) != 0 {
		t.Fatalf("impersonation session survived its failed refresh: %d", len(list))
	}
}

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
