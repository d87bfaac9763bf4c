package ginsession

import (
	"context"
	"errors"
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/accesstoken"
	"github.com/ginsession/ginsession/internal/transport"
	"github.com/ginsession/ginsession/internal/wire"
)

// Session errors. Match them with errors.Is; HandleError maps each to the
// response docs/protocol.md §6 prescribes.
var (
	// ErrUnauthorised: no session (no token, malformed token, revoked or
	// unknown session, invalid refresh token). 401 "unauthorised".
	ErrUnauthorised = errors.New("ginsession: unauthorised")
	// ErrTryRefreshToken: the access token is expired or otherwise not valid
	// now; the frontend should refresh. 401 "try refresh token".
	ErrTryRefreshToken = errors.New("ginsession: try refresh token")
	// ErrTokenTheft: a rotated-out refresh token was presented; the session
	// has been revoked. 401 "token theft detected". See TheftError.
	ErrTokenTheft = errors.New("ginsession: token theft detected")
	// ErrInvalidClaims: claim validation failed. 403 "invalid claim". See
	// ClaimValidationError.
	ErrInvalidClaims = errors.New("ginsession: invalid claim")
	// ErrSessionNotFound is returned by handle-based calls for a session
	// that does not exist or has expired.
	ErrSessionNotFound = errors.New("ginsession: session not found")
	// ErrStorage wraps every failure of the store. It maps to 503 with
	// Retry-After and never clears the frontend's tokens: a server fault must
	// not log anyone out.
	ErrStorage = errors.New("ginsession: session storage failed")
	// ErrInvalidInput reports bad arguments to Create or payload updates
	// (empty user id, protected claim names, unserialisable values).
	ErrInvalidInput = errors.New("ginsession: invalid input")
	// ErrSessionLimit: Create refused a session because the user already
	// has Config.MaxSessionsPerUser of them (SessionLimitRefuseNew). 409
	// "session limit reached"; the user's other sessions are untouched.
	// The error is a *SessionLimitError listing them.
	ErrSessionLimit = errors.New("ginsession: session limit reached")
)

// SessionLimitError is Create's refusal under SessionLimitRefuseNew:
// errors.Is(err, ErrSessionLimit) holds, and errors.As gives the sessions
// that filled the user's places, so that right after the password check
// the app can offer "sign out a device and continue". Revoke the one the
// user picks with RevokeUserSession (after checking their credentials
// again: a handle alone must authorise nothing) and call Create again.
//
// Sessions are the user's live sessions as Sessions.ListSessions gives
// them (oldest first, none marked Current), read just after the refusal:
// one may have ended in between, and when none is left, signing in again
// succeeds. HandleError still answers a bare 409: the list is for the app
// to show, and only to the user who proved who they are.
type SessionLimitError struct {
	UserID   string
	Sessions []SessionInfo
}

func (e *SessionLimitError) Error() string {
	return fmt.Sprintf("ginsession: session limit reached: the user has %d sessions", len(e.Sessions))
}

// Is makes errors.Is(err, ErrSessionLimit) true.
func (e *SessionLimitError) Is(target error) bool { return target == ErrSessionLimit }

// TheftError carries the session a theft was detected on.
type TheftError struct {
	Handle string
	UserID string
}

func (e *TheftError) Error() string {
	return fmt.Sprintf("ginsession: token theft detected on session %s", e.Handle)
}

// Is makes errors.Is(err, ErrTokenTheft) true.
func (e *TheftError) Is(target error) bool { return target == ErrTokenTheft }

// ClaimFailure is one failed claim check, serialised as docs/protocol.md §6 wants.
type ClaimFailure struct {
	ID     string `json:"id"`
	Reason any    `json:"reason"`
}

// ClaimValidationError lists the claims that failed.
type ClaimValidationError struct {
	Failures []ClaimFailure
}

func (e *ClaimValidationError) Error() string {
	return fmt.Sprintf("ginsession: invalid claim (%d failed)", len(e.Failures))
}

// Is makes errors.Is(err, ErrInvalidClaims) true.
func (e *ClaimValidationError) Is(target error) bool { return target == ErrInvalidClaims }

// respErr attaches response details to a session error: whether the
// frontend's tokens are to be cleared, and in which method.
type respErr struct {
	kind   error
	clear  bool
	method TransferMethod
	cause  error
}

func (e *respErr) Error() string {
	if e.cause != nil {
		return e.kind.Error() + ": " + e.cause.Error()
	}
	return e.kind.Error()
}

func (e *respErr) Unwrap() []error {
	if e.cause != nil {
		return []error{e.kind, e.cause}
	}
	return []error{e.kind}
}

// clearMethod is the transfer method whose tokens an answer clears: the one
// the request used, or both when that is not known. re may be nil.
func (re *respErr) clearMethod() TransferMethod {
	if re == nil || re.method == "" {
		return TransferAny
	}
	return re.method
}

