package ginsession_test

// Impersonation: a support operator acting as a user.

import (
	"context"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

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
