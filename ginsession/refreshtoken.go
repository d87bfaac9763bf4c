package ginsession

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"

	"github.com/ginsession/ginsession/internal/keycrypto"
)

// Refresh tokens are opaque to the frontend. Layout before base64url:
//
//	version(1) | handle(16) | generation(8) | secret(32) | mac(16)
//
// The MAC (HMAC-SHA256 with a server key) makes a forged or corrupted token
// recognisable as not ours, so it is "unauthorised" and can never make us
// revoke somebody's session. The child of a token is derived from it with
// another server key, so a retry inside the grace window yields exactly the
// same child: the lineage never forks.
const (
	refreshVersion   = 1
	refreshRawLen    = 1 + 16 + 8 + 32 + 16
	refreshTokenLen  = (refreshRawLen*8 + 5) / 6 // base64url, no padding
	refreshMACOffset = refreshRawLen - 16
)

type refreshToken struct {
	raw        [refreshRawLen]byte
	handle     string
	generation int64
}

type refreshKeys struct {
	mac    []byte
	derive []byte
	// accepted are the keys of other secrets (Config.AcceptMasterKeys,
	// AcceptStoredSecret) whose tokens are accepted; nothing is issued or
	// derived under them.
	accepted []refreshKeys
}

// accept adds the keys of secrets whose tokens are accepted besides k's.
func (k *refreshKeys) accept(secrets [][]byte) {
	for _, s := range secrets {
		k.accepted = append(k.accepted, newRefreshKeys(s))
	}
}

func newRefreshKeys(secret []byte) refreshKeys {
	return refreshKeys{
		mac:    keycrypto.Derive(secret, "ginsession refresh-token mac"),
		derive: keycrypto.Derive(secret, "ginsession refresh-token child"),
	}
}

// newRefresh makes the first refresh token of a session.
func (k refreshKeys) newRefresh(handle [16]byte) (*refreshToken, error) {
	var t refreshToken
	t.raw[0] = refreshVersion
	copy(t.raw[1:17], handle[:])
	if _, err := rand.Read(t.raw[25:57]); err != nil {
		return nil, err
	}
	k.seal(&t)
	return &t, nil
}

// child derives the next token of the lineage deterministically.
func (k refreshKeys) child(parent *refreshToken) *refreshToken {
	var t refreshToken
	t.raw[0] = refreshVersion
	copy(t.raw[1:17], parent.raw[1:17])
	binary.BigEndian.PutUint64(t.raw[17:25], uint64(parent.generation+1))
	m := hmac.New(sha256.New, k.derive)
	m.Write(parent.raw[:refreshMACOffset])
	copy(t.raw[25:57], m.Sum(nil))
	k.seal(&t)
	return &t
}

func (k refreshKeys) seal(t *refreshToken) {
	m := hmac.New(sha256.New, k.mac)
	m.Write(t.raw[:refreshMACOffset])
	copy(t.raw[refreshMACOffset:], m.Sum(nil)[:16])
	t.handle = formatHandle(t.raw[1:17])
	t.generation = int64(binary.BigEndian.Uint64(t.raw[17:25]))
}

// parseRefresh decodes and authenticates a refresh token. It does constant
// work for any input: the length is checked before decoding.
func (k refreshKeys) parseRefresh(s string) (*refreshToken, bool) {
	if len(s) != refreshTokenLen {
		return nil, false
	}
	var t refreshToken
	n, err := base64.RawURLEncoding.Strict().Decode(t.raw[:], []byte(s))
	if err != nil || n != refreshRawLen || t.raw[0] != refreshVersion {
		return nil, false
	}
	ok := macMatches(k.mac, &t)
	for i := range k.accepted {
		// Every accepted key is tried, so the work does not tell which
		// one matched.
		ok = macMatches(k.accepted[i].mac, &t) || ok
	}
	if !ok {
		return nil, false
	}
	// The child of a token issued under an accepted key is derived and
	// sealed under k: the session continues under the current secret.
	t.handle = formatHandle(t.raw[1:17])
	t.generation = int64(binary.BigEndian.Uint64(t.raw[17:25]))
	if t.generation < 0 {
		return nil, false
	}
	return &t, true
}

// macMatches reports whether t carries the MAC of key.
func macMatches(key []byte, t *refreshToken) bool {
	m := hmac.New(sha256.New, key)
	m.Write(t.raw[:refreshMACOffset])
	return subtle.ConstantTimeCompare(m.Sum(nil)[:16], t.raw[refreshMACOffset:]) == 1
}

func (t *refreshToken) String() string { return base64.RawURLEncoding.EncodeToString(t.raw[:]) }

// hash is what the store keeps instead of the token.
func (t *refreshToken) hash() []byte {
	h := sha256.Sum256(t.raw[:])
	return h[:]
}
