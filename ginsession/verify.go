package ginsession

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/accesstoken"
	"github.com/ginsession/ginsession/internal/jose"
	"github.com/ginsession/ginsession/internal/transport"
	"github.com/ginsession/ginsession/internal/wire"
	"github.com/ginsession/ginsession/store"
)

// VerifyOption changes what one Verify middleware requires.
type VerifyOption func(*verifyOptions)

type verifyOptions struct {
	optional       bool
	checkDatabase  bool
	antiCSRF       AntiCSRFMode
	skipClaims     bool
	overrideClaims func(global []ClaimValidator) []ClaimValidator
	validators     []ClaimValidator // resolved once per Verify
}

// Optional lets requests without any session token through; the handler
// then gets a nil Session from FromContext. A token that is present but not
// valid is still refused (so the frontend refreshes), and so is any token
// beside an older SDK's sIdRefreshToken cookie (docs/protocol.md §3).
func Optional() VerifyOption { return func(o *verifyOptions) { o.optional = true } }

// CheckDatabase makes the route confirm the session still exists: revoked
// sessions are refused at once (401 unauthorised, tokens cleared) at the
// cost of one database read per request.
func CheckDatabase() VerifyOption { return func(o *verifyOptions) { o.checkDatabase = true } }

// WithAntiCSRF overrides the configured anti-CSRF mode on this route.
func WithAntiCSRF(mode AntiCSRFMode) VerifyOption {
	return func(o *verifyOptions) { o.antiCSRF = mode }
}

// OverrideClaimValidators replaces the global claim validators on this route
// with what fn returns (fn gets the global ones: append, filter or ignore).
func OverrideClaimValidators(fn func(global []ClaimValidator) []ClaimValidator) VerifyOption {
	return func(o *verifyOptions) { o.overrideClaims = fn }
}

// WithClaimValidators adds validators to the global ones on this route.
func WithClaimValidators(v ...ClaimValidator) VerifyOption {
	return OverrideClaimValidators(func(global []ClaimValidator) []ClaimValidator {
		return append(append([]ClaimValidator{}, global...), v...)
	})
}

type sessionKey struct{}

// FromContext returns the request's session, or nil when the route's Verify
// was Optional and the request had none.
func FromContext(c *gin.Context) *Session {
	v, ok := c.Get(sessionKey{})
	if !ok {
		return nil
	}
	s, _ := v.(*Session)
	return s
}

// Verify returns middleware that requires (or, with Optional, allows) a
// session. On failure it answers as docs/protocol.md §6 says and aborts; on
// success the handler reads the session with FromContext. It is GetSession
// with the options resolved once and HandleError on failure.
//
// Verification writes to the response only where the protocol requires
// it: a claim check that refetches its claim (missing, or older than its
// MaxAge) re-issues the access token on this response, and duplicates of
// the cookies on Config.OlderCookieDomain are expired.
//
// Building a Verify with WithAntiCSRF(AntiCSRFViaToken) makes the engine
// issue the anti-csrf token with every session from then on (the route
// will ask for it): build such routes before serving, or set
// Config.AntiCSRF.
func (e *Sessions) Verify(opts ...VerifyOption) gin.HandlerFunc {
	o := resolveVerifyOptions(opts, e.cfg.validators)
	if o.antiCSRF == AntiCSRFViaToken {
		e.csrf.viaTokenRoute.Store(true)
	}
	return func(c *gin.Context) {
		s, err := e.getSession(c, o)
		if err != nil {
			e.HandleError(c, err)
			return
		}
		if s != nil {
			c.Set(sessionKey{}, s)
		}
		c.Next()
	}
}

// GetSession verifies the request's session exactly as Verify(opts...)
// would, without answering: it returns the session, or the error for the
// handler to act on. Use it where a middleware does not fit: a websocket
// upgrade, a route that serves guests and members differently, a handler
// that chooses its own response. Pass a session error to HandleError for
// the protocol's answer (it also clears the frontend's tokens when the
// session is gone). With Optional, a request without any session token
// gets (nil, nil). GetSession does not store the session for FromContext.
//
// A request never changes the engine: GetSession with
// WithAntiCSRF(AntiCSRFViaToken) needs sessions that carry the anti-csrf
// token, so it returns an error (a programming error, answered 500 by
// HandleError) unless Config.AntiCSRF is AntiCSRFViaToken or some route
// was built with Verify(WithAntiCSRF(AntiCSRFViaToken)).
func (e *Sessions) GetSession(c *gin.Context, opts ...VerifyOption) (*Session, error) {
	o := resolveVerifyOptions(opts, e.cfg.validators)
	if o.antiCSRF == AntiCSRFViaToken && !e.csrf.issues() {
		return nil, errAntiCSRFNotIssued
	}
	return e.getSession(c, o)
}

// errAntiCSRFNotIssued: a GetSession demands the anti-csrf token of an
// engine that issues none.
var errAntiCSRFNotIssued = errors.New("ginsession: GetSession(WithAntiCSRF(AntiCSRFViaToken)): sessions carry no anti-csrf token; set Config.AntiCSRF to AntiCSRFViaToken, or build a route with Verify(WithAntiCSRF(AntiCSRFViaToken)) before serving")

// resolveVerifyOptions applies opts over the configured claim validators.
// It changes nothing in the engine.
func resolveVerifyOptions(opts []VerifyOption, validators []ClaimValidator) *verifyOptions {
	o := &verifyOptions{}
	for _, opt := range opts {
		opt(o)
	}
	o.validators = validators
	if o.overrideClaims != nil {
		o.validators = o.overrideClaims(append([]ClaimValidator{}, validators...))
	}
	return o
}

