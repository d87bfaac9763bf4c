package routes

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/dbsc"
	"github.com/ginsession/ginsession/internal/protocol"
	"github.com/ginsession/ginsession/internal/transport"
)

// The Device Bound Session Credentials routes, under the base path, when
// the engine binds sessions (Engine.Binding not nil).
const (
	DBSCRegisterPath = "/session/dbsc/register"
	DBSCRefreshPath  = "/session/dbsc/refresh"
)

// Binding is the engine's side of Device Bound Session Credentials
// (internal/dbsc decides; the engine adds its store, cookies, metrics and
// hooks). Each method records its own failures.
type Binding interface {
	// Register binds the session the proof's challenge was issued for.
	Register(c *gin.Context, proof string) (handle string, err error)
	// Challenge issues a refresh challenge for the bound session id.
	Challenge(c *gin.Context, id string) (string, error)
	// Prove checks a refresh proof of the session id.
	Prove(c *gin.Context, id, proof string) error
	// Issue writes a new bound cookie for the session and returns the
	// session instructions (JSON) the browser keeps.
	Issue(c *gin.Context, handle string) []byte
	// CheckRefresh refuses a session refresh whose session is bound and
	// whose request lacks a valid bound cookie for it. It runs before the
	// protocol core is asked, so a refused request rotates nothing.
	CheckRefresh(c *gin.Context, in protocol.Request, method transport.Method) error
}

// The DBSC endpoints are called by the browser itself, never by a page:
// they are not behind the CORS middleware (a refresh endpoint should never
// answer a credentialed cross-site fetch, and the browser's own request
// needs no CORS), they use no session cookie (the proof is the
// credential), and their answers are not cached.

// dbscRegister serves POST {base}/session/dbsc/register: the browser's
// proof of its new key, answered with the session instructions and the
// bound cookie. Any refusal is a 400 (the browser drops the registration);
// a store failure a 500.
func dbscRegister(b Binding) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		proof, ok := dbsc.ParseString(c.GetHeader(dbsc.HeaderResponse))
		if !ok {
			proof = "" // Register refuses it as malformed, and records that
		}
		handle, err := b.Register(c, proof)
		if err != nil {
			c.AbortWithStatus(refusalStatus(err, http.StatusBadRequest))
			return
		}
		c.Data(http.StatusOK, "application/json", b.Issue(c, handle))
	}
}

// dbscRefresh serves POST {base}/session/dbsc/refresh: without a proof,
// a 403 with a challenge; with one, the check and a new bound cookie. A
// refused proof or a session that is gone is a 401, which ends the
// browser's DBSC session; a stale challenge gets a fresh one (403).
func dbscRefresh(b Binding) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		id, ok := dbsc.ParseString(c.GetHeader(dbsc.HeaderSessionID))
		if !ok {
			c.AbortWithStatus(http.StatusBadRequest)
			return
		}
		raw := c.GetHeader(dbsc.HeaderResponse)
		if raw != "" {
			proof, _ := dbsc.ParseString(raw)
			err := b.Prove(c, id, proof)
			if err == nil {
				c.Data(http.StatusOK, "application/json", b.Issue(c, id))
				return
			}
			if !errors.Is(err, dbsc.ErrChallenge) {
				c.AbortWithStatus(refusalStatus(err, http.StatusUnauthorized))
				return
			}
		}
		challenge, err := b.Challenge(c, id)
		if err != nil {
			c.AbortWithStatus(refusalStatus(err, http.StatusUnauthorized))
			return
		}
		c.Header(dbsc.HeaderChallenge, dbsc.ChallengeHeader(challenge, id))
		c.AbortWithStatus(http.StatusForbidden)
	}
}

// refusalStatus is refused for DBSC's refusals, 500 for a store failure
// (the browser backs off and keeps its session).
func refusalStatus(err error, refused int) int {
	if dbsc.Refused(err) {
		return refused
	}
	return http.StatusInternalServerError
}
