package ginsession

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/ginsession/ginsession/store"
)

// The rotation state machine (docs/protocol.md §7), for one authenticated
// refresh token:
//
//	current token            -> rotate: one guarded write makes its child current
//	previous, inside grace   -> the same child again, no write (a retry)
//	previous after grace,
//	or older                 -> theft: the session is revoked
//	newer than the row       -> unauthorised (the database was restored)
//	session gone             -> unauthorised
//
// refresh.go decides which tokens of a request reach this machine.

// staleCheck reports, without rotating anything, whether tok is a
// rotated-out token of a live session (st) or its session is gone; both are
// zero when it is current, a retry inside the grace window, or newer than
// the row.
func (e *Sessions) staleCheck(ctx context.Context, tok *refreshToken) (st *staleToken, gone bool, err error) {
	now := e.cfg.now()
	row, err := e.st.GetSession(ctx, tok.handle, now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, storageErr("reading a session", err)
	}
	h := tok.hash()
	switch {
	case subtle.ConstantTimeCompare(h, row.RefreshHash) == 1,
		row.PrevRefreshHash != nil && subtle.ConstantTimeCompare(h, row.PrevRefreshHash) == 1 && now.Sub(row.RotatedAt) <= e.cfg.grace,
		tok.generation > row.Generation:
		return nil, false, nil
	}
	return &staleToken{row: row, tok: tok}, false, nil
}

type rotation struct {
	row     *store.Session
	child   *refreshToken
	expires time.Time
	retry   bool // the previous token again inside the grace window: nothing written
}

// staleToken is what rotate reports for a rotated-out token of a live
// session; rotateAny decides whether it is theft.
type staleToken struct {
	row *store.Session
	tok *refreshToken
}

func (s *staleToken) Error() string { return "stale refresh token" }

// maxRotateAttempts bounds the guarded writes of one refresh. A lost write
// means another request rotated the same token first, so the read after it
// finds the token as the previous one and succeeds without writing; a
// second attempt happens only when the read finds the token current again.
const maxRotateAttempts = 4

// rotate runs the rotation state machine for one authenticated token.
func (e *Sessions) rotate(ctx context.Context, tok *refreshToken, method TransferMethod, client clientInfo) (*rotation, error) {
	h := tok.hash()
	// The child is derived from the token alone: the same on every path
	// below, and again on every retry of the same token.
	child := e.rk.child(tok)
	childHash := child.hash()
	var end time.Time // the session's absolute end (Config.MaxSessionAge); zero: none
	if e.cfg.maxAge > 0 {
		// The stored expiry must not slide past the end, or the row would
		// outlive the session and count as live (the per-user cap, database
		// checks, by-handle updates); its creation time is in the row.
		now := e.cfg.now()
		row, err := e.st.GetSession(ctx, tok.handle, now)
		if errors.Is(err, store.ErrNotFound) {
			return nil, unauthorised(true, method, errors.New("session not found"))
		}
		if err != nil {
			return nil, storageErr("reading a session", err)
		}
		if e.pastMaxAge(row, now) {
			// Left by an instance without MaxSessionAge (a rolling deploy).
			if _, err := e.st.DeleteSession(ctx, row.Handle); err != nil {
				return nil, storageErr("ending a session past its maximum age", err)
			}
			return nil, unauthorised(true, method, errors.New("session past its maximum age"))
		}
		end = row.CreatedAt.Add(e.cfg.maxAge)
	}
	for attempt := 0; attempt < maxRotateAttempts; attempt++ {
		// The common case in one statement: the token is the current one.
		// Anything else (a retry in the grace window, theft, a row that is
		// gone) is a conflict here and is decided by the read below.
		now := e.cfg.now()
		// Which kind of session the token belongs to is in its row, read
		// by the write itself: the store picks one of the two expiries.
		expires, onlyExpires := now.Add(e.cfg.refreshTTL), now.Add(e.cfg.browserIdle)
		if !end.IsZero() {
			expires, onlyExpires = earliest(expires, end), earliest(onlyExpires, end)
		}
		row, err := e.st.RotateSession(ctx, tok.handle, h, store.Rotation{
			NewRefreshHash: childHash, RotatedAt: now, ExpiresAt: expires,
			UserAgent: client.userAgent, IP: client.ip,
			BrowserSessionExpiresAt: onlyExpires,
		})
		switch {
		case err == nil:
			if row.BrowserSessionOnly {
				expires = onlyExpires
			}
			return &rotation{row: row, child: child, expires: expires}, nil
		case !errors.Is(err, store.ErrConflict):
			return nil, storageErr("rotating a refresh token", err)
		}
		row, err = e.st.GetSession(ctx, tok.handle, now)
		if errors.Is(err, store.ErrNotFound) {
			return nil, unauthorised(true, method, errors.New("session not found"))
		}
		if err != nil {
			return nil, storageErr("reading a session", err)
		}
		switch {
		case subtle.ConstantTimeCompare(h, row.RefreshHash) == 1:
			continue // current again (the row changed between the write and the read): rotate again
		case row.PrevRefreshHash != nil && subtle.ConstantTimeCompare(h, row.PrevRefreshHash) == 1 && now.Sub(row.RotatedAt) <= e.cfg.grace:
			// A retry (lost response, second tab): the same child again.
			if subtle.ConstantTimeCompare(childHash, row.RefreshHash) != 1 {
				return nil, unauthorised(true, method, errors.New("lineage mismatch"))
			}
			return &rotation{row: row, child: child, expires: row.ExpiresAt, retry: true}, nil
		case tok.generation > row.Generation:
			// Ours, but newer than the database: the database was restored
			// from a backup. Not theft.
			return nil, unauthorised(true, method, errors.New("refresh token newer than the session"))
		default:
			return nil, &staleToken{row: row, tok: tok}
		}
	}
	return nil, storageErr("rotating a refresh token", errors.New("too much contention"))
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// theft revokes the session a stale refresh token belongs to. clientIP is
// Gin's ClientIP: it depends on the router's trusted proxies
// (gin.Engine.SetTrustedProxies), so behind no proxy trust nothing.
func (e *Sessions) theft(ctx context.Context, st *staleToken, method TransferMethod, clientIP string) error {
	row := st.row
	if _, err := e.st.DeleteSession(ctx, row.Handle); err != nil {
		return storageErr("revoking a session after theft", err)
	}
	e.cfg.logger.Warn("ginsession: refresh token theft detected", "session", row.Handle, "user", row.UserID, "generation", st.tok.generation, "current_generation", row.Generation, "client_ip", clientIP)
	if e.cfg.hooks.TheftDetected != nil {
		e.cfg.hooks.TheftDetected(TheftEvent{SessionEvent: SessionEvent{Handle: row.Handle, UserID: row.UserID, Time: e.cfg.now()}, ClientIP: clientIP})
	}
	e.revoked(revokedTheft, row.Handle, row.UserID)
	return &respErr{kind: &TheftError{Handle: row.Handle, UserID: row.UserID}, clear: true, method: method}
}

// clientInfo is what a refresh request says about the device, recorded
// with the rotation (SessionInfo.LastUserAgent and LastIP).
type clientInfo struct {
	userAgent, ip string
}
