package stcore

import (
	"crypto/sha256"
	"encoding/hex"
)

// Hash1 is the core's first hash of a refresh token: lower-case hex of
// SHA-256 over the token's text. Access tokens carry it
// (refreshTokenHash1, parentRefreshTokenHash1).
func Hash1(token string) string { return sha256Hex(token) }

// Hash2 is the core's hash of a refresh token as session_info stores it:
// Hash1 of Hash1 of the token's text.
func Hash2(token string) string { return sha256Hex(sha256Hex(token)) }

// Hash2OfHash1 turns a Hash1 (as a refresh token or an access token
// carries its parent's) into the Hash2 the core compares with the row.
func Hash2OfHash1(hash1 string) string { return sha256Hex(hash1) }

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
