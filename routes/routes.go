// Package routes is the HTTP surface ginsession mounts under the API base
// path: POST {base}/session/refresh, POST {base}/signout,
// GET {base}/jwt/jwks.json and GET {base}/.well-known/openid-configuration,
// with their CORS preflights. Each handler makes one call into the engine
// and writes the protocol's answer (internal/wire). Apps do not call this
// package: ginsession.Register and Sessions.Mount do.
package routes

import (
	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/wire"
)

// Mount registers the routes under e.BasePath, each behind e.CORS when
// there is one. Its argument can only be built inside this module.
func Mount(r gin.IRouter, e wire.Endpoints) {
	g := r.Group(e.BasePath)
	chain := func(h gin.HandlerFunc) []gin.HandlerFunc {
		if e.CORS == nil {
			return []gin.HandlerFunc{h}
		}
		return []gin.HandlerFunc{e.CORS, h}
	}
	g.POST("/session/refresh", chain(func(c *gin.Context) {
		if err := e.Refresh(c); err != nil {
			e.HandleError(c, err)
			return
		}
		wire.Refreshed(c)
	})...)
	g.POST("/signout", chain(func(c *gin.Context) {
		if err := e.SignOut(c); err != nil {
			e.HandleError(c, err)
			return
		}
		wire.SignedOut(c)
	})...)
	g.GET("/jwt/jwks.json", chain(func(c *gin.Context) {
		body, maxAge := e.JWKS(c)
		wire.JWKS(c, body, maxAge)
	})...)
	g.GET("/.well-known/openid-configuration", chain(func(c *gin.Context) {
		body, maxAge := e.Discovery(c)
		wire.PublicDocument(c, body, maxAge)
	})...)
	// The frontends' preflights of the session routes: e.CORS answers them
	// (and refuses other origins); without it no frontend is cross-origin.
	if e.CORS != nil {
		g.OPTIONS("/session/refresh", e.CORS)
		g.OPTIONS("/signout", e.CORS)
	}
	// Browsers of other origins read the public documents without
	// credentials; their preflight (a request with headers of its own) is
	// answered too. A configured frontend's gets its credentialed answer
	// from e.CORS first.
	g.OPTIONS("/jwt/jwks.json", chain(wire.PublicPreflight)...)
	g.OPTIONS("/.well-known/openid-configuration", chain(wire.PublicPreflight)...)
}
