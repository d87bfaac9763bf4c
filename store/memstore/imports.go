package memstore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/ginsession/ginsession/store"
)

// imports is what store.Importer keeps: the handles ever imported (until
// the session's expiry) and the imported verification keys.
type imports struct {
	handles map[string]time.Time // handle → the imported session's ExpiresAt
	keys    map[string]store.ImportedKey
}

var _ store.Importer = (*Store)(nil)

// ImportSessions implements store.Importer: every check first, then the
// inserts, all under the store's lock, so the call is all or nothing.
func (s *Store) ImportSessions(ctx context.Context, sessions []store.Session) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	for i := range sessions {
		if err := checkSession(&sessions[i]); err != nil {
			return 0, err
		}
	}
	if s.imported.handles == nil {
		s.imported.handles = map[string]time.Time{}
	}
	n := 0
	for i := range sessions {
		in := &sessions[i]
		if _, seen := s.imported.handles[in.Handle]; seen {
			continue
		}
		if _, dup := s.sessions[in.Handle]; dup {
			continue
		}
		s.imported.handles[in.Handle] = in.ExpiresAt.UTC()
		if err := s.insert(in); err != nil {
			return n, err // cannot happen: the handle was checked above
		}
		n++
	}
	return n, nil
}

// ImportKey implements store.Importer.
func (s *Store) ImportKey(ctx context.Context, k *store.ImportedKey) (bool, error) {
	const op = "import key"
	if err := s.lock(ctx); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	if k == nil {
		return false, errNil(op)
	}
	for _, f := range []struct{ name, v string }{{"id", k.ID}, {"issuer", k.Issuer}, {"algorithm", k.Algorithm}} {
		if err := checkText(op, f.name, f.v); err != nil {
			return false, err
		}
	}
	if len(k.Key) == 0 {
		return false, errors.New("memstore: import key: empty key")
	}
	if s.imported.keys == nil {
		s.imported.keys = map[string]store.ImportedKey{}
	}
	if _, dup := s.imported.keys[k.ID]; dup {
		return false, nil
	}
	c := *k
	c.Key = slices.Clone(k.Key)
	c.CreatedAt, c.ExpiresAt = k.CreatedAt.UTC(), k.ExpiresAt.UTC()
	s.imported.keys[k.ID] = c
	return true, nil
}

// ImportedKeys implements store.Importer.
func (s *Store) ImportedKeys(ctx context.Context, now time.Time) ([]store.ImportedKey, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.ImportedKey
	for _, k := range s.imported.keys {
		if k.ExpiresAt.After(now) {
			k.Key = slices.Clone(k.Key)
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b store.ImportedKey) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// deleteExpiredImports removes expired imported keys and the marks of
// imported sessions past their expiry. Caller holds mu.
func (s *Store) deleteExpiredImports(now time.Time) int64 {
	var n int64
	for id, k := range s.imported.keys {
		if !k.ExpiresAt.After(now) {
			delete(s.imported.keys, id)
			n++
		}
	}
	for h, exp := range s.imported.handles {
		if !exp.After(now) {
			delete(s.imported.handles, h)
			n++
		}
	}
	return n
}
