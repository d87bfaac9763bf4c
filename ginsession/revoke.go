package ginsession

import (
	"context"
	"errors"

	"github.com/ginsession/ginsession/internal/sessionhandle"
	"github.com/ginsession/ginsession/store"
)

// revoked announces a session this instance deleted: to the other
// instances (the revocation log), the metrics and the Revoked hook. cause
// is the metrics' cause attribute.
func (e *Sessions) revoked(cause, handle, userID string) {
	e.cfg.logger.Info("ginsession: session revoked", "session", handle)
	e.metrics.revoked(cause, 1)
	if err := e.revs.Add(context.Background(), handle); err != nil {
		e.cfg.logger.Warn("ginsession: revocation not propagated; other instances accept its access tokens until they expire", "session", handle, "err", err)
	}
	if e.cfg.hooks.Revoked != nil {
		e.cfg.hooks.Revoked(SessionEvent{Handle: handle, UserID: userID, Time: e.cfg.now()})
	}
}

// RevokeSession deletes a session. Its refresh token stops working at once,
// and so do its access tokens on this instance; the other instances refuse
// them within about Config.RevocationPollInterval (at once where the store
// pushes revocations), and CheckDatabase routes at once everywhere. With
// propagation disabled (a negative RevocationPollInterval) its access
// tokens work on the other instances until they expire. It reports whether
// the session existed.
func (e *Sessions) RevokeSession(ctx context.Context, handle string) (bool, error) {
	ctx = stdCtx(ctx)
	if !sessionhandle.Valid(handle) {
		return false, nil
	}
	row, err := e.st.GetSession(ctx, handle, e.cfg.now())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, storageErr("reading a session", err)
	}
	ok, err := e.st.DeleteSession(ctx, handle)
	if err != nil {
		return false, storageErr("revoking a session", err)
	}
	if ok && row != nil {
		e.revoked(revokedByApp, handle, row.UserID)
	}
	return ok, nil
}

// RevokeUserSession is RevokeSession for one of userID's sessions only: a
// handle that is not one of that user's live sessions revokes nothing and
// reports false, as an unknown one does (so other users' handles cannot be
// probed). It needs no session of the caller: it is the call that signs out
// a device after a SessionLimitError, once the app has checked the user's
// credentials again. The handle comes from the client, so never let it
// authorise anything by itself.
func (e *Sessions) RevokeUserSession(ctx context.Context, userID, handle string) (bool, error) {
	ctx = stdCtx(ctx)
	if !sessionhandle.Valid(handle) {
		return false, nil
	}
	now := e.cfg.now()
	row, err := e.st.GetSession(ctx, handle, now)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, storageErr("reading a session", err)
	}
	if row.UserID != userID {
		return false, nil
	}
	// Handles are never reused, so the row deleted is the one read.
	ok, err := e.st.DeleteSession(ctx, handle)
	if err != nil {
		return false, storageErr("revoking a session", err)
	}
	if !ok || e.life.PastMaxAge(row.CreatedAt, now) {
		return false, nil // it was over already: not a device signed out
	}
	e.revoked(revokedByApp, handle, userID)
	return true, nil
}

// RevokeAllSessions deletes every session of a user and returns their
// handles.
func (e *Sessions) RevokeAllSessions(ctx context.Context, userID string) ([]string, error) {
	ctx = stdCtx(ctx)
	handles, err := e.st.DeleteUserSessions(ctx, userID)
	if err != nil {
		return nil, storageErr("revoking sessions", err)
	}
	for _, h := range handles {
		e.revoked(revokedByApp, h, userID)
	}
	return handles, nil
}