func unauthorised(clear bool, method TransferMethod, cause error) error {
	return &respErr{kind: ErrUnauthorised, clear: clear, method: method, cause: cause}
}

func tryRefresh(cause error) error {
	return &respErr{kind: ErrTryRefreshToken, cause: cause}
}

func storageErr(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrStorage, op, err)
}

// HandleError writes the response for err and aborts the request. It is what
// Verify and the session routes use, and what a handler should call with an
// error returned by a Session method:
//
//	if err := s.MergePayload(c, update); err != nil {
//		sessions.HandleError(c, err)
//		return
//	}
//
// Session errors get the responses of docs/protocol.md §6; storage failures get
// 503 with Retry-After; ErrSessionNotFound from a handle-based call 404;
// ErrInvalidInput 400; ErrSessionLimit 409; anything else 500. Only "unauthorised" for a gone
// session and theft clear the frontend's tokens.
func (e *Sessions) HandleError(c *gin.Context, err error) {
	e.handleError(c, err, true)
}

// WriteDefaultError writes the default response for err (docs/protocol.md §6),
// ignoring Config.ErrorHandlers, and aborts. Custom error handlers use it
// to fall back to the protocol's answer.
func (e *Sessions) WriteDefaultError(c *gin.Context, err error) {
	e.handleError(c, err, false)
}

func (e *Sessions) handleError(c *gin.Context, err error, custom bool) {
	h := e.cfg.errorHandlers
	if !custom {
		h = ErrorHandlers{}
	}
	var re *respErr
	errors.As(err, &re)
	var claimErr *ClaimValidationError
	var theft *TheftError
	switch {
	case errors.As(err, &claimErr):
		if h.InvalidClaim != nil {
			h.InvalidClaim(c, claimErr)
			c.Abort()
			return
		}
		wire.InvalidClaim(c, e.cfg.claimStatus, claimErr.Failures)
	case errors.As(err, &theft):
		if custom { // the clearing happens once, on the first pass
			e.out(c).ClearTokens(transport.Method(re.clearMethod()))
		}
		if h.TokenTheft != nil {
			h.TokenTheft(c, theft)
			c.Abort()
			return
		}
		wire.TokenTheft(c, e.cfg.expiredStatus)
	case errors.Is(err, ErrUnauthorised):
		if custom && re != nil && re.clear {
			e.out(c).ClearTokens(transport.Method(re.clearMethod()))
		}
		if h.Unauthorised != nil {
			h.Unauthorised(c, err)
			c.Abort()
			return
		}
		wire.Unauthorised(c, e.cfg.expiredStatus)
	case errors.Is(err, ErrSessionNotFound):
		// A handle-based call on another session (revoke a device, update
		// by handle): the caller's own session is fine, so no 401.
		wire.SessionNotFound(c)
	case errors.Is(err, ErrTryRefreshToken):
		if h.TryRefreshToken != nil {
			h.TryRefreshToken(c, err)
			c.Abort()
			return
		}
		wire.TryRefreshToken(c, e.cfg.expiredStatus)
	case errors.Is(err, ErrStorage):
		e.cfg.logger.Error("ginsession: storage failure", "err", err, "path", c.Request.URL.Path)
		wire.StorageUnavailable(c)
	case errors.Is(err, ErrInvalidInput):
		wire.InvalidInput(c, err.Error())
	case errors.Is(err, ErrSessionLimit):
		wire.SessionLimit(c)
	default:
		e.cfg.logger.Error("ginsession: internal error", "err", err, "path", c.Request.URL.Path)
		wire.InternalError(c)
	}
}

// isSessionError reports errors HandleError has a specific answer for.
func isSessionError(err error) bool {
	for _, target := range []error{ErrUnauthorised, ErrTryRefreshToken, ErrTokenTheft, ErrInvalidClaims, ErrSessionNotFound, ErrStorage, ErrInvalidInput, ErrSessionLimit} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// Errors returns middleware for the c.Error pattern: a handler that records
// a ginsession error with c.Error(err) and returns without writing gets the
// same response HandleError would give. Install it before the routes
// (router.Use(sessions.Errors())).
func (e *Sessions) Errors() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if c.Writer.Written() {
			return
		}
		for _, ge := range c.Errors {
			if isSessionError(ge.Err) {
				e.HandleError(c, ge.Err)
				return
			}
		}
	}
}

// stdCtx unwraps a *gin.Context passed as a context.Context: its methods
// read request state that gin reuses for the next request, so a database
// driver watching it from another goroutine would race. The request's own
// context has the same cancellation without that hazard.
func stdCtx(ctx context.Context) context.Context {
	if gc, ok := ctx.(*gin.Context); ok && gc.Request != nil {
		return gc.Request.Context()
	}
	return ctx
}

// mintError is the caller's error for a failed access-token mint: a payload
// too large for the frontend to carry is the caller's ErrInvalidInput.
func mintError(err error) error {
	if tooLong := (*accesstoken.TooLongError)(nil); errors.As(err, &tooLong) {
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return err
}
