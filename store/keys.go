package store

import (
	"context"
	"time"
)

// SigningKey is one access-token signing key. The store treats PrivateKey and
// PublicKey as opaque bytes (the caller may encrypt PrivateKey).
type SigningKey struct {
	ID         string // the JWT "kid"; primary key
	Algorithm  string // e.g. "ES256"
	PrivateKey []byte
	PublicKey  []byte
	CreatedAt  time.Time
	SignFrom   time.Time // the key may sign tokens from this time on (published before)
	ExpiresAt  time.Time // after this the key is neither used nor published, and may be deleted
	// Follows names the rotation turn this key starts: the caller's name for
	// the key it succeeds (ginsession: the ID of the newest key it could sign
	// with when it decided a new key was due; "" or a tag of its own when it
	// had none). Opaque to the store, which only guards it: see AddSigningKey.
	Follows string
}

// Keys holds the access-token signing keys every instance shares.
type Keys interface {
	// AddSigningKey inserts a key. A duplicate ID is an error. It is guarded
	// by Follows: when a key with the same Follows whose ExpiresAt is after
	// k.CreatedAt is already stored, it inserts nothing and returns
	// ErrConflict, so of several callers (in one or several processes)
	// racing to start the same turn exactly one wins; the others read the
	// keys (SigningKeys) and use the winner's. A key with that Follows that
	// has expired by k.CreatedAt does not block the insert (it is removed).
	// Rows stored without Follows (older versions) guard nothing.
	AddSigningKey(ctx context.Context, k *SigningKey) error

	// SigningKeys returns every key whose ExpiresAt is after now, ordered by
	// SignFrom ascending.
	SigningKeys(ctx context.Context, now time.Time) ([]SigningKey, error)
}
