package ginsession

import (
	"time"

	"github.com/gin-gonic/gin"
)

// Hooks are called after session events. Each is optional, runs
// synchronously on the request goroutine, and must not block for long.
type Hooks struct {
	// Created runs after a session is created.
	Created func(SessionEvent)
	// Refreshed runs after a successful refresh (including a retry inside
	// the grace window).
	Refreshed func(SessionEvent)
	// Revoked runs after a session is revoked (sign-out, revoke calls, theft).
	Revoked func(SessionEvent)
	// ClaimFailed runs when claim validation refuses a request.
	ClaimFailed func(ClaimEvent)
	// TheftDetected runs when a rotated-out refresh token is presented; the
	// session has already been revoked.
	TheftDetected func(TheftEvent)
	// DeviceBound runs after a browser registered a key for its session
	// (Config.DeviceBoundSessions).
	DeviceBound func(SessionEvent)
	// DeviceBindingFailed runs when a DBSC registration or proof is
	// refused, and when a bound session's refresh comes without its bound
	// cookie: a copy of the cookies used elsewhere, or a browser that lost
	// its key.
	DeviceBindingFailed func(DeviceBindingEvent)
}

// ErrorHandlers replace the responses HandleError writes. Each is optional.
// Before a handler runs, ginsession has already cleared the frontend's
// tokens where the protocol requires it (unauthorised for a gone session,
// theft), so a custom response never leaves a dead session in the browser.
// The handler writes the response and should abort (c.AbortWithStatusJSON
// and friends); it may call Sessions.WriteDefaultError for the default
// body, e.g. on API routes while redirecting browser pages. Keep the status
// codes: the frontend SDK refreshes on 401 and reads 403 bodies.
type ErrorHandlers struct {
	Unauthorised    func(c *gin.Context, err error)
	TryRefreshToken func(c *gin.Context, err error)
	TokenTheft      func(c *gin.Context, err *TheftError)
	InvalidClaim    func(c *gin.Context, err *ClaimValidationError)
}

// SessionEvent describes a session event. It never contains tokens.
type SessionEvent struct {
	Handle string
	UserID string
	Time   time.Time
}

// ClaimEvent describes a claim-validation failure.
type ClaimEvent struct {
	SessionEvent
	Failures []ClaimFailure
}

// TheftEvent describes a detected refresh-token theft.
type TheftEvent struct {
	SessionEvent
	// ClientIP is Gin's c.ClientIP() for the request that presented the
	// stale token. Gin believes X-Forwarded-For and X-Real-IP from the
	// proxies the engine trusts, and by default trusts every peer: call
	// router.SetTrustedProxies(nil), or name your proxies, or any client
	// can write this value.
	ClientIP string
}

// DeviceBindingEvent describes a refused DBSC registration, proof or
// bound-session refresh.
type DeviceBindingEvent struct {
	// SessionEvent names the session when it is known (UserID is empty:
	// these paths do not read the session row).
	SessionEvent
	// Stage is "register" (the registration route), "proof" (the DBSC
	// refresh route) or "refresh" (the session refresh route, for a bound
	// session whose bound cookie is missing or invalid).
	Stage string
	// Reason says why, e.g. "proof signature does not verify"; never a
	// token or proof.
	Reason string
	// ClientIP is Gin's c.ClientIP() (see TheftEvent.ClientIP).
	ClientIP string
}
