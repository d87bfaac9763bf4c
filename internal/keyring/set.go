package keyring

import (
	"crypto"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Key is a signing key ready for use. Keys are shared by every request
// holding the Set they came from: never modify one.
type Key struct {
	ID        string // the JWT "kid"
	Algorithm string // the JWS "alg" it signs with, and the only one it verifies
	Method    jwt.SigningMethod
	Public    crypto.PublicKey
	Private   crypto.Signer // nil when this instance cannot decrypt it: verify only
	SignFrom  time.Time
	ExpiresAt time.Time
}

// Set is an immutable snapshot of the keys, replaced atomically on reload.
type Set struct {
	byID     map[string]*Key
	ordered  []*Key // by SignFrom ascending
	jwks     []byte
	loadedAt time.Time
}

// Key returns the key with this kid, or nil.
func (ks *Set) Key(kid string) *Key { return ks.byID[kid] }

// JWKS is the set's public keys as a JWKS document (RFC 7517).
func (ks *Set) JWKS() []byte { return ks.jwks }

// Algorithms lists first, then every other algorithm a key of the set
// signs with, once each, in the keys' order.
func (ks *Set) Algorithms(first string) []string {
	algs := []string{first}
	for _, k := range ks.ordered {
		if !slices.Contains(algs, k.Algorithm) {
			algs = append(algs, k.Algorithm)
		}
	}
	return algs
}

// active is the newest key that may sign now and outlives a token signed now.
func (ks *Set) active(now time.Time, ttl time.Duration) *Key {
	for i := len(ks.ordered) - 1; i >= 0; i-- {
		key := ks.ordered[i]
		if key.Private != nil && !key.SignFrom.After(now) && key.ExpiresAt.After(now.Add(ttl)) {
			return key
		}
	}
	return nil
}
