package dbsc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/ginsession/ginsession/store"
)

// The refusals of Binder beyond the proof's own (ErrMalformed and the
// others of ParseProof and Key.Verify).
var (
	// ErrChallenge: the proof's jti is no challenge this server handed out
	// for this purpose and session, or it was used or has expired.
	ErrChallenge = errors.New("dbsc: proof answers no live challenge of this session")
	// ErrNoSession: the session is gone (signed out, revoked, expired) or,
	// on refresh, was never bound.
	ErrNoSession = errors.New("dbsc: no bound session")
	// ErrAlreadyBound: a second registration for a session: a key is
	// registered once and never replaced.
	ErrAlreadyBound = errors.New("dbsc: session already bound")
)

// Options configure a Binder.
type Options struct {
	Store store.DeviceBindings
	// Secret keys the bound cookie's MAC (a key derived from it, not it).
	// Every instance must have the same.
	Secret []byte
	Now    func() time.Time
	// RegistrationTTL is how long a registration offer's challenge lives:
	// the browser registers right after sign-in.
	RegistrationTTL time.Duration
	// ChallengeTTL is how long a refresh challenge lives: the browser
	// answers a 403 at once.
	ChallengeTTL time.Duration
	// CookieTTL is the bound cookie's lifetime: how long a stolen copy of
	// it still lets the session refresh.
	CookieTTL time.Duration
}

// Binder registers keys and checks proofs, over a store every instance
// shares.
type Binder struct {
	o      Options
	cookie []byte
}

// New returns a Binder.
func New(o Options) *Binder {
	return &Binder{o: o, cookie: deriveCookieKey(o.Secret)}
}

// CookieTTL is the bound cookie's lifetime.
func (b *Binder) CookieTTL() time.Duration { return b.o.CookieTTL }

// challengeBytes is the entropy of a challenge.
const challengeBytes = 32

// hashChallenge is how a challenge is stored: like a token, never as
// itself, so a copy of the table answers no proof.
func hashChallenge(c string) []byte {
	h := sha256.Sum256([]byte(c))
	return h[:]
}

// issue stores a new challenge for handle and returns it.
func (b *Binder) issue(ctx context.Context, handle string, register bool, ttl time.Duration) (string, error) {
	raw := make([]byte, challengeBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	c := base64.RawURLEncoding.EncodeToString(raw)
	err := b.o.Store.AddChallenge(ctx, store.Challenge{
		Hash: hashChallenge(c), Handle: handle, Register: register, ExpiresAt: b.o.Now().Add(ttl),
	})
	if err != nil {
		return "", fmt.Errorf("dbsc: storing a challenge: %w", err)
	}
	return c, nil
}

// Offer issues the challenge of a registration offer for the session
// handle. The offer's authorization is the handle (Authorization): the
// proof must copy it, which ties the proof to the session the challenge
// was issued for.
func (b *Binder) Offer(ctx context.Context, handle string) (challenge string, err error) {
	return b.issue(ctx, handle, true, b.o.RegistrationTTL)
}

// Authorization is the authorization parameter of the offer for handle.
func Authorization(handle string) string { return handle }

// Register checks a registration proof and records its key for the
// session its challenge was issued for, which it returns. The order makes
// a forged proof cost nothing: the signature is checked (by the key the
// proof carries) before the challenge is taken, so nobody without a
// signing key can use up a browser's challenge.
func (b *Binder) Register(ctx context.Context, text string) (handle string, err error) {
	k, p, err := VerifyRegistration(text)
	if err != nil {
		return "", err
	}
	c, err := b.take(ctx, p.JTI)
	if err != nil {
		return "", err
	}
	if !c.Register {
		return "", fmt.Errorf("%w: a refresh challenge answered in a registration", ErrChallenge)
	}
	if !p.HasAuthorization || p.Authorization != Authorization(c.Handle) {
		return "", ErrAuthorization
	}
	err = b.o.Store.BindSession(ctx, store.Binding{Handle: c.Handle, PublicKey: k.JWK(), CreatedAt: b.o.Now()}, b.o.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", ErrNoSession
	case errors.Is(err, store.ErrConflict):
		return "", ErrAlreadyBound
	case err != nil:
		return "", fmt.Errorf("dbsc: binding a session: %w", err)
	}
	return c.Handle, nil
}

// take takes the challenge jti names; ErrChallenge when there is none.
func (b *Binder) take(ctx context.Context, jti string) (*store.Challenge, error) {
	c, err := b.o.Store.TakeChallenge(ctx, hashChallenge(jti), b.o.Now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrChallenge
	}
	if err != nil {
		return nil, fmt.Errorf("dbsc: taking a challenge: %w", err)
	}
	return c, nil
}

// Key returns the key the session registered: ErrNoSession when it has
// none or is gone.
func (b *Binder) Key(ctx context.Context, handle string) (*Key, error) {
	bind, err := b.o.Store.GetBinding(ctx, handle, b.o.Now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("dbsc: reading a binding: %w", err)
	}
	k, err := ParseJWK(bind.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("dbsc: the stored key of %s: %w", handle, err)
	}
	return k, nil
}

// Bound reports whether the session has a registered key.
func (b *Binder) Bound(ctx context.Context, handle string) (bool, error) {
	_, err := b.Key(ctx, handle)
	if errors.Is(err, ErrNoSession) {
		return false, nil
	}
	return err == nil, err
}

// Challenge issues a refresh challenge for a bound session (the 403 of
// the refresh endpoint). ErrNoSession for a session that is not bound or
// gone: nothing is stored for it.
func (b *Binder) Challenge(ctx context.Context, handle string) (string, error) {
	if _, err := b.Key(ctx, handle); err != nil {
		return "", err
	}
	return b.issue(ctx, handle, false, b.o.ChallengeTTL)
}

// Refresh checks a refresh proof for the session handle: signed by the
// registered key (a proof carrying a key of its own is refused), answering
// a live refresh challenge issued for this session, which it uses up.
func (b *Binder) Refresh(ctx context.Context, handle, text string) error {
	k, err := b.Key(ctx, handle)
	if err != nil {
		return err
	}
	p, err := VerifyRefresh(text, k)
	if err != nil {
		return err
	}
	c, err := b.take(ctx, p.JTI)
	if err != nil {
		return err
	}
	if c.Register || c.Handle != handle {
		return fmt.Errorf("%w: the challenge was issued for another purpose or session", ErrChallenge)
	}
	return nil
}

// Refused reports whether err is one of this package's refusals (a bad
// proof, challenge or session), as opposed to a failure of the store.
func Refused(err error) bool {
	for _, r := range []error{ErrMalformed, ErrType, ErrAlgorithm, ErrKey, ErrKeyInRefresh, ErrSignature,
		ErrClaims, ErrAuthorization, ErrChallenge, ErrNoSession, ErrAlreadyBound} {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}
