package wire

import (
	"time"

	"github.com/gin-gonic/gin"
)

// Endpoints is what package routes calls on the engine. The engine hands its
// unexported methods over as functions, so *ginsession.Sessions exports no
// method that only its own routes may call, and no app can build an
// Endpoints (the package is internal).
type Endpoints struct {
	// BasePath is where the routes go, e.g. "/auth".
	BasePath string
	// Refresh rotates the refresh token and puts the new tokens on the
	// response.
	Refresh func(c *gin.Context) error
	// SignOut revokes the request's session and clears its tokens.
	SignOut func(c *gin.Context) error
	// JWKS returns the public signing keys as a JWKS document and how long
	// verifiers may cache it.
	JWKS func(c *gin.Context) (body []byte, maxAge time.Duration)
	// Discovery returns the OpenID discovery document (issuer, jwks_uri)
	// and how long it may be cached.
	Discovery func(c *gin.Context) (body []byte, maxAge time.Duration)
	// HandleError writes the response for an error and aborts.
	HandleError func(c *gin.Context, err error)
	// CORS, when not nil, runs first on every route and answers the CORS
	// preflights of the session routes: the engine's answer for its
	// configured frontends.
	CORS gin.HandlerFunc
}
