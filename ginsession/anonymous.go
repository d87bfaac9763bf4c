package ginsession

import (
	"crypto/rand"
	"encoding/hex"
	"errors"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	"github.com/ginsession/ginsession/internal/accesstoken"
	"github.com/ginsession/ginsession/internal/jose"
	"github.com/ginsession/ginsession/internal/transport"
	"github.com/ginsession/ginsession/internal/wire"
)

// Protected claims ginsession sets for special sessions.
const (
	anonymousClaim = accesstoken.ClaimAnonymous
	actorClaim     = accesstoken.ClaimActor
)

// AnonymousUserPrefix starts the user id of every anonymous session.
const AnonymousUserPrefix = "anon-"

// CreateAnonymous starts a session for a visitor who has not signed in (a
// cart, preferences). Its user id is AnonymousUserPrefix plus random hex,
// its payload carries "anon": true (Session.IsAnonymous), and it works like
// any other session: verify, refresh, data in the database. At sign-in,
// CreateFromAnonymous turns it into the user's session.
func (e *Sessions) CreateAnonymous(c *gin.Context, payload, data map[string]any) (*Session, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	return e.create(c, AnonymousUserPrefix+hex.EncodeToString(id), payload, data, map[string]any{anonymousClaim: true}, nil)
}

// IsAnonymous reports whether the session was made by CreateAnonymous.
func (s *Session) IsAnonymous() bool {
	v, _ := s.id.Payload[anonymousClaim].(bool)
	return v
}

// CreateFromAnonymous creates userID's session at sign-in. When the request
// carries an anonymous session, carry gets its data and returns the data
// the new session keeps (so a cart survives sign-in), and the anonymous
// session is revoked; otherwise carry gets nil. carry may be nil (keep
// nothing).
//
// If the anonymous session's access token has expired, the error is
// ErrTryRefreshToken: answered with HandleError, the frontend SDK
// refreshes and retries the sign-in, so nothing is lost.
func (e *Sessions) CreateFromAnonymous(c *gin.Context, userID string, payload map[string]any, carry func(anonData map[string]any) map[string]any, opts ...CreateOption) (*Session, error) {
	current, err := e.getSession(c, &verifyOptions{optional: true, skipClaims: true})
	switch {
	case errors.Is(err, ErrTryRefreshToken) && !claimsAnonymous(c):
		// An expired token of a signed-in user: nothing to carry, and a
		// sign-in must not fail for it.
		current, err = nil, nil
	case errors.Is(err, ErrUnauthorised):
		current, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	var anonData map[string]any
	if current != nil && current.IsAnonymous() {
		if anonData, err = current.Data(c.Request.Context()); err != nil && !errors.Is(err, ErrUnauthorised) {
			return nil, err
		}
	}
	var data map[string]any
	if carry != nil {
		data = carry(anonData)
	}
	s, err := e.create(c, userID, payload, data, nil, opts)
	if err != nil {
		return nil, err
	}
	if current != nil && current.IsAnonymous() {
		if _, err := e.st.DeleteSession(c.Request.Context(), current.id.Handle); err != nil {
			// Not fatal: the user is signed in; the anonymous session
			// expires on its own.
			e.cfg.logger.Warn("ginsession: revoking the anonymous session after sign-in failed", "session", current.id.Handle, "err", err)
		} else {
			e.revoked(revokedByApp, current.id.Handle, current.id.UserID)
		}
	}
	return s, nil
}

// claimsAnonymous reports whether the request's access token says it is
// anonymous, without verifying it: it only decides whether sign-in asks the
// frontend to refresh first (so an anonymous cart is not lost), never
// whom to trust.
func claimsAnonymous(c *gin.Context) bool {
	var found transport.Found
	transport.Find(c.Request, wire.AccessCookie, transport.Any, jose.Shaped, jose.Shaped, &found)
	for _, v := range found.Values() {
		if !jose.WellFormed(v) {
			continue
		}
		claims := jwt.MapClaims{}
		if _, _, err := jwt.NewParser().ParseUnverified(v, claims); err == nil && claims[anonymousClaim] == true {
			return true
		}
	}
	return false
}
