// Package stcoretest makes what a SuperTokens core would have left behind,
// for tests: key strings, session rows, refresh tokens (some already
// rotated away) and access tokens of every version, and the core's tables
// on Postgres or MariaDB to put them in. It builds them from the formats in
// docs/supertokens-core-formats.md with code of its own, not with
// internal/stcore, so that a mistake in one is not mirrored by the other;
// fixed vectors made outside Go (internal/stcore/testdata) check both.
//
// Everything but the RSA keys follows from the seed (Go's RSA key
// generation is not reproducible from a reader); keys are made once per
// process and shared, because they are slow to make.
package stcoretest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"
)

// Gen makes fixtures from a seed. It is not safe for concurrent use.
type Gen struct {
	r     *mrand.Rand
	Now   time.Time // the time the fixtures are made at
	AppID string    // "public" unless set
}

// New returns a generator whose fixtures follow from seed, made at now.
func New(seed uint64, now time.Time) *Gen {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return &Gen{r: mrand.New(mrand.NewChaCha8(s)), Now: now, AppID: "public"}
}

// Bytes returns n bytes from the seed.
func (g *Gen) Bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return b
}

// UUID returns a version-4 UUID text from the seed.
func (g *Gen) UUID() string {
	b := g.Bytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// RefreshKey returns a refresh-token key text as the core makes one:
// "1000:<hex salt>:<hex PBKDF2 output>".
func (g *Gen) RefreshKey() string {
	random, salt := g.Bytes(64), g.Bytes(64)
	out, err := pbkdf2.Key(sha512.New, hex.EncodeToString(random), salt, 1000, 64)
	if err != nil {
		panic(err)
	}
	return "1000:" + hex.EncodeToString(salt) + ":" + hex.EncodeToString(out)
}

// Key is one of the core's RSA signing keys.
type Key struct {
	ID        string // the kid: "d-<CreatedAt ms>" or "s-<uuid>"
	Static    bool
	CreatedAt time.Time
	Private   *rsa.PrivateKey
	KeyString string // "<public>|<private>" as the core stores it
}

var (
	rsaMu   sync.Mutex
	rsaKeys []*rsa.PrivateKey
)

// rsaKey returns the process's i-th 2048-bit RSA key, made on first use.
func rsaKey(i int) *rsa.PrivateKey {
	rsaMu.Lock()
	defer rsaMu.Unlock()
	for len(rsaKeys) <= i {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKeys = append(rsaKeys, k)
	}
	return rsaKeys[i]
}

// KeyString writes k as the core stores a key pair.
func KeyString(k *rsa.PrivateKey) string {
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		panic(err)
	}
	priv, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(pub) + "|" + base64.StdEncoding.EncodeToString(priv)
}

// DynamicKey returns a dynamic key created at createdAt; slot picks which
// of the process's RSA keys it uses (distinct slots, distinct keys).
func (g *Gen) DynamicKey(slot int, createdAt time.Time) *Key {
	k := rsaKey(slot)
	ms := createdAt.UnixMilli()
	return &Key{ID: fmt.Sprintf("d-%d", ms), CreatedAt: time.UnixMilli(ms), Private: k, KeyString: KeyString(k)}
}

// StaticKey returns a static key ("s-<uuid>") created at createdAt.
func (g *Gen) StaticKey(slot int, createdAt time.Time) *Key {
	k := rsaKey(slot)
	return &Key{ID: "s-" + g.UUID(), Static: true, CreatedAt: time.UnixMilli(createdAt.UnixMilli()), Private: k, KeyString: KeyString(k)}
}

func hexSHA256(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// RefreshPayload is the JSON a core refresh token encrypts. Empty fields
// are left out, as Gson leaves out nulls.
type RefreshPayload struct {
	SessionHandle string `json:"sessionHandle,omitempty"`
	UserID        string `json:"userId,omitempty"`
	ParentHash1   string `json:"parentRefreshTokenHash1,omitempty"`
	Nonce         string `json:"nonce"`
	AntiCSRFToken string `json:"antiCsrfToken,omitempty"`
	TenantID      string `json:"tenantId,omitempty"`
}

// SealRefreshToken writes a V2 refresh token under the key text, with the
// given 12-byte IV: "<Base64(iv|ciphertext|tag)>.<nonce>.V2".
func SealRefreshToken(key string, p RefreshPayload, iv []byte) string {
	plain, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	aesKey, err := pbkdf2.Key(sha512.New, key, iv, 100, 32)
	if err != nil {
		panic(err)
	}
	block, err := aes.NewCipher(aesKey)
	if err != nil {
		panic(err)
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(iv))
	if err != nil {
		panic(err)
	}
	sealed := gcm.Seal(append([]byte(nil), iv...), iv, plain, nil)
	return base64.StdEncoding.EncodeToString(sealed) + "." + p.Nonce + ".V2"
}

// refreshToken makes a token of the session from the seed.
func (g *Gen) refreshToken(key string, s *Session, parent string, antiCSRF string) string {
	p := RefreshPayload{
		SessionHandle: s.Handle, UserID: s.UserID,
		Nonce: hexSHA256(g.UUID()), AntiCSRFToken: antiCSRF,
	}
	if parent != "" {
		p.ParentHash1 = hexSHA256(parent)
	}
	if s.TenantID != "public" {
		p.TenantID = s.TenantID
	}
	return SealRefreshToken(key, p, g.Bytes(12))
}
