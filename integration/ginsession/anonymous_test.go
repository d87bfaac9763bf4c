package ginsession_test

// Anonymous sessions and their upgrade to a user session.

import (
	"errors"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

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
