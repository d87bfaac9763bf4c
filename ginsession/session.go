package ginsession

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/accesstoken"
	"github.com/ginsession/ginsession/internal/transport"
	"github.com/ginsession/ginsession/store"
)

// Session is the verified session of one request, from FromContext or
// Create. It belongs to that request: methods that change tokens write them
// on its response, so call them before the response body is written.
type Session struct {
	e *Sessions
	c *gin.Context
	// id names the user and the session, holds the whole access-token
	// payload and says when the access token expires. On the verify path it
	// is the token cache's own value, shared by every request carrying that
	// token (a pointer instead of copies of its fields: the verified
	// request's one allocation is 32 bytes): never modify it, replace it.
	id *accesstoken.Claims
	// cookie: the session came (or was created) in cookie mode, else in
	// header mode.
	cookie bool
}

// method is the transfer method the session came (or was created) with.
func (s *Session) method() TransferMethod {
	if s.cookie {
		return TransferCookie
	}
	return TransferHeader
}

// UserID is the session's user.
func (s *Session) UserID() string { return s.id.UserID }

// Handle identifies the session (for revocation and listing).
func (s *Session) Handle() string { return s.id.Handle }

// AccessTokenExpiry is when the current access token expires.
func (s *Session) AccessTokenExpiry() time.Time { return s.id.Expires }

// Payload returns a copy of the access-token payload: the app's claims plus
// sub, iat, exp, iss and sessionHandle. The copy is shallow: treat nested
// maps and slices as read-only.
func (s *Session) Payload() Payload { return maps.Clone(s.id.Payload) }

// MergePayload merges update into the access-token payload (a nil value
// removes a key), stores it, and issues a new access token and front-token
// on this response. Protected claims (sub, exp, sessionHandle, ...) are
// refused with ErrInvalidInput.
func (s *Session) MergePayload(ctx context.Context, update map[string]any) error {
	ctx = stdCtx(ctx)
	merged, err := s.e.mergePayload(ctx, s.id.Handle, update)
	if err != nil {
		return s.gone(err)
	}
	access, full, exp, err := s.e.tokens.Mint(ctx, s.id.UserID, s.id.Handle, merged.payload, merged.created)
	if err != nil {
		return mintError(err)
	}
	if err := s.e.out(s.c).Issue(transport.Method(s.method()), transport.Issued{UserID: s.id.UserID, Access: access, AccessExp: exp, Payload: full, SessionOnly: merged.sessionOnly}); err != nil {
		return err
	}
	id := *s.id
	id.Expires, id.Payload = exp, full
	s.id = &id
	return nil
}

// Data returns the session data kept in the database.
func (s *Session) Data(ctx context.Context) (map[string]any, error) {
	ctx = stdCtx(ctx)
	row, err := s.e.st.GetSession(ctx, s.id.Handle, s.e.cfg.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.gone(ErrSessionNotFound)
	}
	if err != nil {
		return nil, storageErr("reading session data", err)
	}
	return decodeObject(row.Data), nil
}

// UpdateData replaces the session data kept in the database.
func (s *Session) UpdateData(ctx context.Context, data map[string]any) error {
	ctx = stdCtx(ctx)
	return s.gone(s.e.UpdateSessionData(ctx, s.id.Handle, data))
}

// Info returns the stored session: creation time, refresh expiry, data.
func (s *Session) Info(ctx context.Context) (*SessionInfo, error) {
	ctx = stdCtx(ctx)
	info, err := s.e.GetSessionInfo(ctx, s.id.Handle)
	return info, s.gone(err)
}

// Revoke ends the session and clears its tokens on this response.
func (s *Session) Revoke(ctx context.Context) error {
	ctx = stdCtx(ctx)
	if _, err := s.e.st.DeleteSession(ctx, s.id.Handle); err != nil {
		return storageErr("revoking a session", err)
	}
	s.e.revoked(revokedByApp, s.id.Handle, s.id.UserID)
	s.e.out(s.c).ClearTokens(transport.Method(s.method()))
	return nil
}

// gone turns "session not found" inside a request into "unauthorised" with
// the tokens cleared, which is what HandleError should answer.
func (s *Session) gone(err error) error {
	if errors.Is(err, ErrSessionNotFound) {
		return unauthorised(true, s.method(), err)
	}
	return err
}

// TimeCreated is when the session was created (read from the store).
func (s *Session) TimeCreated(ctx context.Context) (time.Time, error) {
	ctx = stdCtx(ctx)
	info, err := s.Info(ctx)
	if err != nil {
		return time.Time{}, err
	}
	return info.CreatedAt, nil
}

// Expiry is when the session ends unless refreshed: the refresh token's
// expiry (read from the store).
func (s *Session) Expiry(ctx context.Context) (time.Time, error) {
	ctx = stdCtx(ctx)
	info, err := s.Info(ctx)
	if err != nil {
		return time.Time{}, err
	}
	return info.ExpiresAt, nil
}
