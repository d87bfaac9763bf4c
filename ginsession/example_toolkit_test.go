package ginsession_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// exampleServer runs a router and returns a function that sends requests in
// header mode, keeping the tokens like the frontend SDK does.
func exampleClient(router *gin.Engine) func(method, path string) (int, string) {
	var access, refresh string
	return func(method, path string) (int, string) {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("st-auth-mode", "header")
		req.Header.Set("rid", "anti-csrf")
		tok := access
		if path == "/auth/session/refresh" {
			tok = refresh
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		w := httptest.NewRecorder()
		router.ServeHTTP(w, req)
		if v, ok := w.Header()["St-Access-Token"]; ok {
			access = v[0]
		}
		if v, ok := w.Header()["St-Refresh-Token"]; ok {
			refresh = v[0]
		}
		return w.Code, w.Body.String()
	}
}

// Claims: a boolean claim fetched from the app's user table, required on a
// route; the frontend reads it from the access-token payload.
func ExampleNewBooleanClaim() {
	st, done := exampleStore()
	defer done()
	verified := map[string]bool{"ann": false}
	emailVerified := ginsession.NewBooleanClaim("st-ev", func(ctx context.Context, userID string, _ ginsession.Payload) (bool, bool, error) {
		return verified[userID], true, nil
	})

	router := gin.New()
	sessions, err := ginsession.Register(router, ginsession.Config{
		Store:     st,
		APIDomain: "http://localhost:8080",
		Claims:    []ginsession.Claim{emailVerified},
	})
	if err != nil {
		log.Fatal(err)
	}
	router.POST("/signin", func(c *gin.Context) {
		if _, err := sessions.Create(c, "ann", nil, nil); err != nil {
			sessions.HandleError(c, err)
		}
	})
	router.GET("/billing", sessions.Verify(ginsession.WithClaimValidators(emailVerified.IsTrue())), func(c *gin.Context) {
		v, _ := emailVerified.Get(ginsession.FromContext(c).Payload())
		c.JSON(http.StatusOK, gin.H{"verified": v})
	})

	do := exampleClient(router)
	do("POST", "/signin")
	fmt.Println(do("GET", "/billing"))
	verified["ann"] = true              // the user clicks the link in the email
	do("POST", "/auth/session/refresh") // claims are fetched again at refresh
	fmt.Println(do("GET", "/billing"))
	// Output:
	// 403 {"claimValidationErrors":[{"id":"st-ev","reason":{"actualValue":false,"expectedValue":true,"message":"wrong value"}}],"message":"invalid claim"}
	// 200 {"verified":true}
}

// MergePayload changes what the access token carries; the new token goes
// out on the same response.
func ExampleSession_MergePayload() {
	st, done := exampleStore()
	defer done()
	router := gin.New()
	sessions, err := ginsession.Register(router, ginsession.Config{Store: st, APIDomain: "http://localhost:8080"})
	if err != nil {
		log.Fatal(err)
	}
	router.POST("/signin", func(c *gin.Context) {
		if _, err := sessions.Create(c, "ann", map[string]any{"theme": "light"}, nil); err != nil {
			sessions.HandleError(c, err)
		}
	})
	router.POST("/theme/dark", sessions.Verify(), func(c *gin.Context) {
		if err := ginsession.FromContext(c).MergePayload(c, map[string]any{"theme": "dark"}); err != nil {
			sessions.HandleError(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	})
	router.GET("/theme", sessions.Verify(), func(c *gin.Context) {
		theme, _ := ginsession.FromContext(c).Payload().String("theme")
		c.String(http.StatusOK, theme)
	})

	do := exampleClient(router)
	do("POST", "/signin")
	fmt.Println(do("GET", "/theme"))
	do("POST", "/theme/dark")
	fmt.Println(do("GET", "/theme"))
	// Output:
	// 200 light
	// 200 dark
}

// Anonymous sessions keep a visitor's cart; at sign-in the cart moves into
// the user's session and the anonymous one is revoked.
func ExampleSessions_CreateFromAnonymous() {
	st, done := exampleStore()
	defer done()
	router := gin.New()
	sessions, err := ginsession.Register(router, ginsession.Config{Store: st, APIDomain: "http://localhost:8080"})
	if err != nil {
		log.Fatal(err)
	}
	router.POST("/cart/apple", func(c *gin.Context) {
		if _, err := sessions.CreateAnonymous(c, nil, map[string]any{"cart": []string{"apple"}}); err != nil {
			sessions.HandleError(c, err)
		}
	})
	router.POST("/signin", func(c *gin.Context) {
		_, err := sessions.CreateFromAnonymous(c, "ann", nil, func(anon map[string]any) map[string]any {
			return map[string]any{"cart": anon["cart"]}
		})
		if err != nil {
			sessions.HandleError(c, err)
		}
	})
	router.GET("/cart", sessions.Verify(), func(c *gin.Context) {
		s := ginsession.FromContext(c)
		data, err := s.Data(c)
		if err != nil {
			sessions.HandleError(c, err)
			return
		}
		b, _ := json.Marshal(data["cart"])
		who := s.UserID()
		if s.IsAnonymous() {
			who = "a visitor"
		}
		c.String(http.StatusOK, "%s: cart=%s", who, b)
	})

	do := exampleClient(router)
	do("POST", "/cart/apple")
	fmt.Println(do("GET", "/cart"))
	do("POST", "/signin")
	fmt.Println(do("GET", "/cart"))
	// Output:
	// 200 a visitor: cart=["apple"]
	// 200 ann: cart=["apple"]
}

// Impersonation: support staff with the "support" role act as a user; the
// session says who is acting.
func ExampleSessions_Impersonate() {
	st, done := exampleStore()
	defer done()
	roles := ginsession.NewArrayClaim("roles", func(ctx context.Context, userID string, _ ginsession.Payload) ([]string, bool, error) {
		if userID == "sam" {
			return []string{"support"}, true, nil
		}
		return nil, false, nil
	})
	router := gin.New()
	sessions, err := ginsession.Register(router, ginsession.Config{
		Store: st, APIDomain: "http://localhost:8080", Claims: []ginsession.Claim{roles},
	})
	if err != nil {
		log.Fatal(err)
	}
	router.POST("/signin", func(c *gin.Context) {
		if _, err := sessions.Create(c, "sam", nil, nil); err != nil {
			sessions.HandleError(c, err)
		}
	})
	router.POST("/support/act-as-ann", sessions.Verify(), func(c *gin.Context) {
		_, err := sessions.Impersonate(c, ginsession.FromContext(c), "ann", nil, roles.Includes("support"))
		if err != nil {
			sessions.HandleError(c, err)
		}
	})
	router.GET("/whoami", sessions.Verify(), func(c *gin.Context) {
		s := ginsession.FromContext(c)
		if a := s.Actor(); a != nil {
			c.String(http.StatusOK, "%s (acting: %s)", s.UserID(), a.UserID)
			return
		}
		c.String(http.StatusOK, s.UserID())
	})

	do := exampleClient(router)
	do("POST", "/signin")
	fmt.Println(do("GET", "/whoami"))
	do("POST", "/support/act-as-ann")
	fmt.Println(do("GET", "/whoami"))
	// Output:
	// 200 sam
	// 200 ann (acting: sam)
}
