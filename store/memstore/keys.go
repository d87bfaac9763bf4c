package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ginsession/ginsession/store"
)

func copyKey(k *store.SigningKey) *store.SigningKey {
	c := *k
	c.PrivateKey, c.PublicKey = slices.Clone(k.PrivateKey), slices.Clone(k.PublicKey)
	c.CreatedAt, c.SignFrom, c.ExpiresAt = k.CreatedAt.UTC(), k.SignFrom.UTC(), k.ExpiresAt.UTC()
	return &c
}

// AddSigningKey implements store.Keys: the guard on Follows and the insert
// are one step under the store's lock, so one caller wins each turn.
func (s *Store) AddSigningKey(ctx context.Context, k *store.SigningKey) error {
	const op = "add signing key"
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if k == nil {
		return errNil(op)
	}
	if err := checkText(op, "id", k.ID); err != nil {
		return err
	}
	if err := checkText(op, "algorithm", k.Algorithm); err != nil {
		return err
	}
	if err := checkMetaText(op, "follows", k.Follows); err != nil {
		return err
	}
	if _, dup := s.keys[k.ID]; dup {
		return fmt.Errorf("memstore: %s: id %.40q already exists", op, k.ID)
	}
	for id, other := range s.keys {
		if other.Follows != k.Follows {
			continue
		}
		if other.ExpiresAt.After(k.CreatedAt) {
			return store.ErrConflict
		}
		delete(s.keys, id) // expired by the newcomer's time: it blocks nothing
	}
	s.keys[k.ID] = copyKey(k)
	return nil
}

// SigningKeys implements store.Keys.
func (s *Store) SigningKeys(ctx context.Context, now time.Time) ([]store.SigningKey, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.SigningKey
	for _, k := range s.keys {
		if k.ExpiresAt.After(now) {
			out = append(out, *copyKey(k))
		}
	}
	slices.SortFunc(out, func(a, b store.SigningKey) int {
		return cmp.Or(a.SignFrom.Compare(b.SignFrom), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}
