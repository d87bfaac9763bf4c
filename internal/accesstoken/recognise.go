package accesstoken

import (
	"encoding/json"
	"time"

	"github.com/ginsession/ginsession/internal/jose"
)

// Recognises reports whether a value offered as an access token (an
// Authorization bearer value) is to be taken as ours: it verified before
// (the cache), or it is a JWS whose header names one of our keys or whose
// payload names a session. An app's own bearer value (an API key, another
// system's JWT) is none of these. Nothing here reloads keys or reads the
// database.
func (t *Tokens) Recognises(tok string, now time.Time) bool {
	if t.Seen(tok, now) {
		return true
	}
	if !jose.Shaped(tok) {
		return false
	}
	if kid := jose.HeaderKid(tok); kid != "" && t.opts.Keys.Knows(kid) {
		return true
	}
	_, named := PeekHandle(tok)
	return named
}

// Cached returns the claims of tok when it verified before and has not
// expired at now (a hit of the verify cache), else nil: what Verify would
// answer for it, without the checks a cache hit skips anyway.
func (t *Tokens) Cached(tok string, now time.Time) *Claims {
	return t.cache.get(tok, now)
}

// Seen reports whether tok verified before and has not expired at now (a
// hit of the verify cache): such a value has a token's shape by
// construction, which costs a map lookup to know instead of a byte scan.
func (t *Tokens) Seen(tok string, now time.Time) bool {
	return t.cache.get(tok, now) != nil
}

// PeekHandle reads, without verifying anything, the session handle an
// access token's payload names. named reports whether the payload has a
// sessionHandle member at all (of any type); handle is its value when it is
// a string. The handle is only a name: nothing is granted on it.
func PeekHandle(tok string) (handle string, named bool) {
	if !jose.Shaped(tok) {
		return "", false
	}
	raw, ok := jose.Payload(tok)
	if !ok {
		return "", false
	}
	var p struct {
		SessionHandle json.RawMessage `json:"sessionHandle"`
	}
	if json.Unmarshal(raw, &p) != nil || p.SessionHandle == nil {
		return "", false
	}
	_ = json.Unmarshal(p.SessionHandle, &handle)
	return handle, true
}
