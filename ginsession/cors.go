package ginsession

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/origin"
	"github.com/ginsession/ginsession/internal/wire"
)

// CORSAllowHeaders are the request headers the frontend SDK sends (plus
// content-type for the app's own JSON).
var CORSAllowHeaders = wire.AllowedHeaders()

// CORSExposeHeaders are the response headers the frontend SDK must read.
var CORSExposeHeaders = wire.ExposedHeaders()

// CORSConfig returns a gin-contrib/cors configuration for the given frontend
// origins and patterns (the Config.Origins rules: "https://*.app.example.com"
// matches one label in place of "*"): exactly these, credentials on, the
// protocol's allowed and exposed headers, and the usual methods. Add the
// app's own headers to AllowHeaders if it needs more. "*" and malformed
// origins are refused: credentials must never be granted to every site.
// An app whose Config lists its frontends needs no list here: use
// Sessions.CORS, built from the same configuration.
func CORSConfig(origins ...string) (cors.Config, error) {
	if len(origins) == 0 {
		return cors.Config{}, errors.New("ginsession: CORSConfig: no origins (same-origin apps need no CORS)")
	}
	fs, err := origin.ParseSet(origins)
	if err != nil {
		return cors.Config{}, fmt.Errorf("ginsession: CORSConfig: %w", err)
	}
	return corsConfigFor(fs)
}

// CORS returns the gin-contrib/cors middleware for CORSConfig(origins...).
func CORS(origins ...string) (gin.HandlerFunc, error) {
	cfg, err := CORSConfig(origins...)
	if err != nil {
		return nil, err
	}
	return corsMiddleware(cfg), nil
}

// CORSConfig returns the gin-contrib/cors configuration that allows exactly
// the configured frontends (WebsiteDomain, Origins and its patterns), as
// CORSConfig(origins...) would for the same list.
func (e *Sessions) CORSConfig() cors.Config {
	cfg, err := corsConfigFor(e.cfg.frontends.Set())
	if err != nil {
		// The set was validated by New; Validate cannot refuse it.
		panic(err)
	}
	return cfg
}

// CORS returns the CORS middleware for the configured frontends, for the
// app's own routes: add it with r.Use before them (Gin applies a
// middleware only to routes added after it). The session routes need it
// nowhere: they carry the same answer themselves, so they answer a
// frontend of another origin whatever order the app adds middleware in,
// and where this middleware already answered they add nothing.
//
// The JWKS and the OpenID discovery document hold no secrets and other
// origins' verifiers fetch them: a configured frontend gets its usual
// answer there (its origin, credentials allowed, as the SDK's fetch sends
// credentials to its API), any other origin Access-Control-Allow-Origin: *
// without credentials instead of a refusal.
func (e *Sessions) CORS() gin.HandlerFunc {
	inner := corsMiddleware(e.CORSConfig())
	return func(c *gin.Context) {
		if isPublicPath(e.cfg.basePath, c.Request.URL.Path) && !e.cfg.frontends.AllowsExactly(c.Request.Header.Get("Origin")) {
			c.Writer.Header().Add("Vary", "Origin")
			c.Next()
			return
		}
		inner(c)
	}
}

// corsConfigFor is origin.CORSConfig with the protocol's headers as they
// are now, its error worded for the app.
func corsConfigFor(fs *origin.Set) (cors.Config, error) {
	cfg, err := origin.CORSConfig(fs, CORSAllowHeaders, CORSExposeHeaders)
	if err != nil {
		return cors.Config{}, fmt.Errorf("ginsession: CORSConfig: %w", err)
	}
	return cfg, nil
}

// corsMiddleware wraps gin-contrib/cors.
func corsMiddleware(cfg cors.Config) gin.HandlerFunc {
	inner := cors.New(cfg)
	return func(c *gin.Context) {
		// The answer depends on Origin even when it is a refusal, so a
		// shared cache must not hand one origin's answer to another.
		if c.Request.Header.Get("Origin") != "" {
			c.Writer.Header().Add("Vary", "Origin")
		}
		inner(c)
	}
}

// CORS is the CORS answer the session routes carry in their own
// handler chains, so a frontend of another origin can refresh and sign out
// even when the app adds CORS after Register (Gin would apply that
// middleware to its 404 handler, so the preflight would pass, but not to
// the routes already added, so the browser would drop the answer of the
// POST itself). A CORS middleware that ran earlier in the chain has
// answered already (Access-Control-Allow-Origin set, or the request
// aborted); then this adds nothing, so the headers are never doubled. nil
// when every frontend is the API's own origin: no browser sends a
// cross-origin request then.
func (r routeEngine) CORS() gin.HandlerFunc {
	e := r.e
	if !e.cfg.frontends.CrossOrigin() {
		return nil
	}
	own := e.CORS()
	return func(c *gin.Context) {
		h := c.Writer.Header()
		if h.Get("Access-Control-Allow-Origin") != "" {
			return
		}
		origin := c.Request.Header.Get("Origin")
		if c.Request.Method != http.MethodOptions && !e.cfg.frontends.AllowsExactly(origin) {
			// Not a frontend (or the API's own page): no CORS answer, and
			// no refusal either; the route's own checks decide, as they
			// would without CORS (a forged cross-site POST meets the
			// anti-CSRF check, not a 403 that depends on the Host header).
			if origin != "" {
				h.Add("Vary", "Origin")
			}
			return
		}
		own(c)
	}
}
