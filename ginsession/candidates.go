package ginsession

import (
	"context"
	"errors"
	"time"

	"github.com/ginsession/ginsession/internal/accesstoken"
)

// A request may carry several cookies of one name: an older cookie domain
// (Config.OlderCookieDomain), a cookie with another Domain or Path, or one a
// page on a sibling subdomain planted ("cookie tossing": a page on
// evil.example.com may set cookies for example.com, and the browser sends
// them to api.example.com beside ours, in an order the server cannot use).
// This file decides what such a request is, by one rule: candidates are
// considered only when they have the structure of our tokens, and they must
// all name the same session, or the request authenticates nobody.

// errAmbiguous: the request's token candidates name different sessions.
var errAmbiguous = errors.New("several session tokens naming different sessions")

// pickAccess chooses among several access-token candidates. Every one that
// names a session (verified or not: a token of A's that has expired, or was
// signed by a retired key, still names A) must name the same one, or the
// answer is errAmbiguous (the caller answers "try refresh token", and the
// refresh route clears the strays). Among those, the first that verifies
// wins. Values naming nobody (junk of a JWT's shape) are ignored.
func (e *Sessions) pickAccess(ctx context.Context, vals []string, now time.Time) (*accesstoken.Claims, error) {
	var handle string
	var chosen *accesstoken.Claims
	var lastErr error = accesstoken.ErrMalformed
	for _, v := range vals {
		ac, err := e.tokens.Verify(ctx, v, now)
		var h string
		if err == nil {
			h = ac.Handle
		} else {
			h, _ = accesstoken.PeekHandle(v)
			if lastErr == accesstoken.ErrMalformed || !errors.Is(err, accesstoken.ErrMalformed) {
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
