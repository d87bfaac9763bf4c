package ginsession_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// MountCoreCompat: a backend still on supertokens-node, its connectionURI
// set to the group's URL, verifies ginsession's sessions. Here the call its
// SDK makes with checkDatabase, before and after a revocation.
func ExampleSessions_MountCoreCompat() {
	st, done := exampleStore()
	defer done()

	router := gin.New()
	sessions, err := ginsession.Register(router, ginsession.Config{
		Store:      st,
		APIDomain:  "http://localhost:8080",
		CoreCompat: &ginsession.CoreCompat{APIKey: "the-node-backends-key"},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := sessions.MountCoreCompat(router.Group("/st-core")); err != nil {
		log.Fatal(err)
	}
	var handle string
	router.POST("/signin", func(c *gin.Context) {
		s, err := sessions.Create(c, "alice", nil, nil)
		if err != nil {
			sessions.HandleError(c, err)
			return
		}
		handle = s.Handle()
	})

	w := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/signin", nil)
	req.Header.Set("st-auth-mode", "header")
	router.ServeHTTP(w, req)
	token := w.Header().Get("st-access-token")

	verify := func() {
		body := `{"accessToken":"` + token + `","doAntiCsrfCheck":false,"enableAntiCsrf":false,"checkDatabase":true}`
		req := httptest.NewRequest("POST", "/st-core/recipe/session/verify", strings.NewReader(body))
		req.Header.Set("api-key", "the-node-backends-key")
		req.Header.Set("cdi-version", "5.4")
		w := httptest.NewRecorder()
		router.ServeHTTP(w, req)
		var answer struct {
			Status  string
			Session struct{ UserID string }
		}
		_ = json.Unmarshal(w.Body.Bytes(), &answer)
		fmt.Println(w.Code, answer.Status, answer.Session.UserID)
	}
	verify()
	if _, err := sessions.RevokeSession(context.Background(), handle); err != nil {
		log.Fatal(err)
	}
	verify()
	// Output:
	// 200 OK alice
	// 200 UNAUTHORISED
}
