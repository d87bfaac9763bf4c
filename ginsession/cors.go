package ginsession

import (
	"errors"
	"fmt"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/wire"
)

// CORSAllowHeaders are the request headers the frontend SDK sends (plus
// content-type for the app's own JSON).
var CORSAllowHeaders = wire.AllowedHeaders()

// CORSExposeHeaders are the response headers the frontend SDK must read.
var CORSExposeHeaders = wire.ExposedHeaders()

// CORSConfig returns a gin-contrib/cors configuration for the given frontend
// origins: exactly these origins, credentials on, the protocol's allowed and
// exposed headers, and the usual methods. Add the app's own headers to
// AllowHeaders if it needs more. "*" and malformed origins are refused:
// credentials must never be granted to every site.
func CORSConfig(origins ...string) (cors.Config, error) {
	if len(origins) == 0 {
		return cors.Config{}, errors.New("ginsession: CORSConfig: no origins (same-origin apps need no CORS)")
	}
	canon := make([]string, 0, len(origins))
	for _, o := range origins {
		if o == "*" {
			return cors.Config{}, errors.New("ginsession: CORSConfig: \"*\" cannot be used with credentials; list the frontend origins")
		}
		u, err := parseOrigin(o)
		if err != nil {
			return cors.Config{}, fmt.Errorf("ginsession: CORSConfig: %w", err)
		}
		canon = append(canon, originString(u))
	}
	cfg := cors.Config{
		AllowOrigins:     canon,
		AllowMethods:     []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"},
		AllowHeaders:     append([]string(nil), CORSAllowHeaders...),
		ExposeHeaders:    append([]string(nil), CORSExposeHeaders...),
		AllowCredentials: true,
		MaxAge:           10 * time.Minute,
	}
	if err := cfg.Validate(); err != nil {
		return cors.Config{}, fmt.Errorf("ginsession: CORSConfig: %w", err)
	}
	return cfg, nil
}

// CORS returns the gin-contrib/cors middleware for CORSConfig(origins...).
func CORS(origins ...string) (gin.HandlerFunc, error) {
	cfg, err := CORSConfig(origins...)
	if err != nil {
		return nil, err
	}
	inner := cors.New(cfg)
	return func(c *gin.Context) {
		// The answer depends on Origin even when it is a refusal, so a
		// shared cache must not hand one origin's answer to another.
		if c.Request.Header.Get("Origin") != "" {
			c.Writer.Header().Add("Vary", "Origin")
		}
		inner(c)
	}, nil
}
