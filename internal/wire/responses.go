package wire

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// The bodies below are what the frontend SDK reads: it tells "try refresh
// token" from "unauthorised" by the message, not by the status, which is
// the app's choice (Config.SessionExpiredStatus).

// Refreshed answers a successful POST {base}/session/refresh (the new tokens
// are already on the response).
func Refreshed(c *gin.Context) { c.JSON(http.StatusOK, gin.H{}) }

// SignedOut answers a successful POST {base}/signout.
func SignedOut(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "OK"}) }

// JWKS answers GET {base}/jwt/jwks.json; verifiers may cache the keys for
// maxAge.
func JWKS(c *gin.Context, body []byte, maxAge time.Duration) {
	PublicDocument(c, body, maxAge)
}

// PublicDocument answers a document with no secrets that any origin may
// read (the JWKS, the OpenID discovery document), with its cache lifetime.
// A configured frontend's request has had its CORS answer from the CORS
// middleware already (its own origin, credentials allowed: the frontend
// SDK sends credentials with every request to its API); any other origin
// gets Access-Control-Allow-Origin: *, never with credentials.
func PublicDocument(c *gin.Context, body []byte, maxAge time.Duration) {
	h := c.Writer.Header()
	if h.Get("Access-Control-Allow-Origin") == "" {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	c.Header("Cache-Control", "max-age="+strconv.Itoa(int(maxAge/time.Second))+", must-revalidate")
	c.Data(http.StatusOK, "application/json", body)
}

// PublicPreflight answers a CORS preflight for a public document: GET from
// any origin, without credentials.
func PublicPreflight(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET")
	if req := c.GetHeader("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
	h.Set("Access-Control-Max-Age", "600")
	c.AbortWithStatus(http.StatusNoContent)
}

// Unauthorised: the session is gone or was never there; the SDK signs out.
func Unauthorised(c *gin.Context, status int) {
	c.AbortWithStatusJSON(status, gin.H{"message": "unauthorised"})
}

// TryRefreshToken: the access token cannot be used; the SDK refreshes and
// retries.
func TryRefreshToken(c *gin.Context, status int) {
	c.AbortWithStatusJSON(status, gin.H{"message": "try refresh token"})
}

// TokenTheft: a rotated-out refresh token came back; the session is revoked.
func TokenTheft(c *gin.Context, status int) {
	c.AbortWithStatusJSON(status, gin.H{"message": "token theft detected"})
}

// InvalidClaim: the session is valid but a claim validator refused it;
// failures is the list the SDK reads (id and reason of each).
func InvalidClaim(c *gin.Context, status int, failures any) {
	c.AbortWithStatusJSON(status, gin.H{"message": "invalid claim", "claimValidationErrors": failures})
}

// SessionNotFound answers a handle-based call on a session that is not
// there: the caller's own session is fine, so this is no 401.
func SessionNotFound(c *gin.Context) {
	c.AbortWithStatusJSON(http.StatusNotFound, gin.H{"message": "session not found"})
}

// StorageUnavailable: the database failed. 503, never 401: a server fault
// must not sign anybody out.
func StorageUnavailable(c *gin.Context) {
	c.Header("Retry-After", "1")
	c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{"message": "session storage unavailable"})
}

// InvalidInput: the app passed something ginsession refuses (message says
// what).
func InvalidInput(c *gin.Context, message string) {
	c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"message": message})
}

// SessionLimit: a sign-in refused because the user has the most sessions
// allowed. 409: not a session error the SDK acts on (401 would sign the
// frontend out, 403 is the invalid-claim answer); the app's page explains.
func SessionLimit(c *gin.Context) {
	c.AbortWithStatusJSON(http.StatusConflict, gin.H{"message": "session limit reached"})
}

// InternalError answers anything else.
func InternalError(c *gin.Context) {
	c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"message": "internal error"})
}
