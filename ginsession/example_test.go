package ginsession_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/memstore"
)

// exampleStore returns an in-memory store for the examples (an application
// opens sqlitestore, postgresstore or mysqlstore: see store/sqlitestore's
// ExampleOpen).
func exampleStore() (store.Store, func()) {
	st := memstore.New()
	return st, func() { st.Close() }
}

// Register mounts the session routes; a refresh without a token is
// answered the way the frontend SDK expects.
func ExampleRegister() {
	st, done := exampleStore()
	defer done()

	router := gin.New()
	_, err := ginsession.Register(router, ginsession.Config{
		Store:     st,
		APIDomain: "http://localhost:8080",
	})
	if err != nil {
		log.Fatal(err)
	}

	w := httptest.NewRecorder()
	router.ServeHTTP(w, httptest.NewRequest("POST", "/auth/session/refresh", nil))
	// A refresh without any session token clears nothing: any site could
	// send one (a cross-site form), so it must not sign anybody out.
	fmt.Println(w.Code, w.Body.String(), len(w.Header().Values("Set-Cookie")), w.Header().Get("front-token") == "")
	// Output: 401 {"message":"unauthorised"} 0 true
}

// Verify protects a route: without a session the request never reaches the
// handler.
func ExampleSessions_Verify() {
	st, done := exampleStore()
	defer done()

	router := gin.New()
	sessions, err := ginsession.Register(router, ginsession.Config{Store: st, APIDomain: "http://localhost:8080"})
	if err != nil {
		log.Fatal(err)
	}
	router.GET("/api/me", sessions.Verify(), func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"userId": ginsession.FromContext(c).UserID()})
	})
	router.GET("/feed", sessions.Verify(ginsession.Optional()), func(c *gin.Context) {
		if ginsession.FromContext(c) == nil {
			c.String(http.StatusOK, "public feed")
			return
		}
		c.String(http.StatusOK, "personal feed")
	})

	for _, path := range []string{"/api/me", "/feed"} {
		w := httptest.NewRecorder()
		router.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, w.Code, w.Body.String())
	}
	// Output:
	// /api/me 401 {"message":"unauthorised"}
	// /feed 200 public feed
}

// Create starts a session in the app's own sign-in route. The request's
// st-auth-mode header picks cookies or headers; the front-token header tells
// the frontend who is signed in.
func ExampleSessions_Create() {
	st, done := exampleStore()
	defer done()

	router := gin.New()
	sessions, err := ginsession.Register(router, ginsession.Config{Store: st, APIDomain: "http://localhost:8080"})
	if err != nil {
		log.Fatal(err)
	}
	router.POST("/signin", func(c *gin.Context) {
		// ... check the user's credentials first ...
		_, err := sessions.Create(c, "user-42", map[string]any{"role": "editor"}, map[string]any{"cart": []string{}})
		if err != nil {
			sessions.HandleError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "OK"})
	})

	req := httptest.NewRequest("POST", "/signin", nil)
	req.Header.Set("st-auth-mode", "cookie")
	w := httptest.NewRecorder()
	router.ServeHTTP(w, req)

	for _, c := range w.Result().Cookies() {
		fmt.Println("cookie", c.Name, "path", c.Path, "httpOnly", c.HttpOnly)
	}
	raw, _ := base64.StdEncoding.DecodeString(w.Header().Get("front-token"))
	var front struct {
		UID string         `json:"uid"`
		UP  map[string]any `json:"up"`
	}
	_ = json.Unmarshal(raw, &front)
	fmt.Println("front-token uid", front.UID, "role", front.UP["role"])
	fmt.Println("handle looks like a UUID:", strings.Count(front.UP["sessionHandle"].(string), "-") == 4)
	// Output:
	// cookie sAccessToken path / httpOnly true
	// cookie sRefreshToken path /auth/session/refresh httpOnly true
	// front-token uid user-42 role editor
	// handle looks like a UUID: true
}

// GetSession verifies a request where a middleware does not fit, such as a
// websocket upgrade that must answer in its own way. It returns the session
// or the error and writes nothing; HandleError gives the protocol's answer
// when the handler wants it.
func ExampleSessions_GetSession() {
	st, done := exampleStore()
	defer done()

	router := gin.New()
	sessions, err := ginsession.Register(router, ginsession.Config{Store: st, APIDomain: "http://localhost:8080"})
	if err != nil {
		log.Fatal(err)
	}
	router.POST("/signin", func(c *gin.Context) {
		if _, err := sessions.Create(c, "user-42", nil, nil); err != nil {
			sessions.HandleError(c, err)
		}
	})
	router.GET("/live", func(c *gin.Context) {
		s, err := sessions.GetSession(c, ginsession.Optional())
		switch {
		case errors.Is(err, ginsession.ErrStorage):
			c.String(http.StatusServiceUnavailable, "try again soon") // the app's own answer
		case err != nil:
			sessions.HandleError(c, err) // the protocol's answer: the SDK refreshes or signs out
		case s == nil:
			c.String(http.StatusOK, "guest stream")
		default:
			c.String(http.StatusOK, "stream for "+s.UserID())
		}
	})

	signin := httptest.NewRequest("POST", "/signin", nil)
	signin.Header.Set("st-auth-mode", "cookie")
	w := httptest.NewRecorder()
	router.ServeHTTP(w, signin)
	cookies := w.Result().Cookies()

	for _, who := range []string{"guest", "member", "forger"} {
		req := httptest.NewRequest("GET", "/live", nil)
		switch who {
		case "member":
			for _, c := range cookies {
				req.AddCookie(c)
			}
		case "forger":
			req.AddCookie(&http.Cookie{Name: "sAccessToken", Value: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.x"})
		}
		w := httptest.NewRecorder()
		router.ServeHTTP(w, req)
		fmt.Println(who, w.Code, w.Body.String())
	}
	// Output:
	// guest 200 guest stream
	// member 200 stream for user-42
	// forger 401 {"message":"try refresh token"}
}
