package store

import (
	"context"
	"time"
)

// DeviceBindings is an optional capability: the state of Device Bound
// Session Credentials (ginsession's Config.DeviceBoundSessions), shared by
// every instance on the database so that any of them accepts a browser's
// proof. It holds the single-use challenges the server hands out and the
// public key a session's browser registered. A store has these four
// methods or does not; ginsession refuses to turn the feature on over a
// store without them.
//
// A binding lives as long as its session row: GetBinding answers
// ErrNotFound once the row is deleted (sign-out, revocation, theft) or
// expired, so ending a session ends its binding, and DeleteExpired removes
// the leftovers.
type DeviceBindings interface {
	// AddChallenge stores a challenge until its ExpiresAt. A duplicate
	// Hash is an error.
	AddChallenge(ctx context.Context, c Challenge) error

	// TakeChallenge removes the challenge whose hash is hash and returns
	// it, or ErrNotFound when there is none or it has expired by now. Of
	// callers racing for one challenge exactly one gets it: a challenge
	// answers one proof.
	TakeChallenge(ctx context.Context, hash []byte, now time.Time) (*Challenge, error)

	// BindSession records b's key for its session. ErrNotFound when the
	// session row does not exist or has expired by now; ErrConflict when
	// the session is already bound (a key is registered once, never
	// replaced).
	BindSession(ctx context.Context, b Binding, now time.Time) error

	// GetBinding returns the session's binding, or ErrNotFound when it has
	// none or its session row does not exist or has expired by now.
	GetBinding(ctx context.Context, handle string, now time.Time) (*Binding, error)
}

// Challenge is one challenge handed to a browser, stored by its hash (the
// challenge itself is a bearer value, like a token, and never stored).
type Challenge struct {
	Hash      []byte    // SHA-256 of the challenge; primary key
	Handle    string    // the session it was issued for
	Register  bool      // a registration offer's (else a refresh's)
	ExpiresAt time.Time // gone for readers after it
}

// Binding is the public key a session's browser registered.
type Binding struct {
	Handle    string // the session; primary key
	PublicKey []byte // the key as JSON (a public JWK); opaque to the store
	CreatedAt time.Time
}

// Bindings returns s's DeviceBindings, or nil when s has none: a
// BindingsProvider's answer, else s itself when it implements the
// interface.
func Bindings(s Store) DeviceBindings {
	if p, ok := s.(BindingsProvider); ok {
		return p.DeviceBindings()
	}
	if b, ok := s.(DeviceBindings); ok {
		return b
	}
	return nil
}

// BindingsProvider is implemented by wrappers of another store
// (ginsession's metrics), which have DeviceBindings exactly when the store
// they wrap has.
type BindingsProvider interface {
	DeviceBindings() DeviceBindings
}
