package memstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ginsession/ginsession/store"
)

// copySession returns a copy of in sharing no memory with it, its times in
// UTC (which also drops a monotonic clock reading: stored times are wall
// times, as in a database).
func copySession(in *store.Session) *store.Session {
	c := *in
	c.RefreshHash = slices.Clone(in.RefreshHash)
	c.PrevRefreshHash = slices.Clone(in.PrevRefreshHash)
	c.Payload = slices.Clone(in.Payload)
	c.Data = slices.Clone(in.Data)
	c.RotatedAt, c.ExpiresAt, c.CreatedAt = in.RotatedAt.UTC(), in.ExpiresAt.UTC(), in.CreatedAt.UTC()
	return &c
}

// checkSession refuses a session CreateSession would not store as given.
func checkSession(in *store.Session) error {
	const op = "create session"
	if in == nil {
		return errNil(op)
	}
	if err := checkText(op, "handle", in.Handle); err != nil {
		return err
	}
	if err := checkText(op, "user id", in.UserID); err != nil {
		return err
	}
	if len(in.RefreshHash) == 0 {
		return errors.New("memstore: create session: empty refresh hash")
	}
	for _, f := range []struct{ name, v string }{
		{"device label", in.DeviceLabel},
		{"created user agent", in.CreatedUserAgent},
		{"created ip", in.CreatedIP},
		{"refreshed user agent", in.RefreshedUserAgent},
		{"refreshed ip", in.RefreshedIP},
	} {
		if err := checkMetaText(op, f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

// insert stores a copy of in. A row with the same handle, even an expired
// one DeleteExpired has not removed yet, makes it an error, as a primary
// key would. Caller holds mu and has checked in.
func (s *Store) insert(in *store.Session) error {
	if _, dup := s.sessions[in.Handle]; dup {
		return fmt.Errorf("memstore: create session: handle %.40q already exists", in.Handle)
	}
	s.sessions[in.Handle] = copySession(in)
	if s.byUser[in.UserID] == nil {
		s.byUser[in.UserID] = map[string]struct{}{}
	}
	s.byUser[in.UserID][in.Handle] = struct{}{}
	return nil
}

// remove deletes the row of handle, if any. Caller holds mu.
func (s *Store) remove(handle string) bool {
	row, ok := s.sessions[handle]
	if !ok {
		return false
	}
	delete(s.sessions, handle)
	delete(s.bindings, handle) // the binding ends with its session
	if hs := s.byUser[row.UserID]; hs != nil {
		delete(hs, handle)
		if len(hs) == 0 {
			delete(s.byUser, row.UserID)
		}
	}
	return true
}

// live returns the stored row of handle when its ExpiresAt is after now.
// Caller holds mu.
func (s *Store) live(handle string, now time.Time) *store.Session {
	row := s.sessions[handle]
	if row == nil || !row.ExpiresAt.After(now) {
		return nil
	}
	return row
}

// CreateSession implements store.SessionRows.
func (s *Store) CreateSession(ctx context.Context, in *store.Session) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if err := checkSession(in); err != nil {
		return err
	}
	return s.insert(in)
}

// GetSession implements store.SessionRows.
func (s *Store) GetSession(ctx context.Context, handle string, now time.Time) (*store.Session, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	row := s.live(handle, now)
	if row == nil {
		return nil, store.ErrNotFound
	}
	return copySession(row), nil
}

// RotateSession implements store.SessionRows: the match and the write are
// one step under the store's lock, so of racing callers exactly one wins.
func (s *Store) RotateSession(ctx context.Context, handle string, current []byte, r store.Rotation) (*store.Session, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if len(current) == 0 || len(r.NewRefreshHash) == 0 {
		return nil, errors.New("memstore: rotate session: empty refresh hash")
	}
	if err := checkMetaText("rotate session", "user agent", r.UserAgent); err != nil {
		return nil, err
	}
	if err := checkMetaText("rotate session", "ip", r.IP); err != nil {
		return nil, err
	}
	row := s.live(handle, r.RotatedAt)
	if row == nil || !bytes.Equal(row.RefreshHash, current) {
		return nil, store.ErrConflict
	}
	row.PrevRefreshHash, row.RefreshHash = row.RefreshHash, slices.Clone(r.NewRefreshHash)
	row.Generation++
	row.RotatedAt, row.ExpiresAt = r.RotatedAt.UTC(), r.ExpiresAt.UTC()
	if !r.BrowserSessionExpiresAt.IsZero() && row.BrowserSessionOnly {
		row.ExpiresAt = r.BrowserSessionExpiresAt.UTC()
	}
	row.RefreshedUserAgent, row.RefreshedIP = r.UserAgent, r.IP
	out := copySession(row)
	out.Data = nil // a refresh has no use for it, and SQL stores do not read it
	return out, nil
}

// UpdateSession implements store.SessionRows. fn runs under the store's
// lock (that is what makes it one transaction here): it must not call the
// store.
func (s *Store) UpdateSession(ctx context.Context, handle string, now time.Time, fn func(*store.Session) error) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	row := s.live(handle, now)
	if row == nil {
		return store.ErrNotFound
	}
	work := copySession(row)
	if err := fn(work); err != nil {
		return err
	}
	row.Payload, row.Data = slices.Clone(work.Payload), slices.Clone(work.Data)
	return nil
}

// DeleteSession implements store.SessionRows.
func (s *Store) DeleteSession(ctx context.Context, handle string) (bool, error) {
	if err := s.lock(ctx); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	return s.remove(handle), nil
}
