package memstore

import (
	"context"
	"time"
)

// DeleteExpired implements store.Cleaner. Nothing calls it for you: expired
// rows are invisible to readers anyway, and only take memory until then.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	var n int64
	for h, row := range s.sessions {
		if !row.ExpiresAt.After(now) {
			s.remove(h)
			n++
		}
	}
	for id, k := range s.keys {
		if !k.ExpiresAt.After(now) {
			delete(s.keys, id)
			n++
		}
	}
	for h, r := range s.revs {
		if !r.ExpiresAt.After(now) {
			delete(s.revs, h)
			n++
		}
	}
	n += s.deleteExpiredImports(now)
	for k, c := range s.challenges {
		if !c.ExpiresAt.After(now) {
			delete(s.challenges, k)
			n++
		}
	}
	return n, nil
}
