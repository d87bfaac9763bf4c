// Package routes is ginsession's HTTP surface: the session routes the
// SuperTokens frontend SDKs call, mounted under the API base path —
// POST {base}/session/refresh, POST {base}/signout,
// GET {base}/jwt/jwks.json and GET {base}/.well-known/openid-configuration —
// with their CORS preflights.
//
// Each handler reads the request, asks, and writes the answer: the refresh
// route reads the presented tokens (internal/transport), lets the protocol
// core decide (internal/protocol) and writes its answer, asking the engine
// only for what is the app's (its hooks, claims and keys). Apps do not call
// this package: ginsession.Register and Sessions.Mount mount it with the
// engine; its Engine interface names internal types on purpose.
package routes

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/protocol"
	"github.com/ginsession/ginsession/internal/transport"
	"github.com/ginsession/ginsession/internal/wire"
)

// Engine is what the handlers need from the session engine. ginsession
// provides it; nothing outside this module can.
type Engine interface {
	// BasePath is where the routes go, e.g. "/auth".
	BasePath() string
	// CORS, when not nil, runs first on every route and answers the CORS
	// preflights of the session routes (the engine's configured
	// frontends).
	CORS() gin.HandlerFunc
	// HandleError writes the protocol's answer for an error and aborts.
	HandleError(c *gin.Context, err error)
	// Response is the writer of c's session cookies and headers.
	Response(c *gin.Context) transport.Response

	// ReadRefresh reads what a refresh request presents, in the protocol
	// core's terms, and the method its tokens came by.
	ReadRefresh(c *gin.Context) (protocol.Request, transport.Method)
	// Protocol decides refresh requests.
	Protocol() *protocol.Machine
	// AnnounceTheft tells the app about a session the protocol revoked
	// after theft: the log, the hook, the revocation log.
	AnnounceTheft(t protocol.Theft, clientIP string)
	// RefreshError is the session error for the protocol's refusal, theft
	// or storage failure.
	RefreshError(err error, method transport.Method) error
	// Reissue makes the tokens of a rotated session: the app's checks
	// (impersonation, claims to refetch), then a new access token.
	Reissue(ctx context.Context, rot *protocol.Rotation, method transport.Method) (transport.Issued, error)
	// Refreshed records a refresh's outcome (metrics; the Refreshed hook
	// on success).
	Refreshed(rot *protocol.Rotation, err error)

	// SignOut revokes the request's session and clears its tokens.
	SignOut(c *gin.Context) error

	// Binding is the Device Bound Session Credentials side, nil when
	// the engine does not bind sessions.
	Binding() Binding

	// JWKS is the public signing keys as a JWKS document.
	JWKS(ctx context.Context) []byte
	// Discovery is the OpenID discovery document (issuer, jwks_uri).
	Discovery(ctx context.Context) []byte
}

// Paths under the base path.
const (
	RefreshPath   = "/session/refresh"
	SignOutPath   = "/signout"
	JWKSPath      = "/jwt/jwks.json"
	DiscoveryPath = "/.well-known/openid-configuration"
)

// Mount registers the routes under e.BasePath(), each behind e.CORS()
// when there is one.
func Mount(r gin.IRouter, e Engine) {
	g := r.Group(e.BasePath())
	cors := e.CORS()
	chain := func(h gin.HandlerFunc) []gin.HandlerFunc {
		if cors == nil {
			return []gin.HandlerFunc{h}
		}
		return []gin.HandlerFunc{cors, h}
	}
	g.POST(RefreshPath, chain(refresh(e))...)
	g.POST(SignOutPath, chain(signOut(e))...)
	g.GET(JWKSPath, chain(jwks(e))...)
	g.GET(DiscoveryPath, chain(discovery(e))...)
	if b := e.Binding(); b != nil {
		g.POST(DBSCRegisterPath, dbscRegister(b))
		g.POST(DBSCRefreshPath, dbscRefresh(b))
	}
	// The frontends' preflights of the session routes: the engine's CORS
	// answers them (and refuses other origins); without it no frontend is
	// cross-origin.
	if cors != nil {
		g.OPTIONS(RefreshPath, cors)
		g.OPTIONS(SignOutPath, cors)
	}
	// Browsers of other origins read the public documents without
	// credentials; their preflight (a request with headers of its own) is
	// answered too. A configured frontend's gets its credentialed answer
	// from the engine's CORS first.
	g.OPTIONS(JWKSPath, chain(wire.PublicPreflight)...)
	g.OPTIONS(DiscoveryPath, chain(wire.PublicPreflight)...)
}
