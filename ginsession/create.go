package ginsession

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/accesstoken"
	"github.com/ginsession/ginsession/internal/origin"
	"github.com/ginsession/ginsession/internal/sessionhandle"
	"github.com/ginsession/ginsession/internal/transport"
	"github.com/ginsession/ginsession/internal/wire"
	"github.com/ginsession/ginsession/store"
)

// maxUserIDLen bounds user ids; they are stored and sent in every token.
const maxUserIDLen = 1024

// maxPayloadLen bounds the app's access-token payload (JSON), so that every
// token stays under jose.MaxTokenLen: a longer one could never be verified, and
// the session would be dead on arrival.
const maxPayloadLen = 8 << 10

// Create starts a session for userID in the app's own sign-in handler and
// puts the tokens on the response, by cookie or header as the request's
// st-auth-mode asks (Config.GetTransferMethod). payload goes into every
// access token (the frontend can read it); data stays in the database.
// Either may be nil. Call it before writing the response body. opts name
// the device (WithDeviceLabel) or turn "remember me" off
// (BrowserSessionOnly). With Config.MaxSessionsPerUser, the user's oldest
// sessions are evicted, or the session refused with a *SessionLimitError
// (ErrSessionLimit) that lists the user's sessions.
func (e *Sessions) Create(c *gin.Context, userID string, payload, data map[string]any, opts ...CreateOption) (*Session, error) {
	return e.create(c, userID, payload, data, nil, opts)
}

