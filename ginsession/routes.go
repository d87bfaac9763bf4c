package ginsession

import (
	"context"
	"encoding/json"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/protocol"
	"github.com/ginsession/ginsession/internal/transport"
	"github.com/ginsession/ginsession/routes"
)

// routeEngine is the engine as package routes sees it (routes.Engine):
// the handlers' questions, answered from the engine's state. Its methods
// are exported for that interface only; the type is not, so none of them
// is API.
type routeEngine struct{ e *Sessions }

var _ routes.Engine = routeEngine{}

func (r routeEngine) BasePath() string                           { return r.e.cfg.basePath }
func (r routeEngine) HandleError(c *gin.Context, err error)      { r.e.HandleError(c, err) }
func (r routeEngine) Response(c *gin.Context) transport.Response { return r.e.out(c) }
func (r routeEngine) Protocol() *protocol.Machine                { return r.e.machine }

// JWKS is the public keys as a JWKS document.
func (r routeEngine) JWKS(ctx context.Context) []byte { return r.e.keys.Snapshot(ctx).JWKS() }

// Discovery is the OpenID discovery document: the issuer and where its
// keys are, so a standard JWT library finds the keys of ginsession's access
// tokens from the issuer alone (the iss claim). ginsession is not an OpenID
// provider: there is no authorization or token endpoint, only what a
// verifier needs.
func (r routeEngine) Discovery(ctx context.Context) []byte {
	e := r.e
	doc := struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
		Subject []string `json:"subject_types_supported"`
	}{
		Issuer:  e.cfg.issuer,
		JWKSURI: e.cfg.issuer + routes.JWKSPath,
		Algs:    e.keys.Snapshot(ctx).Algorithms(e.cfg.algorithm),
		Subject: []string{"public"},
	}
	body, err := json.Marshal(doc)
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return body
}

// SignOut revokes the request's session and clears its tokens. It needs a
// valid access token (an expired one gets "try refresh token", so the
// frontend refreshes and retries).
func (r routeEngine) SignOut(c *gin.Context) error {
	e := r.e
	s, err := e.getSession(c, &verifyOptions{skipClaims: true})
	if err != nil {
		return err
	}
	if _, err := e.st.DeleteSession(c.Request.Context(), s.id.Handle); err != nil {
		return storageErr("revoking a session", err)
	}
	e.revoked(revokedSignOut, s.id.Handle, s.id.UserID)
	e.out(c).ClearTokens(transport.Method(s.method()))
	return nil
}

// isPublicPath reports whether path is one of the documents under base any
// origin may read (the JWKS and the discovery document).
func isPublicPath(base, path string) bool {
	return path == base+routes.JWKSPath || path == base+routes.DiscoveryPath
}
