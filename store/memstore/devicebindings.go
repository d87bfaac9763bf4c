package memstore

import (
	"bytes"
	"context"
	"time"

	"github.com/ginsession/ginsession/store"
)

// AddChallenge implements store.DeviceBindings.
func (s *Store) AddChallenge(ctx context.Context, c store.Challenge) error {
	if len(c.Hash) == 0 {
		return errNil("AddChallenge")
	}
	if err := checkText("AddChallenge", "handle", c.Handle); err != nil {
		return err
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, dup := s.challenges[string(c.Hash)]; dup {
		return store.ErrConflict
	}
	c.Hash = bytes.Clone(c.Hash)
	c.ExpiresAt = c.ExpiresAt.UTC()
	s.challenges[string(c.Hash)] = c
	return nil
}

// TakeChallenge implements store.DeviceBindings.
func (s *Store) TakeChallenge(ctx context.Context, hash []byte, now time.Time) (*store.Challenge, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	c, ok := s.challenges[string(hash)]
	if !ok {
		return nil, store.ErrNotFound
	}
	delete(s.challenges, string(hash))
	if !c.ExpiresAt.After(now) {
		return nil, store.ErrNotFound
	}
	c.Hash = bytes.Clone(c.Hash)
	return &c, nil
}

// BindSession implements store.DeviceBindings.
func (s *Store) BindSession(ctx context.Context, b store.Binding, now time.Time) error {
	if err := checkText("BindSession", "handle", b.Handle); err != nil {
		return err
	}
	if len(b.PublicKey) == 0 {
		return errNil("BindSession")
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	row, ok := s.sessions[b.Handle]
	if !ok || !row.ExpiresAt.After(now) {
		return store.ErrNotFound
	}
	if _, bound := s.bindings[b.Handle]; bound {
		return store.ErrConflict
	}
	b.PublicKey = bytes.Clone(b.PublicKey)
	b.CreatedAt = b.CreatedAt.UTC()
	s.bindings[b.Handle] = b
	return nil
}

// GetBinding implements store.DeviceBindings.
func (s *Store) GetBinding(ctx context.Context, handle string, now time.Time) (*store.Binding, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	row, ok := s.sessions[handle]
	if !ok || !row.ExpiresAt.After(now) {
		return nil, store.ErrNotFound
	}
	b, ok := s.bindings[handle]
	if !ok {
		return nil, store.ErrNotFound
	}
	b.PublicKey = bytes.Clone(b.PublicKey)
	return &b, nil
}
