package ginsession

import (
	"context"
	"errors"
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/accesstoken"
	"github.com/ginsession/ginsession/store"
)

// Impersonate starts a session in which the operator acts as targetUserID
// (support staff seeing what a user sees). The operator's session must pass
// every validator in required (at least one: the claim that grants the
// right, e.g. roles.Includes("support")); the new session records who is
// acting (Session.Actor) and ends when the operator's session does: its
// refresh, database-checked routes and revocation propagation all refuse
// it once the operator's session is revoked.
func (e *Sessions) Impersonate(c *gin.Context, operator *Session, targetUserID string, payload map[string]any, required ...ClaimValidator) (*Session, error) {
	if operator == nil {
		return nil, unauthorised(false, "", errors.New("impersonation without an operator session"))
	}
	if len(required) == 0 {
		return nil, fmt.Errorf("%w: Impersonate needs at least one claim validator granting the right", ErrInvalidInput)
	}
	if operator.Actor() != nil {
		return nil, fmt.Errorf("%w: an impersonation session cannot impersonate", ErrInvalidInput)
	}
	if err := operator.AssertClaims(c.Request.Context(), required...); err != nil {
		return nil, err
	}
	// An operator who signed in without "remember me" gets an impersonation
	// session that ends with the same browser session.
	opRow, err := e.st.GetSession(c.Request.Context(), operator.id.Handle, e.cfg.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, unauthorised(true, operator.method(), errors.New("the operator's session is gone"))
	}
	if err != nil {
		return nil, storageErr("reading the operator's session", err)
	}
	var opts []CreateOption
	if opRow.BrowserSessionOnly {
		opts = append(opts, BrowserSessionOnly())
	}
	act := map[string]any{"sub": operator.id.UserID, "sessionHandle": operator.id.Handle}
	s, err := e.create(c, targetUserID, payload, nil, map[string]any{actorClaim: act}, opts)
	if err != nil {
		return nil, err
	}
	e.cfg.logger.Warn("ginsession: impersonation started", "operator", operator.id.UserID, "operator_session", operator.id.Handle, "user", targetUserID, "session", s.id.Handle)
	return s, nil
}

// Actor identifies who acts in an impersonation session.
type Actor struct {
	UserID string // the operator
	Handle string // the operator's session
}

// Actor returns who is acting when this is an impersonation session, or
// nil. Log it with every action taken in such a session.
func (s *Session) Actor() *Actor {
	return actorOf(s.id.Payload)
}

// actorOf is the Actor of a payload's "act" claim, or nil.
func actorOf(p map[string]any) *Actor {
	a := accesstoken.ActorOf(p)
	if a == nil {
		return nil
	}
	return &Actor{UserID: a.UserID, Handle: a.Handle}
}

// actorAlive checks that an impersonation session's operator session still
// exists (nil error when the payload has no actor). When the operator's
// session is gone, the impersonation session (handle) is revoked too.
func (e *Sessions) actorAlive(ctx context.Context, payload map[string]any, method TransferMethod, handle, userID string) error {
	a := actorOf(payload)
	if a == nil {
		return nil
	}
	gone := e.revs.Contains(a.Handle)
	if !gone {
		now := e.cfg.now()
		row, err := e.st.GetSession(ctx, a.Handle, now)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return storageErr("checking the operator's session", err)
		}
		gone = err != nil || e.life.PastMaxAge(row.CreatedAt, now)
	}
	if !gone {
		return nil
	}
	if ok, err := e.st.DeleteSession(ctx, handle); err != nil {
		return storageErr("ending an impersonation session", err)
	} else if ok {
		e.revoked(revokedByApp, handle, userID)
	}
	return unauthorised(true, method, errors.New("the operator's session was revoked"))
}
