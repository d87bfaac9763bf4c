package ginsession

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ginsession/ginsession/store"
)

// SessionInfo describes a stored session.
type SessionInfo struct {
	Handle    string
	UserID    string
	Payload   map[string]any // the app's access-token payload (protected claims excluded)
	Data      map[string]any // the session data kept in the database
	CreatedAt time.Time
	ExpiresAt time.Time // refresh-token expiry
}

func infoFromRow(row *store.Session) SessionInfo {
	return SessionInfo{
		Handle: row.Handle, UserID: row.UserID,
		Payload: decodeObject(row.Payload), Data: decodeObject(row.Data),
		CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt,
	}
}

// GetSessionInfo returns one session, or ErrSessionNotFound.
func (e *Sessions) GetSessionInfo(ctx context.Context, handle string) (*SessionInfo, error) {
	ctx = stdCtx(ctx)
	if !validHandle(handle) {
		return nil, ErrSessionNotFound
	}
	row, err := e.st.GetSession(ctx, handle, e.cfg.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrSessionNotFound
	}
	if err != nil {
		return nil, storageErr("reading a session", err)
	}
	info := infoFromRow(row)
	return &info, nil
}

// ListSessions returns a user's live sessions, oldest first.
func (e *Sessions) ListSessions(ctx context.Context, userID string) ([]SessionInfo, error) {
	ctx = stdCtx(ctx)
	rows, err := e.st.ListUserSessions(ctx, userID, e.cfg.now())
	if err != nil {
		return nil, storageErr("listing sessions", err)
	}
	out := make([]SessionInfo, len(rows))
	for i := range rows {
		out[i] = infoFromRow(&rows[i])
	}
	return out, nil
}

// UpdateSessionData replaces the session data of a session by handle.
func (e *Sessions) UpdateSessionData(ctx context.Context, handle string, data map[string]any) error {
	ctx = stdCtx(ctx)
	if !validHandle(handle) {
		return ErrSessionNotFound
	}
	enc, err := encodeObject(data)
	if err != nil {
		return fmt.Errorf("%w: data: %v", ErrInvalidInput, err)
	}
	err = e.st.UpdateSession(ctx, handle, e.cfg.now(), func(row *store.Session) error {
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

func (e *Sessions) mergePayload(ctx context.Context, handle string, update map[string]any) (map[string]any, error) {
	if !validHandle(handle) {
		return nil, ErrSessionNotFound
	}
	for k := range update {
		if protectedClaims[k] {
			return nil, fmt.Errorf("%w: payload key %q is set by ginsession", ErrInvalidInput, k)
		}
	}
	var merged map[string]any
	err := e.st.UpdateSession(ctx, handle, e.cfg.now(), func(row *store.Session) error {
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
	return decodeObject(mustEncode(merged)), nil
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
