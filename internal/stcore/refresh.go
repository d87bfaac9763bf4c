package stcore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// The core's refresh-token encryption (docs/supertokens-core-formats.md):
// AES-256-GCM under PBKDF2-HMAC-SHA-512(key text, salt = IV, 100
// iterations), the IV first and the tag last, in standard Base64.
const (
	ivSize     = 12
	tagSize    = 16
	iterations = 100
	aesKeySize = 32
	// maxRefreshTokenLen bounds the work one presented text can cause. The
	// core's tokens are a few hundred bytes; user ids are at most 128
	// characters and handles 255.
	maxRefreshTokenLen = 4096
)

// RefreshToken is what a core refresh token carries, and its own hash.
type RefreshToken struct {
	SessionHandle string
	UserID        string // the recipe user id the core put in the token
	Nonce         string
	ParentHash1   string // Hash1 of the token this one replaced; "" for a session's first token
	AntiCSRFToken string // "" when the core issued none
	TenantID      string // "public" when the token names none
	Hash2         string // Hash2 of this token's text: what the row holds while it is current
}

// Standing is where a refresh token stands against a session row, by the
// core's rule.
type Standing int

const (
	// Stale: neither the current token nor its child. The core reads this
	// as token theft and revokes the session.
	Stale Standing = iota
	// Current: the row holds this token's Hash2.
	Current
	// UnpromotedChild: the row holds the Hash2 of this token's parent;
	// the core promotes the child when it is used.
	UnpromotedChild
)

// String names the standing.
func (s Standing) String() string {
	switch s {
	case Current:
		return "current"
	case UnpromotedChild:
		return "unpromoted child"
	default:
		return "stale"
	}
}

// ParentHash2 is the Hash2 of the token this one replaced, "" when it has
// no parent.
func (t *RefreshToken) ParentHash2() string {
	if t.ParentHash1 == "" {
		return ""
	}
	return Hash2OfHash1(t.ParentHash1)
}

// Against tells where t stands against a session row whose
// refresh_token_hash_2 is rowHash2: the core lets Current and
// UnpromotedChild refresh (once), and revokes the session on Stale.
func (t *RefreshToken) Against(rowHash2 string) Standing {
	switch {
	case rowHash2 == "":
		return Stale
	case t.Hash2 == rowHash2:
		return Current
	case t.ParentHash1 != "" && t.ParentHash2() == rowHash2:
		return UnpromotedChild
	default:
		return Stale
	}
}

// RowHash2s are the row values under which t may refresh: its own Hash2,
// then its parent's when it has one. A store's guarded write from either
// of them to a new value accepts the token exactly once.
func (t *RefreshToken) RowHash2s() []string {
	if t.ParentHash1 == "" {
		return []string{t.Hash2}
	}
	return []string{t.Hash2, t.ParentHash2()}
}

// LooksLikeRefreshToken reports whether s has the core refresh token's
// outer form ("<sealed>.<nonce>.V2"), without decrypting anything: a cheap
// test for telling a core token from one of ours.
func LooksLikeRefreshToken(s string) bool {
	parts := strings.Split(s, ".")
	return len(parts) == 3 && knownType(parts[2]) && len(s) <= maxRefreshTokenLen
}

// knownType: the core compares the type without case and knows V0, V1
// and V2; only V2 has been issued for years, V1 had the same layout.
func knownType(t string) bool {
	return strings.EqualFold(t, "V2") || strings.EqualFold(t, "V1")
}

// tokenPayload is the decrypted JSON. Pointers tell an absent or null
// field from an empty one.
type tokenPayload struct {
	SessionHandle *string `json:"sessionHandle"`
	UserID        *string `json:"userId"`
	ParentHash1   *string `json:"parentRefreshTokenHash1"`
	Nonce         *string `json:"nonce"`
	AntiCSRFToken *string `json:"antiCsrfToken"`
	TenantID      *string `json:"tenantId"`
}

// OpenRefreshToken decrypts and reads a core refresh token with the app's
// refresh-token key (the text of key_value "refresh_token_key", used
// whole). ErrMalformed when the text is not a core refresh token,
// ErrUnauthentic when it does not decrypt under key (tampered, truncated
// or another app's) or its content is not what the core would accept.
func OpenRefreshToken(token, key string) (*RefreshToken, error) {
	if len(token) > maxRefreshTokenLen {
		return nil, fmt.Errorf("%w: refresh token longer than %d bytes", ErrMalformed, maxRefreshTokenLen)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: refresh token has %d parts, want 3", ErrMalformed, len(parts))
	}
	if !knownType(parts[2]) {
		return nil, fmt.Errorf("%w: refresh token type %.8q", ErrMalformed, parts[2])
	}
	sealed, err := base64.StdEncoding.Strict().DecodeString(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: refresh token is not Base64: %v", ErrMalformed, err)
	}
	if len(sealed) < ivSize+tagSize {
		return nil, fmt.Errorf("%w: refresh token too short (%d bytes)", ErrMalformed, len(sealed))
	}
	plain, err := openSealed(sealed, key)
	if err != nil {
		return nil, err
	}
	var p tokenPayload
	if err := json.Unmarshal(plain, &p); err != nil {
		return nil, fmt.Errorf("%w: decrypted refresh token is not a JSON object: %v", ErrUnauthentic, err)
	}
	if p.SessionHandle == nil || p.UserID == nil || p.Nonce == nil {
		return nil, fmt.Errorf("%w: refresh token lacks sessionHandle, userId or nonce", ErrUnauthentic)
	}
	if *p.Nonce != parts[1] {
		return nil, fmt.Errorf("%w: refresh token's nonce differs from the one outside", ErrUnauthentic)
	}
	t := &RefreshToken{
		SessionHandle: *p.SessionHandle,
		UserID:        *p.UserID,
		Nonce:         *p.Nonce,
		TenantID:      "public",
		Hash2:         Hash2(token),
	}
	if p.ParentHash1 != nil {
		t.ParentHash1 = *p.ParentHash1
	}
	if p.AntiCSRFToken != nil {
		t.AntiCSRFToken = *p.AntiCSRFToken
	}
	if p.TenantID != nil && *p.TenantID != "" {
		t.TenantID = *p.TenantID
	}
	return t, nil
}

// openSealed decrypts iv || ciphertext || tag under the key derived from
// the key text and the IV.
func openSealed(sealed []byte, key string) ([]byte, error) {
	iv := sealed[:ivSize]
	aead, err := refreshAEAD(key, iv)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, iv, sealed[ivSize:], nil)
	if err != nil {
		return nil, fmt.Errorf("%w: refresh token does not decrypt under this key", ErrUnauthentic)
	}
	return plain, nil
}

func refreshAEAD(key string, iv []byte) (cipher.AEAD, error) {
	if key == "" {
		return nil, fmt.Errorf("stcore: empty refresh-token key")
	}
	k, err := pbkdf2.Key(sha512.New, key, iv, iterations, aesKeySize)
	if err != nil {
		return nil, fmt.Errorf("stcore: derive refresh-token key: %w", err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("stcore: %w", err)
	}
	return cipher.NewGCM(block)
}
