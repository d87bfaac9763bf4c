package keyring

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ginsession/ginsession/store"
)

// memKeys is an in-memory KeyStore keeping store.Store's contract for
// signing keys: one key per unexpired Follows (ErrConflict otherwise),
// unexpired keys listed by SignFrom. reads counts SigningKeys calls.
type memKeys struct {
	mu    sync.Mutex
	rows  []store.SigningKey
	reads int
}

func (m *memKeys) AddSigningKey(_ context.Context, k *store.SigningKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.rows {
		if r.ID == k.ID {
			return fmt.Errorf("duplicate key id %s", k.ID)
		}
		if k.Follows != "" && r.Follows == k.Follows && r.ExpiresAt.After(k.CreatedAt) {
			return store.ErrConflict
		}
	}
	m.rows = append(m.rows, *k)
	return nil
}

func (m *memKeys) SigningKeys(_ context.Context, now time.Time) ([]store.SigningKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	var out []store.SigningKey
	for _, r := range m.rows {
		if r.ExpiresAt.After(now) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b store.SigningKey) int { return a.SignFrom.Compare(b.SignFrom) })
	return out, nil
}

func (m *memKeys) count() (rows, reads int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rows), m.reads
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
