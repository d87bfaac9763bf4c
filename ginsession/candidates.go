package ginsession

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// A request may carry several cookies of one name: an older cookie domain
// (Config.OlderCookieDomain), a cookie with another Domain or Path, or one a
// page on a sibling subdomain planted ("cookie tossing": a page on
// evil.example.com may set cookies for example.com, and the browser sends
// them to api.example.com beside ours, in an order the server cannot use).
// This file decides what such a request is, by one rule: candidates are
// considered only when they have the structure of our tokens, and they must
// all name the same session, or the request authenticates nobody.

// jwtShaped accepts a compact JWS, or one with an empty signature (which
// verification refuses as unsigned, "try refresh").
func jwtShaped(v string) bool {
	if wellFormed(v) {
		return true
	}
	return len(v) > 1 && len(v) < maxTokenLen && v[len(v)-1] == '.' && wellFormed(v+"A")
}

// peekAccess reads, without verifying anything, the session handle an
// access token's payload names. named reports whether the payload has a
// sessionHandle member at all (of any type); handle is its value when it is
// a string. The handle is only a name: nothing is granted on it.
func peekAccess(tok string) (handle string, named bool) {
	if !jwtShaped(tok) {
		return "", false
	}
	_, rest, _ := strings.Cut(tok, ".")
	payload, _, _ := strings.Cut(rest, ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
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

// headerKid reads the kid of a JWS header without verifying anything.
func headerKid(tok string) string {
	head, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct {
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(raw, &h)
	return h.Kid
}

// bearerIsOurs reports whether an Authorization bearer value is to be
// taken as our access token: it verified before (the cache), or it is a JWS
// whose header names one of our keys or whose payload names a session. An
// app's own bearer value (an API key, another system's JWT) is none of
// these; the cookie is used instead. Nothing here reloads keys or reads
// the database.
func (e *Sessions) bearerIsOurs(tok string, now time.Time) bool {
	if e.cache.get(tok, now) != nil {
		return true
	}
	if !jwtShaped(tok) {
		return false
	}
	if kid := headerKid(tok); kid != "" && e.keys.current.Load().byID[kid] != nil {
		return true
	}
	_, named := peekAccess(tok)
	return named
}

// errAmbiguous: the request's token candidates name different sessions.
var errAmbiguous = errors.New("several session tokens naming different sessions")

// pickAccess chooses among several access-token candidates. Every one that
// names a session (verified or not: a token of A's that has expired, or was
// signed by a retired key, still names A) must name the same one, or the
// answer is errAmbiguous (the caller answers "try refresh token", and the
// refresh route clears the strays). Among those, the first that verifies
// wins. Values naming nobody (junk of a JWT's shape) are ignored.
func (e *Sessions) pickAccess(ctx context.Context, vals []string, now time.Time) (*accessClaims, error) {
	var handle string
	var chosen *accessClaims
	var lastErr error = errMalformed
	for _, v := range vals {
		ac, err := e.verifyAccessAt(ctx, v, now)
		var h string
		if err == nil {
			h = ac.handle
		} else {
			h, _ = peekAccess(v)
			if lastErr == errMalformed || !errors.Is(err, errMalformed) {
				lastErr = err
			}
		}
		if h != "" {
			if handle != "" && h != handle {
				return nil, errAmbiguous
			}
			handle = h
		}
		if err == nil && chosen == nil {
			chosen = ac
		}
	}
	if chosen == nil {
		return nil, lastErr
	}
	return chosen, nil
}
