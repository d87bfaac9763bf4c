package ginsession

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// antiCSRFKeys make and check the VIA_TOKEN anti-csrf tokens
// (docs/protocol.md §4). A token is an HMAC of the session handle, so it
// needs no storage and a token of another session never matches. Its key is
// derived from the same secret as the refresh-token keys, under its own
// label: the two never share key material.
type antiCSRFKeys struct {
	current  []byte   // issues tokens
	accepted [][]byte // keys of the other accepted secrets (Config.AcceptMasterKeys, AcceptStoredSecret)
}

func newAntiCSRFKeys(current []byte, accepted [][]byte) antiCSRFKeys {
	k := antiCSRFKeys{current: deriveKey(current, "ginsession anti-csrf")}
	for _, s := range accepted {
		k.accepted = append(k.accepted, deriveKey(s, "ginsession anti-csrf"))
	}
	return k
}

func antiCSRFTokenUnder(key []byte, handle string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(handle))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

// token is the session's anti-csrf token under the current secret.
func (k antiCSRFKeys) token(handle string) string { return antiCSRFTokenUnder(k.current, handle) }

// matches reports whether got is the session's anti-csrf token under the
// current secret or an accepted one. Every key is tried, so the work does
// not tell which one matched.
func (k antiCSRFKeys) matches(handle, got string) bool {
	ok := subtle.ConstantTimeCompare([]byte(got), []byte(k.token(handle))) == 1
	for _, key := range k.accepted {
		ok = subtle.ConstantTimeCompare([]byte(got), []byte(antiCSRFTokenUnder(key, handle))) == 1 || ok
	}
	return ok
}
