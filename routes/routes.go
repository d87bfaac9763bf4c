// Package routes is the REST surface of ginsession under the API base path:
// POST {base}/session/refresh, POST {base}/signout and
// GET {base}/jwt/jwks.json. Each handler turns a request into one call on a
// Service and the result into a response; the session logic lives behind
// the Service interface (implemented by *ginsession.Sessions).
package routes

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// Service is what the routes need from the session engine.
type Service interface {
	// RefreshSession rotates the refresh token and writes the new tokens
	// on the response; an error is written by HandleError.
	RefreshSession(c *gin.Context) error
	// SignOut revokes the request's session and clears its tokens.
	SignOut(c *gin.Context) error
	// JWKS returns the public signing keys as a JWKS document and how long
	// clients may cache it.
	JWKS(c *gin.Context) (body []byte, maxAge time.Duration, err error)
	// HandleError writes the response for an error and aborts.
	HandleError(c *gin.Context, err error)
}

// Mount registers the three routes under basePath (e.g. "/auth").
func Mount(r gin.IRouter, basePath string, s Service) {
	g := r.Group(basePath)
	g.POST("/session/refresh", func(c *gin.Context) {
		if err := s.RefreshSession(c); err != nil {
			s.HandleError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{})
	})
	g.POST("/signout", func(c *gin.Context) {
		if err := s.SignOut(c); err != nil {
			s.HandleError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "OK"})
	})
	g.GET("/jwt/jwks.json", func(c *gin.Context) {
		body, maxAge, err := s.JWKS(c)
		if err != nil {
			s.HandleError(c, err)
			return
		}
		c.Header("Cache-Control", "max-age="+strconv.Itoa(int(maxAge/time.Second))+", must-revalidate")
		c.Data(http.StatusOK, "application/json", body)
	})
}
