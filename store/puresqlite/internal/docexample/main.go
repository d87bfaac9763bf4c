// Command server is a ginsession application whose sessions live in an
// SQLite file, built without cgo: CGO_ENABLED=0 go build.
package main

import (
	"log"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/puresqlite"
)

func main() {
	st, err := puresqlite.Open("sessions.db", gormstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	router := gin.Default()
	sessions, err := ginsession.Register(router, ginsession.Config{
		Store:     st,
		APIDomain: "http://localhost:8080",
	})
	if err != nil {
		log.Fatal(err)
	}
	router.POST("/signin", func(c *gin.Context) {
		// Check the user's credentials here, then start the session.
		if _, err := sessions.Create(c, "alice", nil, nil); err != nil {
			sessions.HandleError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "OK"})
	})
	router.GET("/me", sessions.Verify(), func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"userId": ginsession.FromContext(c).UserID()})
	})
	log.Fatal(http.ListenAndServe(":8080", router))
}
