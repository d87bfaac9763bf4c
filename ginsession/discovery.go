package ginsession

import (
	"encoding/json"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/keyring"
)

// discovery serves GET {base}/.well-known/openid-configuration: the
// issuer and where its keys are, so a standard JWT library finds the keys
// of ginsession's access tokens from the issuer alone (the iss claim).
// ginsession is not an OpenID provider: there is no authorization or token
// endpoint, only what a verifier needs.
func (e *Sessions) discovery(c *gin.Context) ([]byte, time.Duration) {
	algs := e.keys.Snapshot(c.Request.Context()).Algorithms(e.cfg.algorithm)
	doc := struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
		Subject []string `json:"subject_types_supported"`
	}{
		Issuer:  e.cfg.issuer,
		JWKSURI: e.cfg.issuer + jwksPath,
		Algs:    algs,
		Subject: []string{"public"},
	}
	body, err := json.Marshal(doc)
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return body, keyring.JWKSMaxAge
}

// Paths under APIBasePath of the public, credential-free documents.
const (
	jwksPath      = "/jwt/jwks.json"
	discoveryPath = "/.well-known/openid-configuration"
)

// isPublicPath reports whether path is one of the documents any origin may
// read (the JWKS and the discovery document).
func (e *Sessions) isPublicPath(path string) bool {
	return path == e.cfg.basePath+jwksPath || path == e.cfg.basePath+discoveryPath
}