// getSession is the verification path shared by Verify, GetSession and
// sign-out. Every outcome is counted in the metrics.
func (e *Sessions) getSession(c *gin.Context, o *verifyOptions) (verified *Session, failed error) {
	defer func() { e.metrics.verified(verified, failed) }()
	r := c.Request
	// One reading for the whole verification, about a tick (10 ms) behind
	// the clock with the default Config.Now (clock.Coarse): expiries are
	// whole seconds.
	now := e.cfg.verifyNow()
	var found transport.Found
	// A token that verified before (the cache) is ours and has a token's
	// shape by construction: one map lookup instead of the byte-by-byte
	// shape check, and the first hit is kept, so that a seen token (the
	// common case) costs one lookup in all, not one here and one in Verify.
	var hit *accesstoken.Claims
	var hitTok string
	cached := func(tok string) bool {
		ac := e.tokens.Cached(tok, now)
		if ac != nil && hit == nil {
			hit, hitTok = ac, tok
		}
		return ac != nil
	}
	ours := func(tok string) bool { return cached(tok) || e.tokens.Recognises(tok, now) }
	shaped := func(tok string) bool { return cached(tok) || jose.Shaped(tok) }
	transport.Find(r, wire.AccessCookie, transport.Method(e.cfg.transferMethod(c, false)), ours, shaped, &found)
	if found.N == 0 && !found.Overflow {
		if o.optional {
			return nil, nil
		}
		return nil, unauthorised(false, "", errors.New("no access token"))
	}
	if found.Legacy {
		// An older SDK's sIdRefreshToken beside a session token: the
		// SuperTokens backends send such a request to the refresh route
		// whatever its token, and the refresh expires the cookie
		// (docs/protocol.md §3). Only when a session token came: a guest
		// on an Optional route stays a guest, since the SDK does not
		// refresh for a session it knows to be gone.
		return nil, tryRefresh(errLegacyCookie)
	}
	var claims *accesstoken.Claims
	var err error
	switch {
	case found.Overflow:
		err = accesstoken.ErrAmbiguous
	case found.N == 1 && hit != nil && hitTok == found.First():
		claims = hit
	case found.N == 1:
		claims, err = e.tokens.Verify(r.Context(), found.First(), now)
	default:
		claims, err = e.tokens.Pick(r.Context(), found.Values(), now)
	}
	if e.cfg.hasOlder && (found.N > 1 || found.Overflow || transport.Duplicated(r, wire.AccessCookie)) {
		// A copy on the older cookie domain (junk or not) goes.
		e.out(c).ClearOlderDomain()
	}
	if err != nil {
		if errors.Is(err, accesstoken.ErrMalformed) {
			return nil, unauthorised(false, "", err)
		}
		return nil, tryRefresh(err)
	}
	if found.Method == transport.Cookie && !safeMethod(r.Method) {
		switch e.csrf.modeFor(r, o.antiCSRF) {
		case AntiCSRFViaToken:
			got := r.Header.Get(wire.HeaderAntiCSRF)
			if claims.AntiCSRF != "" && !adoptedCSRFMatches(claims.AntiCSRF, got) || claims.AntiCSRF == "" && !e.csrf.matches(claims.Handle, got) {
				return nil, tryRefresh(errors.New("anti-csrf token mismatch"))
			}
		case AntiCSRFViaCustomHeader:
			if r.Header.Get(wire.HeaderRID) == "" {
				return nil, tryRefresh(errors.New("anti-csrf: missing rid header"))
			}
		}
	}
	if e.revs.ContainsAt(claims.Handle, now) {
		return nil, unauthorised(true, TransferMethod(found.Method), errors.New("session revoked"))
	}
	if a := claims.Actor; a != nil && e.revs.ContainsAt(a.Handle, now) {
		return nil, unauthorised(true, TransferMethod(found.Method), errors.New("the operator's session was revoked"))
	}
	if o.checkDatabase {
		dbNow := e.cfg.now()
		row, err := e.st.GetSession(r.Context(), claims.Handle, dbNow)
		if errors.Is(err, store.ErrNotFound) || err == nil && e.life.PastMaxAge(row.CreatedAt, dbNow) {
			return nil, unauthorised(true, TransferMethod(found.Method), errors.New("session revoked or past its maximum age"))
		}
		if err != nil {
			return nil, storageErr("checking a session", err)
		}
		if err := e.actorAlive(r.Context(), claims.Payload, TransferMethod(found.Method), claims.Handle, claims.UserID); err != nil {
			return nil, err
		}
		// The database holds the newest payload (updates by handle reach
		// the token only at the next refresh).
		fresh := decodeObject(row.Payload)
		for k, v := range claims.Payload {
			if accesstoken.Reserved(k) {
				fresh[k] = v
			}
		}
		// claims is shared with the token cache: never modified.
		withFresh := *claims
		withFresh.Payload = fresh
		claims = &withFresh
	}
	s := &Session{e: e, c: c, id: claims, cookie: found.Method == transport.Cookie}
	if !o.skipClaims {
		if err := s.checkClaims(r.Context(), o.validators); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// errLegacyCookie: the request carries an older SDK's sIdRefreshToken.
var errLegacyCookie = errors.New("an older SDK's " + wire.LegacyIDRefreshCookie + " cookie came with the session")

// safeMethod reports methods that anti-CSRF does not apply to.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
