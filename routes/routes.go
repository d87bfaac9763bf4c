// Package routes is the HTTP surface ginsession mounts under the API base
// path: POST {base}/session/refresh, POST {base}/signout,
// GET {base}/jwt/jwks.json and GET {base}/.well-known/openid-configuration. Each handler makes one call into the engine and
// writes the protocol's answer (internal/wire). Apps do not call this
// package: ginsession.Register and Sessions.Mount do.
package routes

import (
	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/wire"
)

// Mount registers the three routes under e.BasePath. Its argument can only
// be built inside this module.
func Mount(r gin.IRouter, e wire.Endpoints) {
	g := r.Group(e.BasePath)
	g.POST("/session/refresh", func(c *gin.Context) {
		if err := e.Refresh(c); err != nil {
			e.HandleError(c, err)
			return
		}
		wire.Refreshed(c)
	})
	g.POST("/signout", func(c *gin.Context) {
		if err := e.SignOut(c); err != nil {
			e.HandleError(c, err)
			return
		}
		wire.SignedOut(c)
	})
	g.GET("/jwt/jwks.json", func(c *gin.Context) {
		body, maxAge := e.JWKS(c)
		wire.JWKS(c, body, maxAge)
	})
	g.GET("/.well-known/openid-configuration", func(c *gin.Context) {
		body, maxAge := e.Discovery(c)
		wire.PublicDocument(c, body, maxAge)
	})
	// Browsers of other origins read both without credentials; a preflight
	// (a request with headers of its own) is answered too.
	g.OPTIONS("/jwt/jwks.json", wire.PublicPreflight)
	g.OPTIONS("/.well-known/openid-configuration", wire.PublicPreflight)
}
