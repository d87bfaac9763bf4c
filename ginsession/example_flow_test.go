package ginsession_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// The whole flow of the README's quick start, over HTTP: the app's own
// sign-in route calls Create, a protected route uses Verify, and the SDK's
// calls (refresh, sign-out) go to the routes Register mounted. A cookie jar
// plays the browser; rid is the header the frontend SDK sends.
func Example_signInFlow() {
	st, done := exampleStore()
	defer done()

	router := gin.New()
	if err := router.SetTrustedProxies(nil); err != nil {
		log.Fatal(err)
	}
	sessions, err := ginsession.Register(router, ginsession.Config{
		Store:         st,
		APIDomain:     "http://localhost:8080",
		WebsiteDomain: "http://localhost:3000",
	})
	if err != nil {
		log.Fatal(err)
	}
	router.Use(sessions.CORS()) // for the app's own routes, added below
	router.POST("/signin", func(c *gin.Context) {
		// ... check the user's credentials first ...
		if _, err := sessions.Create(c, "user-42", map[string]any{"role": "editor"}, nil); err != nil {
			sessions.HandleError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "OK"})
	})
	router.GET("/api/me", sessions.Verify(), func(c *gin.Context) {
		s := ginsession.FromContext(c)
		c.JSON(http.StatusOK, gin.H{"userId": s.UserID(), "role": s.Payload()["role"]})
	})

	srv := httptest.NewServer(router)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	call := func(method, path string, header ...string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.Header.Set("rid", "anti-csrf")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Println(method, path, resp.StatusCode, strings.TrimSpace(string(body)))
	}

	call("GET", "/api/me")                                  // no session yet
	call("POST", "/signin", "st-auth-mode", "cookie")       // cookies set
	call("GET", "/api/me")                                  // the session
	call("POST", "/auth/session/refresh", "rid", "session") // what the SDK does on a 401
	call("GET", "/api/me")                                  // with the new access token
	call("POST", "/auth/signout", "rid", "session")         // cookies cleared
	call("GET", "/api/me")

	u, _ := url.Parse(srv.URL)
	fmt.Println("cookies left:", len(jar.Cookies(u)))
	// Output:
	// GET /api/me 401 {"message":"unauthorised"}
	// POST /signin 200 {"status":"OK"}
	// GET /api/me 200 {"role":"editor","userId":"user-42"}
	// POST /auth/session/refresh 200 {}
	// GET /api/me 200 {"role":"editor","userId":"user-42"}
	// POST /auth/signout 200 {"status":"OK"}
	// GET /api/me 401 {"message":"unauthorised"}
	// cookies left: 0
}

// CORS for the app's own routes: the configured frontend may call them with
// credentials, any other origin gets no CORS answer. The session routes
// answer the same way on their own, whatever the middleware order.
func ExampleSessions_CORS() {
	st, done := exampleStore()
	defer done()

	router := gin.New()
	sessions, err := ginsession.Register(router, ginsession.Config{
		Store:         st,
		APIDomain:     "http://localhost:8080",
		WebsiteDomain: "http://localhost:3000",
	})
	if err != nil {
		log.Fatal(err)
	}
	router.Use(sessions.CORS()) // before the routes it covers
	router.GET("/api/me", sessions.Verify(), func(c *gin.Context) { c.Status(http.StatusOK) })

	for _, origin := range []string{"http://localhost:3000", "https://evil.example"} {
		for _, path := range []string{"/api/me", "/auth/session/refresh"} {
			req := httptest.NewRequest("OPTIONS", path, nil)
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "rid,st-auth-mode")
			w := httptest.NewRecorder()
			router.ServeHTTP(w, req)
			fmt.Printf("%s %s: allow-origin %q credentials %q\n", origin, path,
				w.Header().Get("Access-Control-Allow-Origin"), w.Header().Get("Access-Control-Allow-Credentials"))
		}
	}
	// Output:
	// http://localhost:3000 /api/me: allow-origin "http://localhost:3000" credentials "true"
	// http://localhost:3000 /auth/session/refresh: allow-origin "http://localhost:3000" credentials "true"
	// https://evil.example /api/me: allow-origin "" credentials ""
	// https://evil.example /auth/session/refresh: allow-origin "" credentials ""
}
