package accesstoken

import (
	"context"
	"errors"
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

// ErrAmbiguous: the request's token candidates name different sessions.
var ErrAmbiguous = errors.New("several session tokens naming different sessions")

// Pick chooses among several access-token candidates. Every one that
// names a session (verified or not: a token of A's that has expired, or was
// signed by a retired key, still names A) must name the same one, or the
// answer is ErrAmbiguous (the caller answers "try refresh token", and the
// refresh route clears the strays). Among those, the first that verifies
// wins. Values naming nobody (junk of a JWT's shape) are ignored.
func (t *Tokens) Pick(ctx context.Context, vals []string, now time.Time) (*Claims, error) {
	var handle string
	var chosen *Claims
	var lastErr error = ErrMalformed
	for _, v := range vals {
		ac, err := t.Verify(ctx, v, now)
		var h string
		if err == nil {
			h = ac.Handle
		} else {
			h, _ = PeekHandle(v)
			if lastErr == ErrMalformed || !errors.Is(err, ErrMalformed) {
				lastErr = err
			}
		}
		if h != "" {
			if handle != "" && h != handle {
				return nil, ErrAmbiguous
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