// create is Create with protected claims set by ginsession itself (anon,
// act) in internal.
func (e *Sessions) create(c *gin.Context, userID string, payload, data, internal map[string]any, opts []CreateOption) (*Session, error) {
	o, err := resolveCreateOptions(opts)
	if err != nil {
		return nil, err
	}
	if userID == "" || len(userID) > maxUserIDLen || !utf8.ValidString(userID) || bytes.IndexByte([]byte(userID), 0) >= 0 {
		return nil, fmt.Errorf("%w: user id must be 1..%d bytes of UTF-8 without NUL", ErrInvalidInput, maxUserIDLen)
	}
	for k := range payload {
		if accesstoken.Reserved(k) {
			return nil, fmt.Errorf("%w: payload key %q is set by ginsession", ErrInvalidInput, k)
		}
	}
	if len(e.cfg.claims) > 0 {
		fetched, err := fetchClaims(c.Request.Context(), e.cfg.claims, userID, Payload(payload), e.cfg.now())
		if err != nil {
			return nil, err
		}
		merged := maps.Clone(payload)
		if merged == nil {
			merged = map[string]any{}
		}
		for k, v := range fetched {
			if v == nil {
				delete(merged, k)
			} else {
				merged[k] = v
			}
		}
		payload = merged
	}
	if len(internal) > 0 {
		merged := maps.Clone(payload)
		if merged == nil {
			merged = map[string]any{}
		}
		maps.Copy(merged, internal)
		payload = merged
	}
	payloadJSON, err := encodeObject(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrInvalidInput, err)
	}
	if len(payloadJSON) > maxPayloadLen {
		return nil, fmt.Errorf("%w: payload of %d bytes: at most %d (it travels in every access token)", ErrInvalidInput, len(payloadJSON), maxPayloadLen)
	}
	dataJSON, err := encodeObject(data)
	if err != nil {
		return nil, fmt.Errorf("%w: data: %v", ErrInvalidInput, err)
	}
	h, err := sessionhandle.New()
	if err != nil {
		return nil, err
	}
	rt, err := e.rk.New(h)
	if err != nil {
		return nil, err
	}
	now := e.cfg.now()
	userAgent, ip := clientMetadata(c, e.cfg.omitIP)
	impersonation := internal[actorClaim] != nil
	if impersonation {
		ip = "" // the operator's address is not for the user's device list
	}
	row := &store.Session{
		Handle:             rt.Handle,
		UserID:             userID,
		RefreshHash:        rt.Hash(),
		RotatedAt:          now,
		ExpiresAt:          e.life.Stored(now, now, o.sessionOnly),
		CreatedAt:          now,
		Payload:            payloadJSON,
		Data:               dataJSON,
		DeviceLabel:        o.deviceLabel,
		CreatedUserAgent:   userAgent,
		CreatedIP:          ip,
		BrowserSessionOnly: o.sessionOnly,
	}
	ctx := c.Request.Context()
	method := e.cfg.transferMethod(c, true)
	if method == TransferAny {
		method = TransferHeader
	}
	// A request that cannot prove it came from the app must leave the
	// cookies it carries alone (cookiesMayChange): in header mode they are
	// kept, in cookie mode the session is refused, so a forged sign-in can
	// neither sign the user out nor into another account.
	mayChange := e.csrf.cookiesMayChange(c.Request)
	if method == TransferCookie && !mayChange {
		return nil, tryRefresh(errors.New("anti-csrf: a session cookie request without proof it came from the app cannot replace the session"))
	}
	// A browser stores the cookies of a response to a cross-site form
	// whatever their SameSite, so with no cookies to protect a page of
	// another origin could still sign the visitor into its own account
	// (login CSRF), or over Lax cookies the form could not carry.
	if method == TransferCookie && !safeMethod(c.Request.Method) && e.csrf.foreignOrigin(c.Request) {
		e.cfg.logger.Warn("ginsession: no cookie session created for a request from a page of another origin",
			"origin", origin.TruncateForLog(c.Request.Header.Get("Origin")))
		return nil, tryRefresh(errors.New("anti-csrf: a page of another origin cannot create a cookie session"))
	}
	// Minted before the row is stored: a token that cannot be issued (too
	// large) must not leave a session behind.
	access, full, exp, err := e.tokens.Mint(ctx, userID, rt.Handle, decodeObject(payloadJSON), now)
	if err != nil {
		return nil, mintError(err)
	}
	// An impersonation session is not one of the user's devices: the cap
	// neither counts it nor lets it sign the user out.
	if err := e.cap.create(ctx, row, !impersonation); err != nil {
		return nil, err
	}
	// Tokens the request carried in the other method belong to an older
	// session: clear them so the frontend cannot mix identities (the
	// header wins over a cookie anyway, so one left behind by a request
	// without proof is harmless).
	if method == TransferHeader && mayChange && transport.HasSessionCookies(c.Request) {
		e.out(c).ClearOwnCookies()
	}
	if method == TransferCookie {
		e.out(c).ClearOlderDomain() // an older session's leftovers must not shadow this one
	}
	if method == TransferCookie && transport.Bearer(c.Request) != "" {
		c.Header(wire.HeaderAccessToken, "")
		c.Header(wire.HeaderRefreshToken, "")
	}
	if err := e.out(c).Issue(transport.Method(method), transport.Issued{
		UserID: userID, Access: access, AccessExp: exp, Payload: full,
		Refresh: rt.String(), RefreshExp: row.ExpiresAt, AntiCSRF: e.csrf.header(rt.Handle),
		SessionOnly: o.sessionOnly,
	}); err != nil {
		return nil, err
	}
	if method == TransferCookie && e.bind != nil {
		bindingEngine{e}.offer(c, rt.Handle)
	}
	e.cfg.logger.Info("ginsession: session created", "session", rt.Handle)
	kind := createdUser
	switch {
	case internal[anonymousClaim] != nil:
		kind = createdAnonymous
	case internal[actorClaim] != nil:
		kind = createdImpersonation
	}
	e.metrics.sessionCreated(kind)
	if e.cfg.hooks.Created != nil {
		e.cfg.hooks.Created(SessionEvent{Handle: rt.Handle, UserID: userID, Time: now})
	}
	return &Session{e: e, c: c, id: &accesstoken.Claims{UserID: userID, Handle: rt.Handle, Expires: exp, Payload: full}, cookie: method == TransferCookie}, nil
}
