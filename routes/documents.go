package routes

import (
	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/keyring"
	"github.com/ginsession/ginsession/internal/wire"
)

// jwks serves GET {base}/jwt/jwks.json: the public keys, cacheable for
// keyring.JWKSMaxAge (a verifier refetches on an unknown kid anyway).
func jwks(e Engine) gin.HandlerFunc {
	return func(c *gin.Context) {
		wire.JWKS(c, e.JWKS(c.Request.Context()), keyring.JWKSMaxAge)
	}
}

// discovery serves GET {base}/.well-known/openid-configuration, so a
// standard JWT library finds the keys from the issuer alone.
func discovery(e Engine) gin.HandlerFunc {
	return func(c *gin.Context) {
		wire.PublicDocument(c, e.Discovery(c.Request.Context()), keyring.JWKSMaxAge)
	}
}
