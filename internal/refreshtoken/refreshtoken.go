// Package refreshtoken is the format of ginsession's refresh tokens: how one
// is made, authenticated, hashed for the store, and how the next token of
// a session's lineage is derived from it.
//
// A refresh token is opaque to the frontend. Its bytes, before unpadded
// base64url:
//
//	version(1) | handle(16) | generation(8) | secret(32) | mac(16)
//
// The MAC (HMAC-SHA256 under a server key) makes a forged or corrupted token
// recognisable as not ours, so it is answered "unauthorised" and can never
// make the server revoke somebody's session. The child of a token is derived
// from it under another server key, so a retry inside the grace window
// yields exactly the same child: a lineage never forks.
package refreshtoken

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"

	"github.com/ginsession/ginsession/internal/keycrypto"
	"github.com/ginsession/ginsession/internal/sessionhandle"
)

const (
	version   = 1
	rawLen    = 1 + 16 + 8 + 32 + 16
	macOffset = rawLen - 16

	// Len is the length of a token's text.
	Len = (rawLen*8 + 5) / 6
)

// Token is one authenticated (or freshly made) refresh token.
type Token struct {
	raw [rawLen]byte
	// Handle is the session the token belongs to.
	Handle string
	// Generation counts the rotations before this token: 0 for the token
	// a session starts with, its parent's plus one after that.
	Generation int64
}

// Keys issues, authenticates and derives tokens under one server secret,
// and accepts tokens of older secrets while they are still out there.
type Keys struct {
	mac    []byte
	derive []byte
	// accepted are the keys of other secrets (Config.AcceptMasterKeys,
	// AcceptStoredSecret) whose tokens are accepted; nothing is issued or
	// derived under them.
	accepted []Keys
}

// NewKeys returns the keys of secret, accepting tokens issued under any of
// accepted too (their children are issued under secret: a session moves
// to the current secret at its next refresh).
func NewKeys(secret []byte, accepted ...[]byte) *Keys {
	k := keysOf(secret)
	for _, s := range accepted {
		k.accepted = append(k.accepted, keysOf(s))
	}
	return &k
}

func keysOf(secret []byte) Keys {
	return Keys{
		mac:    keycrypto.Derive(secret, "ginsession refresh-token mac"),
		derive: keycrypto.Derive(secret, "ginsession refresh-token child"),
	}
}

// New makes the first token of the session h.
func (k *Keys) New(h [16]byte) (*Token, error) {
	var t Token
	t.raw[0] = version
	copy(t.raw[1:17], h[:])
	if _, err := rand.Read(t.raw[25:57]); err != nil {
		return nil, err
	}
	k.seal(&t)
	return &t, nil
}

// Child derives the next token of parent's lineage. It is a function of
// parent alone: asked twice, it answers the same token.
func (k *Keys) Child(parent *Token) *Token {
	var t Token
	t.raw[0] = version
	copy(t.raw[1:17], parent.raw[1:17])
	binary.BigEndian.PutUint64(t.raw[17:25], uint64(parent.Generation+1))
	m := hmac.New(sha256.New, k.derive)
	m.Write(parent.raw[:macOffset])
	copy(t.raw[25:57], m.Sum(nil))
	k.seal(&t)
	return &t
}

// Adopt makes the first token of our lineage for the session h, which
// continues a token another issuer made for it (foreign: its text; the
// SuperTokens core's, for a session taken over). Like Child it is a function
// of its inputs alone, so a retry of the foreign token is answered the same
// token. Its generation is 1: the foreign token counts as generation 0.
func (k *Keys) Adopt(h [16]byte, foreign string) *Token {
	var t Token
	t.raw[0] = version
	copy(t.raw[1:17], h[:])
	binary.BigEndian.PutUint64(t.raw[17:25], 1)
	m := hmac.New(sha256.New, k.derive)
	m.Write([]byte("adopt\x00"))
	m.Write(h[:])
	m.Write([]byte(foreign))
	copy(t.raw[25:57], m.Sum(nil))
	k.seal(&t)
	return &t
}

func (k *Keys) seal(t *Token) {
	m := hmac.New(sha256.New, k.mac)
	m.Write(t.raw[:macOffset])
	copy(t.raw[macOffset:], m.Sum(nil)[:16])
	t.Handle = sessionhandle.Format(t.raw[1:17])
	t.Generation = int64(binary.BigEndian.Uint64(t.raw[17:25]))
}

// Parse decodes and authenticates a token. It does the same work for any
// input of the right length (and less for any other), and tries every
// accepted key, so its time tells nothing about which key matched.
func (k *Keys) Parse(s string) (*Token, bool) {
	if len(s) != Len {
		return nil, false
	}
	var t Token
	n, err := base64.RawURLEncoding.Strict().Decode(t.raw[:], []byte(s))
	if err != nil || n != rawLen || t.raw[0] != version {
		return nil, false
	}
	ok := macMatches(k.mac, &t)
	for i := range k.accepted {
		ok = macMatches(k.accepted[i].mac, &t) || ok
	}
	if !ok {
		return nil, false
	}
	t.Handle = sessionhandle.Format(t.raw[1:17])
	t.Generation = int64(binary.BigEndian.Uint64(t.raw[17:25]))
	if t.Generation < 0 {
		return nil, false
	}
	return &t, true
}

// Authentic reports whether s is a token Parse accepts.
func (k *Keys) Authentic(s string) bool {
	_, ok := k.Parse(s)
	return ok
}

// macMatches reports whether t carries the MAC of key.
func macMatches(key []byte, t *Token) bool {
	m := hmac.New(sha256.New, key)
	m.Write(t.raw[:macOffset])
	return subtle.ConstantTimeCompare(m.Sum(nil)[:16], t.raw[macOffset:]) == 1
}

// Shaped reports whether v could be a token: the exact length, all in the
// unpadded base64url alphabet. It is the cheap filter that keeps junk
// cookies out of the candidates before anything is authenticated.
func Shaped(v string) bool {
	if len(v) != Len {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// String is the token's text, as the frontend holds it.
func (t *Token) String() string { return base64.RawURLEncoding.EncodeToString(t.raw[:]) }

// Hash is what the store keeps instead of the token.
func (t *Token) Hash() []byte {
	h := sha256.Sum256(t.raw[:])
	return h[:]
}
