package ginsession

import (
	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/origin"
)

// frontendKey keys the resolved frontend in a gin.Context, per engine: two
// engines with different frontends may handle one request, and neither may
// see the other's answer.
type frontendKey struct{ e *Sessions }

// frontendOf returns the frontend c's request is for (the default frontend
// when c is nil), resolving it once per request (cookies are written several
// to a response) and remembering it on c; origin.Frontends.For is the guard
// that decides.
func (e *Sessions) frontendOf(c *gin.Context) origin.Resolved {
	if c == nil {
		return e.cfg.frontends.Default()
	}
	key := frontendKey{e}
	if v, ok := c.Get(key); ok {
		if rf, ok := v.(origin.Resolved); ok {
			return rf
		}
	}
	rf := e.cfg.frontends.For(c.Request)
	c.Set(key, rf)
	return rf
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
	return e.frontendOf(c).Origin
}
