package memstore

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/ginsession/ginsession/store"
)

// userRows returns the user's stored rows whose ExpiresAt is after now,
// oldest first (by CreatedAt, then Handle). Caller holds mu.
func (s *Store) userRows(userID string, now time.Time) []*store.Session {
	var rows []*store.Session
	for h := range s.byUser[userID] {
		if row := s.live(h, now); row != nil {
			rows = append(rows, row)
		}
	}
	slices.SortFunc(rows, func(a, b *store.Session) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.Handle, b.Handle))
	})
	return rows
}

// CreateSessionLimited implements store.UserSessions: the count, the
// evictions and the insert are one step under the store's lock.
func (s *Store) CreateSessionLimited(ctx context.Context, in *store.Session, now time.Time, l store.SessionLimit) ([]string, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if l.Max < 0 {
		return nil, errors.New("memstore: create session: negative session limit")
	}
	if err := checkSession(in); err != nil {
		return nil, err
	}
	if l.Max == 0 {
		return nil, s.insert(in)
	}
	if _, dup := s.sessions[in.Handle]; dup {
		return nil, s.insert(in) // the duplicate's error; nothing evicted
	}
	rows := s.userRows(in.UserID, now)
	over := len(rows) + 1 - l.Max
	if over <= 0 {
		return nil, s.insert(in)
	}
	if !l.EvictOldest {
		return nil, store.ErrLimit
	}
	evicted := make([]string, 0, over)
	for _, row := range rows[:over] {
		evicted = append(evicted, row.Handle)
	}
	for _, h := range evicted {
		s.remove(h)
	}
	if err := s.insert(in); err != nil {
		return nil, err
	}
	return evicted, nil
}

// DeleteUserSessions implements store.UserSessions.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) ([]string, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var removed []string
	for h := range s.byUser[userID] {
		removed = append(removed, h)
	}
	slices.Sort(removed)
	for _, h := range removed {
		s.remove(h)
	}
	return removed, nil
}

// ListUserSessions implements store.UserSessions.
func (s *Store) ListUserSessions(ctx context.Context, userID string, now time.Time) ([]store.Session, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	rows := s.userRows(userID, now)
	out := make([]store.Session, len(rows))
	for i, row := range rows {
		out[i] = *copySession(row)
	}
	return out, nil
}
