// Command pgonlyapp is a Postgres-only ginsession application: it imports
// store/postgresstore and not the SQLite driver, so it builds with
// CGO_ENABLED=0. internal/boundary builds and tests it that way.
package main

import (
	"log"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/postgresstore"
)

// newRouter mounts ginsession on st, a sign-in route that starts a session
// for the user named in the "user" query parameter, and a protected route.
func newRouter(st store.Store, apiDomain string) (*gin.Engine, error) {
	router := gin.New()
	sessions, err := ginsession.Register(router, ginsession.Config{Store: st, APIDomain: apiDomain})
	if err != nil {
		return nil, err
	}
	router.POST("/signin", func(c *gin.Context) {
		if _, err := sessions.Create(c, c.Query("user"), nil, nil); err != nil {
			sessions.HandleError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "OK"})
	})
	router.GET("/me", sessions.Verify(), func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"userId": ginsession.FromContext(c).UserID()})
	})
	return router, nil
}

func main() {
	st, err := postgresstore.Open(os.Getenv("DATABASE_URL"), gormstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	router, err := newRouter(st, "http://localhost:8080")
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe(":8080", router))
}
