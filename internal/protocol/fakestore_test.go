package protocol

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/ginsession/ginsession/store"
)

// rows is the smallest store the machine runs on: the three session
// methods it calls, over a map, with the contract's guarded rotation. fail,
// when set, is returned by every call (a database that is down).
type rows struct {
	mu      sync.Mutex
	m       map[string]store.Session
	fail    error
	deletes int
	writes  int
}

func newRows() *rows { return &rows{m: map[string]store.Session{}} }

func (r *rows) put(s store.Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[s.Handle] = s
}

func (r *rows) get(handle string) (store.Session, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.m[handle]
	return s, ok
}

func (r *rows) GetSession(_ context.Context, handle string, now time.Time) (*store.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return nil, r.fail
	}
	s, ok := r.m[handle]
	if !ok || !s.ExpiresAt.After(now) {
		return nil, store.ErrNotFound
	}
	return &s, nil
}

func (r *rows) RotateSession(_ context.Context, handle string, current []byte, rot store.Rotation) (*store.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return nil, r.fail
	}
	s, ok := r.m[handle]
	if !ok || !bytes.Equal(s.RefreshHash, current) || !s.ExpiresAt.After(rot.RotatedAt) {
		return nil, store.ErrConflict
	}
	s.PrevRefreshHash, s.RefreshHash = s.RefreshHash, rot.NewRefreshHash
	s.Generation++
	s.RotatedAt, s.ExpiresAt = rot.RotatedAt, rot.ExpiresAt
	if s.BrowserSessionOnly && !rot.BrowserSessionExpiresAt.IsZero() {
		s.ExpiresAt = rot.BrowserSessionExpiresAt
	}
	s.RefreshedUserAgent, s.RefreshedIP = rot.UserAgent, rot.IP
	r.m[handle] = s
	r.writes++
	return &s, nil
}

func (r *rows) DeleteSession(_ context.Context, handle string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return false, r.fail
	}
	_, ok := r.m[handle]
	delete(r.m, handle)
	r.deletes++
	return ok, nil
}
