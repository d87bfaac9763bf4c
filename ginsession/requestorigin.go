package ginsession

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// resolvedFrontend is the frontend a request is for, worked out once per
// request (cookies are written several to a response).
type resolvedFrontend struct {
	f      *frontend
	origin string
}

// frontendKey keys the resolved frontend in a gin.Context, per engine: two
// engines with different frontends may handle one request, and neither may
// see the other's answer.
type frontendKey struct{ e *Sessions }

// frontendOf returns the frontend c's request is for (the default frontend
// when c is nil), resolving and remembering it on first use.
func (e *Sessions) frontendOf(c *gin.Context) resolvedFrontend {
	if c == nil {
		return resolvedFrontend{e.cfg.defaultFrontend, e.cfg.defaultOrigin}
	}
	key := frontendKey{e}
	if v, ok := c.Get(key); ok {
		if rf, ok := v.(resolvedFrontend); ok {
			return rf
		}
	}
	rf := e.cfg.frontendFor(c.Request)
	c.Set(key, rf)
	return rf
}

// frontendFor is the guard between a request and cookie decisions. Without
// GetOrigin the request's single Origin header selects the configured
// entry it equals or matches, in the canonical form browsers send; with
// GetOrigin, the function's answer does. Either way only a configured entry is ever returned, with the SameSite
// decided for it at construction; anything else (no Origin, two Origin
// headers, an unlisted origin, a function answer outside the set) means
// the default frontend. A function answer outside the set is logged, as it
// shows a mistake in the function or a request that fooled it; "" is the
// function's way of naming no frontend, and is not.
func (s *settings) frontendFor(r *http.Request) resolvedFrontend {
	def := resolvedFrontend{s.defaultFrontend, s.defaultOrigin}
	if r == nil {
		return def // no request (New asks GetOrigin(nil) itself)
	}
	if s.getOrigin == nil {
		vals := r.Header.Values("Origin")
		if len(vals) != 1 {
			return def
		}
		if f, ok := s.frontends.matchExactly(vals[0]); ok {
			return resolvedFrontend{f, vals[0]}
		}
		return def
	}
	got := s.getOrigin(r)
	if f, canon, ok := s.frontends.match(got); ok {
		return resolvedFrontend{f, canon}
	}
	if got != "" {
		s.logger.Warn("ginsession: GetOrigin answered an origin that is not configured; using the default frontend",
			"answer", truncateForLog(got), "default", s.defaultOrigin, "path", truncateForLog(r.URL.Path))
	}
	return def
}

// truncateForLog bounds text a request may have chosen before it is logged.
func truncateForLog(s string) string {
	const limit = 200
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}

// FrontendOrigin returns the origin of the frontend c's request is for, as
// the cookies of its response are decided: the request's Origin when it is
// a configured origin or matches a configured pattern (or, with
// Config.GetOrigin, that function's answer when it is), else the default
// frontend. It is never text the request chose that no configuration
// allows, so handlers may build the answer to this request from it: a
// redirect after sign-in, a URL in the response.
//
// It is still the request's choice among the configured frontends: anyone
// can send any Origin, or any tenant header GetOrigin reads. A link sent to
// a user by another channel (a password reset or e-mail verification link,
// an invitation) must point at that user's own frontend as the application
// stored it (the tenant on the user's record), never at FrontendOrigin of
// the request that asked for it: an attacker asking for a victim's reset
// link from a frontend they control (their own tenant under a pattern)
// would otherwise get the victim's link pointed there.
//
// With a nil c it returns the default frontend.
func (e *Sessions) FrontendOrigin(c *gin.Context) string {
	return e.frontendOf(c).origin
}
