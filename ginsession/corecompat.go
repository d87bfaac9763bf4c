package ginsession

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/accesstoken"
	"github.com/ginsession/ginsession/internal/keyring"
	"github.com/ginsession/ginsession/internal/wire"
	"github.com/ginsession/ginsession/store"
)

// coreCDIVersions are the versions of the SuperTokens core's API (CDI) that
// the routes of MountCoreCompat answer in: supertokens-node 14 (2.21)
// through 24 (5.4), the releases that verify access tokens with the JWKS.
// Their verification requests and answers are the same in all of them.
var coreCDIVersions = []string{"2.21", "3.0", "4.0", "5.0", "5.1", "5.2", "5.3", "5.4"}

// The routes MountCoreCompat adds, at the paths the SDK asks its core.
const (
	coreAPIVersionPath = "/apiversion"
	coreJWKSPath       = "/.well-known/jwks.json"
	coreVerifyPath     = "/recipe/session/verify"
)

// MountCoreCompat mounts on r what supertokens-node asks its core when it
// verifies a session, so that a backend still on that SDK verifies this
// engine's sessions: give it the group's URL as connectionURI (and
// CoreCompat.APIKey as apiKey). It needs Config.CoreCompat.
//
//	GET  /apiversion              the CDI versions answered (api key)
//	GET  /.well-known/jwks.json   the public keys (public)
//	POST /recipe/session/verify   checkDatabase and revocation (api key)
//
// These are read-only: nothing here creates, refreshes or revokes a
// session, so the SDK's createNewSession, refreshSession and revokeSession
// fail against it (sessions come from ginsession's own routes).
// docs/supertokens-node-coexistence.md says what the SDK's settings must be.
func (e *Sessions) MountCoreCompat(r gin.IRouter) error {
	if isNilRouter(r) {
		return errors.New("ginsession: MountCoreCompat: the router is nil (pass a group at the path the node backends are given)")
	}
	if e.cfg.coreCompat == nil {
		return errors.New("ginsession: MountCoreCompat: set Config.CoreCompat (the access tokens must take the core's shape for supertokens-node to accept them)")
	}
	cc := coreCompat{e}
	key := cc.apiKey()
	r.GET(coreAPIVersionPath, key, func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"versions": coreCDIVersions})
	})
	r.GET(coreJWKSPath, func(c *gin.Context) {
		wire.JWKS(c, e.keys.Snapshot(c.Request.Context()).JWKS(), keyring.JWKSMaxAge)
	})
	r.POST(coreVerifyPath, key, cc.verify)
	return nil
}

// coreCompat is the engine as the routes of MountCoreCompat see it.
type coreCompat struct{ e *Sessions }

// apiKey refuses a request without the configured api-key header, as
// the core does (401, a text body); with no key configured it lets all by.
func (cc coreCompat) apiKey() gin.HandlerFunc {
	want := []byte(cc.e.cfg.coreCompat.APIKey)
	return func(c *gin.Context) {
		if len(want) == 0 {
			return
		}
		if subtle.ConstantTimeCompare([]byte(c.GetHeader("api-key")), want) != 1 {
			c.AbortWithStatus(http.StatusUnauthorized)
			c.Writer.WriteString("Invalid API key") //nolint:errcheck // the client may be gone
		}
	}
}

// coreVerifyRequest is the body of the SDK's POST /recipe/session/verify.
type coreVerifyRequest struct {
	AccessToken     string `json:"accessToken"`
	AntiCSRFToken   string `json:"antiCsrfToken"`
	DoAntiCSRFCheck bool   `json:"doAntiCsrfCheck"`
	EnableAntiCSRF  bool   `json:"enableAntiCsrf"`
	CheckDatabase   bool   `json:"checkDatabase"`
}

// coreSession is the session in an "OK" answer.
type coreSession struct {
	Handle        string         `json:"handle"`
	UserID        string         `json:"userId"`
	RecipeUserID  string         `json:"recipeUserId"`
	UserDataInJWT map[string]any `json:"userDataInJWT"`
	TenantID      string         `json:"tenantId"`
}

// verify answers the SDK's verification call: it comes when the SDK's
// getSession has checkDatabase (or for a token it cannot verify alone).
// The answer's status is what the SDK acts on: "OK", "UNAUTHORISED" (the
// session is gone) or "TRY_REFRESH_TOKEN" (the token is not valid now).
// It never issues a new access token.
func (cc coreCompat) verify(c *gin.Context) {
	e := cc.e
	var req coreVerifyRequest
	if err := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10)).Decode(&req); err != nil || req.AccessToken == "" {
		c.AbortWithStatus(http.StatusBadRequest)
		return
	}
	s, err := cc.verifyToken(c.Request.Context(), &req)
	switch {
	case err == nil:
		c.JSON(http.StatusOK, gin.H{"status": "OK", "session": s})
	case errors.Is(err, ErrUnauthorised):
		c.JSON(http.StatusOK, gin.H{"status": "UNAUTHORISED", "message": err.Error()})
	case errors.Is(err, ErrTryRefreshToken):
		c.JSON(http.StatusOK, gin.H{"status": "TRY_REFRESH_TOKEN", "message": err.Error()})
	default:
		e.cfg.logger.Error("ginsession: core-compatible verification failed", "err", err)
		c.AbortWithStatus(http.StatusInternalServerError)
	}
}

// verifyToken is the verification of GetSession for a token alone (no
// request, no cookies): the signature and claims, anti-CSRF when asked,
// the revocation set, and the store with CheckDatabase.
func (cc coreCompat) verifyToken(ctx context.Context, req *coreVerifyRequest) (*coreSession, error) {
	e := cc.e
	now := e.cfg.now()
	claims, err := e.tokens.Verify(ctx, req.AccessToken, now)
	if err != nil {
		if errors.Is(err, accesstoken.ErrMalformed) {
			return nil, unauthorised(false, "", err)
		}
		return nil, tryRefresh(err)
	}
	if req.DoAntiCSRFCheck && req.EnableAntiCSRF && !(e.csrf.issues() && e.csrf.matches(claims.Handle, req.AntiCSRFToken)) {
		return nil, tryRefresh(errors.New("anti-csrf token mismatch"))
	}
	if e.revs.ContainsAt(claims.Handle, now) {
		return nil, unauthorised(false, "", errors.New("session revoked"))
	}
	if a := claims.Actor; a != nil && e.revs.ContainsAt(a.Handle, now) {
		return nil, unauthorised(false, "", errors.New("the operator's session was revoked"))
	}
	payload := claims.Payload
	if req.CheckDatabase {
		row, err := e.st.GetSession(ctx, claims.Handle, now)
		if errors.Is(err, store.ErrNotFound) || err == nil && e.life.PastMaxAge(row.CreatedAt, now) {
			return nil, unauthorised(false, "", errors.New("session revoked or past its maximum age"))
		}
		if err != nil {
			return nil, storageErr("checking a session", err)
		}
		if err := e.actorAlive(ctx, claims.Payload, "", claims.Handle, claims.UserID); err != nil {
			return nil, err
		}
		payload = decodeObject(row.Payload) // the newest, as GetSession has it
	}
	// userDataInJWT is the app's part of the payload, as the core answers.
	data := make(map[string]any, len(payload))
	for k, v := range payload {
		if !accesstoken.Reserved(k) {
			data[k] = v
		}
	}
	return &coreSession{
		Handle: claims.Handle, UserID: claims.UserID, RecipeUserID: claims.UserID,
		UserDataInJWT: data, TenantID: accesstoken.CoreTenant,
	}, nil
}
