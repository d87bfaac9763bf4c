package memstore

import (
	"context"
	"slices"

	"github.com/ginsession/ginsession/store"
)

// EnsureSecret implements store.Secrets.
func (s *Store) EnsureSecret(ctx context.Context, name string, value []byte) ([]byte, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if err := checkText("ensure secret", "name", name); err != nil {
		return nil, err
	}
	if v, ok := s.secrets[name]; ok {
		return slices.Clone(v), nil
	}
	s.secrets[name] = slices.Clone(value)
	return slices.Clone(value), nil
}

var _ store.Secrets = (*Store)(nil)
