// Package accesstoken mints and verifies ginsession's access tokens: JWTs
// signed with the keyring's keys carrying the SuperTokens claims (sub,
// iat, exp, iss, sessionHandle; docs/protocol.md §2) beside the app's
// payload. Verified tokens are remembered in a bounded cache, so a token
// seen before costs a map lookup.
package accesstoken

import (
	"context"
	"time"

	"github.com/ginsession/ginsession/internal/keyring"
)

// Keys is what tokens are signed and verified with (a *keyring.Keyring).
type Keys interface {
	// Signer returns the key to sign with now.
	Signer(ctx context.Context) (*keyring.Key, error)
	// Lookup returns the key a kid names, or nil; it may reload the keys.
	Lookup(ctx context.Context, kid string) *keyring.Key
	// Knows reports whether a kid names a key in memory, without reloading.
	Knows(kid string) bool
}

// Options is what Tokens runs on. Every field is required but
// SessionEnd, CacheSize, CoreShape and Adopted.
type Options struct {
	Keys Keys
	// Algorithm is the only JWS "alg" verification accepts.
	Algorithm string
	// Issuer is the iss claim minted, and the only one accepted.
	Issuer string
	// TTL is the access tokens' lifetime.
	TTL time.Duration
	// SessionEnd, when set, is the end of a session created at created
	// whose token would expire at expires (internal/protocol's
	// Lifetimes.End, which knows MaxSessionAge): no token outlives it.
	SessionEnd func(created, expires time.Time) time.Time
	// CacheSize bounds the verify cache; 0 or less disables it.
	CacheSize int
	// CoreShape mints tokens in the shape of the SuperTokens core's access
	// token version 5, which supertokens-node verifies: the header says
	// "version": "5" and the payload carries tId, rsub and
	// refreshTokenHash1 (see Mint).
	CoreShape bool
	Now       func() time.Time
	// Adopted, when set, verifies the access tokens of the issuer whose
	// sessions ginsession took over (the SuperTokens core's). It answers
	// ok false for a token that is not that issuer's, which is then
	// verified as ours; its verified claims are cached like ours.
	Adopted func(tok string, now time.Time) (c *Claims, ok bool, err error)
}

// Tokens mints and verifies access tokens.
type Tokens struct {
	opts  Options
	cache *cache
}

// New returns Tokens on opts.
func New(opts Options) *Tokens {
	return &Tokens{opts: opts, cache: newCache(opts.CacheSize)}
}
