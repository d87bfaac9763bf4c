package ginsession

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ginsession/ginsession/internal/accesstoken"
	"github.com/ginsession/ginsession/internal/protocol"
	"github.com/ginsession/ginsession/internal/sessionhandle"
	"github.com/ginsession/ginsession/store"
)

// SessionInfo describes a stored session: what a user's list of devices
// shows.
type SessionInfo struct {
	Handle    string
	UserID    string
	Payload   map[string]any // the app's access-token payload (protected claims excluded)
	Data      map[string]any // the session data kept in the database
	CreatedAt time.Time
	ExpiresAt time.Time // when the session ends unless refreshed (never after CreatedAt + MaxSessionAge)

	// LastActiveAt is the latest refresh (CreatedAt before the first): the
	// session's last activity, to within one access-token lifetime.
	LastActiveAt time.Time
	// DeviceLabel is the app's name for the device (WithDeviceLabel).
	DeviceLabel string
	// The User-Agent and client IP of the request that created the session,
	// and of the latest refresh (the creation's before the first). The IPs
	// are empty with Config.OmitClientIP.
	CreatedUserAgent, CreatedIP string
	LastUserAgent, LastIP       string
	// BrowserSessionOnly: created without "remember me" (BrowserSessionOnly).
	BrowserSessionOnly bool
	// Current marks the caller's own session in Session.ListSessions.
	Current bool
}

// sessionInfo is what the app sees of a session row: its expiry never
// after the session's absolute end (life).
func sessionInfo(row *store.Session, life protocol.Lifetimes) SessionInfo {
	info := SessionInfo{
		Handle: row.Handle, UserID: row.UserID,
		Payload: decodeObject(row.Payload), Data: decodeObject(row.Data),
		CreatedAt: row.CreatedAt, ExpiresAt: life.End(row.CreatedAt, row.ExpiresAt),
		LastActiveAt: row.RotatedAt, DeviceLabel: row.DeviceLabel,
		CreatedUserAgent: row.CreatedUserAgent, CreatedIP: row.CreatedIP,
		LastUserAgent: row.RefreshedUserAgent, LastIP: row.RefreshedIP,
		BrowserSessionOnly: row.BrowserSessionOnly,
	}
	if row.Generation == 0 {
		info.LastUserAgent, info.LastIP = row.CreatedUserAgent, row.CreatedIP
	}
	return info
}

// GetSessionInfo returns one session, or ErrSessionNotFound.
func (e *Sessions) GetSessionInfo(ctx context.Context, handle string) (*SessionInfo, error) {
	ctx = stdCtx(ctx)
	if !sessionhandle.Valid(handle) {
		return nil, ErrSessionNotFound
	}
	now := e.cfg.now()
	row, err := e.st.GetSession(ctx, handle, now)
	if errors.Is(err, store.ErrNotFound) || err == nil && e.life.PastMaxAge(row.CreatedAt, now) {
		return nil, ErrSessionNotFound
	}
	if err != nil {
		return nil, storageErr("reading a session", err)
	}
	info := sessionInfo(row, e.life)
	return &info, nil
}

// ListSessions returns a user's live sessions, oldest first.
func (e *Sessions) ListSessions(ctx context.Context, userID string) ([]SessionInfo, error) {
	ctx = stdCtx(ctx)
	now := e.cfg.now()
	rows, err := e.st.ListUserSessions(ctx, userID, now)
	if err != nil {
		return nil, storageErr("listing sessions", err)
	}
	out := make([]SessionInfo, 0, len(rows))
	for i := range rows {
		if !e.life.PastMaxAge(rows[i].CreatedAt, now) {
			out = append(out, sessionInfo(&rows[i], e.life))
		}
	}
	return out, nil
}

// UpdateSessionData replaces the session data of a session by handle.
func (e *Sessions) UpdateSessionData(ctx context.Context, handle string, data map[string]any) error {
	ctx = stdCtx(ctx)
	if !sessionhandle.Valid(handle) {
		return ErrSessionNotFound
	}
	enc, err := encodeObject(data)
	if err != nil {
		return fmt.Errorf("%w: data: %v", ErrInvalidInput, err)
	}
	now := e.cfg.now()
	err = e.st.UpdateSession(ctx, handle, now, func(row *store.Session) error {
		if e.life.PastMaxAge(row.CreatedAt, now) {
			return store.ErrNotFound
		}
		row.Data = enc
		return nil
	})
	return mapUpdateErr(err)
}

// MergeIntoPayload merges update into a session's access-token payload by
// handle (a nil value removes a key). The frontend sees it after the next
// refresh; database-checked routes see it at once.
func (e *Sessions) MergeIntoPayload(ctx context.Context, handle string, update map[string]any) error {
	ctx = stdCtx(ctx)
	_, err := e.mergePayload(ctx, handle, update)
	return err
}

// mergedSession is what a payload merge leaves: the merged payload and the
// facts of the row a new access token needs.
type mergedSession struct {
	payload     map[string]any
	created     time.Time
	sessionOnly bool
}

func (e *Sessions) mergePayload(ctx context.Context, handle string, update map[string]any) (*mergedSession, error) {
	if !sessionhandle.Valid(handle) {
		return nil, ErrSessionNotFound
	}
	for k := range update {
		if accesstoken.Reserved(k) {
			return nil, fmt.Errorf("%w: payload key %q is set by ginsession", ErrInvalidInput, k)
		}
	}
	var merged map[string]any
	out := &mergedSession{}
	now := e.cfg.now()
	err := e.st.UpdateSession(ctx, handle, now, func(row *store.Session) error {
		if e.life.PastMaxAge(row.CreatedAt, now) {
			return store.ErrNotFound
		}
		out.created, out.sessionOnly = row.CreatedAt, row.BrowserSessionOnly
		merged = decodeObject(row.Payload)
		for k, v := range update {
			if v == nil {
				delete(merged, k)
			} else {
				merged[k] = v
			}
		}
		enc, err := encodeObject(merged)
		if err != nil {
			return fmt.Errorf("%w: payload: %v", ErrInvalidInput, err)
		}
		if len(enc) > maxPayloadLen {
			return fmt.Errorf("%w: payload of %d bytes: at most %d (it travels in every access token)", ErrInvalidInput, len(enc), maxPayloadLen)
		}
		row.Payload = enc
		return nil
	})
	if err != nil {
		return nil, mapUpdateErr(err)
	}
	out.payload = decodeObject(mustEncode(merged))
	return out, nil
}

func mapUpdateErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return ErrSessionNotFound
	case errors.Is(err, ErrInvalidInput):
		return err
	default:
		return storageErr("updating a session", err)
	}
}
