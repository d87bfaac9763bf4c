package ginsession

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/routes"
	"github.com/ginsession/ginsession/store"
)

// Sessions is a configured session engine. Create it with Register (or New
// plus Mount); it is safe for concurrent use. Two engines in one process are
// independent: nothing is global.
type Sessions struct {
	cfg   *settings
	st    store.Store
	keys  *keyring
	rk    refreshKeys
	cache *tokenCache
	revs  *revocations
	// strays are the cookie domains duplicates of our cookies may sit on
	// (clearStrays).
	strays []string
	// viaTokenRoute is set when some Verify demands the anti-csrf token
	// although the configured mode does not: the token is then issued too.
	viaTokenRoute atomic.Bool
}

// maxUserIDLen bounds user ids; they are stored and sent in every token.
const maxUserIDLen = 1024

// maxPayloadLen bounds the app's access-token payload (JSON), so that every
// token stays under maxTokenLen: a longer one could never be verified, and
// the session would be dead on arrival.
const maxPayloadLen = 8 << 10

// New validates cfg, loads (or creates) the signing keys and returns an
// engine without mounting any route. Most apps call Register instead.
func New(cfg Config) (*Sessions, error) {
	s, err := newSettings(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e := &Sessions{cfg: s, st: s.Store, cache: newTokenCache(s.VerifyCacheSize), revs: newRevocations(s.Store, s)}
	e.strays = strayDomains(s.apiURL.Hostname(), s.cookieDomain, s.olderDomain)
	current, accepted := s.MasterKey, s.AcceptMasterKeys
	if len(current) == 0 || s.AcceptStoredSecret {
		secret, err := storedSecret(ctx, s.Store)
		if err != nil {
			return nil, err
		}
		if len(current) == 0 {
			current = secret
		} else {
			accepted = append([][]byte{secret}, accepted...)
		}
	}
	e.rk = newRefreshKeys(current)
	e.rk.accept(accepted)
	if e.keys, err = newKeyring(ctx, s); err != nil {
		return nil, err
	}
	return e, nil
}

// storedSecret returns the refresh-token secret kept in the store, creating
// it on first use (the secret when no MasterKey is set).
func storedSecret(ctx context.Context, st store.Store) ([]byte, error) {
	candidate := make([]byte, 32)
	if _, err := rand.Read(candidate); err != nil {
		return nil, err
	}
	secret, err := st.EnsureSecret(ctx, "refresh-token-secret", candidate)
	if err != nil {
		return nil, fmt.Errorf("ginsession: reading the token secret: %w", err)
	}
	return secret, nil
}

// Register validates cfg, creates the engine and mounts
// POST {base}/session/refresh, POST {base}/signout and
// GET {base}/jwt/jwks.json on r. Pass the engine itself (or a group at
// "/"): APIBasePath is a path from the root of APIDomain, and the refresh
// cookie's Path depends on it.
func Register(r gin.IRouter, cfg Config) (*Sessions, error) {
	e, err := New(cfg)
	if err != nil {
		return nil, err
	}
	e.Mount(r)
	return e, nil
}

// Mount mounts the session routes on r under APIBasePath.
func (e *Sessions) Mount(r gin.IRouter) {
	routes.Mount(r, e.cfg.basePath, e)
}

// APIBasePath returns the path the session routes are mounted under.
func (e *Sessions) APIBasePath() string { return e.cfg.basePath }

// JWKS implements routes.Service: the public keys as a JWKS document.
func (e *Sessions) JWKS(c *gin.Context) ([]byte, time.Duration, error) {
	return e.keys.snapshot(c.Request.Context()).jwks, jwksMaxAge, nil
}

// Create starts a session for userID in the app's own sign-in handler and
// puts the tokens on the response, by cookie or header as the request's
// st-auth-mode asks (Config.GetTransferMethod). payload goes into every
// access token (the frontend can read it); data stays in the database.
// Either may be nil. Call it before writing the response body.
func (e *Sessions) Create(c *gin.Context, userID string, payload, data map[string]any) (*Session, error) {
	return e.create(c, userID, payload, data, nil)
}

// create is Create with protected claims set by ginsession itself (anon,
// act) in internal.
func (e *Sessions) create(c *gin.Context, userID string, payload, data, internal map[string]any) (*Session, error) {
	if userID == "" || len(userID) > maxUserIDLen || !utf8.ValidString(userID) || bytes.IndexByte([]byte(userID), 0) >= 0 {
		return nil, fmt.Errorf("%w: user id must be 1..%d bytes of UTF-8 without NUL", ErrInvalidInput, maxUserIDLen)
	}
	for k := range payload {
		if protectedClaims[k] {
			return nil, fmt.Errorf("%w: payload key %q is set by ginsession", ErrInvalidInput, k)
		}
	}
	if len(e.cfg.Claims) > 0 {
		fetched, err := e.fetchClaims(c.Request.Context(), userID, Payload(payload), e.cfg.Claims)
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
	h, err := newHandle()
	if err != nil {
		return nil, err
	}
	rt, err := e.rk.newRefresh(h)
	if err != nil {
		return nil, err
	}
	now := e.cfg.Now()
	row := &store.Session{
		Handle:      rt.handle,
		UserID:      userID,
		RefreshHash: rt.hash(),
		RotatedAt:   now,
		ExpiresAt:   now.Add(e.cfg.RefreshTokenTTL),
		CreatedAt:   now,
		Payload:     payloadJSON,
		Data:        dataJSON,
	}
	ctx := c.Request.Context()
	// Minted before the row is stored: a token that cannot be issued (too
	// large) must not leave a session behind.
	access, full, exp, err := e.mintAccess(ctx, userID, rt.handle, decodeObject(payloadJSON))
	if err != nil {
		return nil, err
	}
	if err := e.st.CreateSession(ctx, row); err != nil {
		return nil, storageErr("creating a session", err)
	}
	method := e.cfg.GetTransferMethod(c, true)
	if method == TransferAny {
		method = TransferHeader
	}
	// Tokens the request carried in the other method belong to an older
	// session: clear them so the frontend cannot mix identities.
	if method == TransferHeader && hasSessionCookies(c.Request) {
		e.clearCookies(c, e.cfg.cookieDomain)
	}
	if method == TransferCookie {
		e.clearOlderDomain(c) // an older session's leftovers must not shadow this one
	}
	if method == TransferCookie && bearer(c.Request) != "" {
		c.Header(headerAccessToken, "")
		c.Header(headerRefreshToken, "")
	}
	if err := e.writeIssued(c, method, issued{
		userID: userID, access: access, accessExp: exp, payload: full,
		refresh: rt, refreshExp: row.ExpiresAt, antiCSRF: e.antiCSRFHeader(rt.handle),
	}); err != nil {
		return nil, err
	}
	e.cfg.logger.Info("ginsession: session created", "session", rt.handle)
	if e.cfg.Hooks.Created != nil {
		e.cfg.Hooks.Created(SessionEvent{Handle: rt.handle, UserID: userID, Time: now})
	}
	return &Session{e: e, c: c, userID: userID, handle: rt.handle, payload: full, exp: exp, method: method}, nil
}

// antiCSRFHeader is the anti-csrf token to send: when the configured mode
// is VIA_TOKEN, or when a route demands it (WithAntiCSRF); "" otherwise.
func (e *Sessions) antiCSRFHeader(handle string) string {
	if e.cfg.AntiCSRF != AntiCSRFViaToken && !e.viaTokenRoute.Load() {
		return ""
	}
	return e.rk.antiCSRFToken(handle)
}

// RefreshSession implements routes.Service: POST {base}/session/refresh.
// It rotates the refresh token (docs/protocol.md §7) and issues a new pair.
func (e *Sessions) RefreshSession(c *gin.Context) error {
	r := c.Request
	var found foundToken
	// Refresh cookies count only when they authenticate (our MAC): planted
	// junk of the right shape can neither push the real cookie out of the
	// candidates nor overflow them. (A bearer value is judged by its shape,
	// and refused below when it does not authenticate.)
	forged := false
	authentic := func(v string) bool {
		if !refreshShaped(v) {
			return false
		}
		if _, ok := e.rk.parseRefresh(v); ok {
			return true
		}
		forged = true
		return false
	}
	findToken(r, refreshCookie, e.cfg.GetTransferMethod(c, false), refreshShaped, authentic, &found)
	if forged {
		e.cfg.logger.Warn("ginsession: refresh token failed authentication", "client_ip", c.ClientIP())
	}
	// A cross-site form cannot set a custom header; without one a cookie
	// refresh is refused, and nothing is cleared (that would let any site
	// log the user out).
	csrfChecked := e.cfg.antiCSRFFor(r, AntiCSRFAuto) == AntiCSRFNone || r.Header.Get("rid") != ""
	if found.n == 0 && !found.overflow {
		// No refresh token: clear only what the request presented. A request
		// without any session token (a cross-site form POST under SameSite
		// lax carries no cookie) clears nothing: the frontend forgets its
		// own state on this 401, and any site could log the user out
		// otherwise.
		// (A bearer value here is not a refresh token: findToken ignored it.)
		presented := hasSessionCookies(r) && csrfChecked
		return unauthorised(presented, TransferCookie, errors.New("no refresh token"))
	}
	if found.method == TransferCookie && !csrfChecked {
		return unauthorised(false, "", errors.New("refresh without the rid header"))
	}
	if found.method == TransferHeader && found.otherCookies {
		// The bearer won, but refresh cookies came too: a stale one among
		// them is still theft (a thief cannot shadow the victim's cookie
		// with a header of its own).
		if err := e.theftInShadowedCookies(r.Context(), r, found.buf[0], authentic, c.ClientIP()); err != nil {
			return err
		}
	}
	toks, err := e.authenticRefresh(c, &found)
	if err != nil {
		return err
	}
	if found.method == TransferCookie && e.cfg.antiCSRFFor(r, AntiCSRFAuto) == AntiCSRFViaToken && !e.antiCSRFMatchesAny(toks, r.Header.Get(headerAntiCSRF)) {
		// Like the rid check: refused quietly, so a forged request that
		// carries the cookies but not the token clears nothing.
		return unauthorised(false, "", errors.New("refresh without the session's anti-csrf token"))
	}
	if found.method == TransferCookie && (found.n > 1 || found.overflow || duplicated(r, accessCookie)) {
		// Duplicates were sent (an older cookie domain, or cookies planted
		// by a sibling subdomain): expire both cookies wherever strays may
		// sit. Ours are written after this, on success.
		e.clearStrays(c, accessCookie, "/")
		e.clearStrays(c, refreshCookie, e.cfg.refreshPath)
	}
	mixed := found.overflow
	for _, tok := range toks[1:] {
		mixed = mixed || tok.handle != toks[0].handle
	}
	if mixed {
		if found.overflow {
			// Every authentic cookie is looked at (up to a bound), so that
			// cookies of the thief's own sessions sent first cannot push a
			// stale one out of view.
			toks = e.authenticCookies(r, authentic)
		}
		if toks, err = e.resolveMixed(r.Context(), toks, found.method, c.ClientIP()); err != nil {
			return err
		}
	}
	res, err := e.rotateAny(r.Context(), toks, found.method, c.ClientIP())
	if err != nil {
		return err
	}
	if found.otherCookies {
		e.clearCookies(c, e.cfg.cookieDomain)
	}
	appPayload := decodeObject(res.row.Payload)
	if err := e.actorAlive(r.Context(), appPayload, found.method, res.row.Handle, res.row.UserID); err != nil {
		return err
	}
	if len(e.cfg.Claims) > 0 {
		fetched, err := e.fetchClaims(r.Context(), res.row.UserID, appPayload, e.cfg.Claims)
		if err != nil {
			return err
		}
		if appPayload, err = e.mergePayload(r.Context(), res.row.Handle, fetched); err != nil {
			if errors.Is(err, ErrSessionNotFound) {
				return unauthorised(true, found.method, err)
			}
			return err
		}
	}
	access, full, exp, err := e.mintAccess(r.Context(), res.row.UserID, res.row.Handle, appPayload)
	if err != nil {
		return err
	}
	if err := e.writeIssued(c, found.method, issued{
		userID: res.row.UserID, access: access, accessExp: exp, payload: full,
		refresh: res.child, refreshExp: res.expires, antiCSRF: e.antiCSRFHeader(res.row.Handle),
	}); err != nil {
		return err
	}
	if e.cfg.Hooks.Refreshed != nil {
		e.cfg.Hooks.Refreshed(SessionEvent{Handle: res.row.Handle, UserID: res.row.UserID, Time: e.cfg.Now()})
	}
	return nil
}

// authenticRefresh returns the refresh-token candidates that authenticate
// (carry our MAC). Candidates that do not authenticate are ignored: a
// planted junk cookie changes nothing.
func (e *Sessions) authenticRefresh(c *gin.Context, found *foundToken) ([]*refreshToken, error) {
	var toks []*refreshToken
	for _, v := range found.values() {
		tok, ok := e.rk.parseRefresh(v)
		if !ok {
			e.cfg.logger.Warn("ginsession: refresh token failed authentication", "client_ip", c.ClientIP())
			continue
		}
		toks = append(toks, tok)
	}
	if len(toks) == 0 {
		return nil, unauthorised(true, found.method, errors.New("refresh token not ours"))
	}
	return toks, nil
}

// rotateAny rotates the first of toks (all of one session) that is the
// session's current token or a retry inside the grace window. A stale
// token is theft unless another candidate of the same request rotated: that
// request holds the live token, and the stale one is a leftover (an older
// cookie domain). So a stale token is theft whatever junk or foreign
// tokens come with it.
func (e *Sessions) rotateAny(ctx context.Context, toks []*refreshToken, method TransferMethod, clientIP string) (*rotation, error) {
	var stale *staleToken
	var lastErr error
	for _, tok := range toks {
		res, err := e.rotate(ctx, tok, method)
		if err == nil {
			return res, nil
		}
		if errors.Is(err, ErrStorage) {
			return nil, err
		}
		var st *staleToken
		if errors.As(err, &st) {
			if stale == nil {
				stale = st
			}
			continue
		}
		lastErr = err
	}
	if stale != nil {
		return nil, e.theft(ctx, stale, method, clientIP)
	}
	return nil, lastErr
}

// maxMixedCandidates bounds the refresh cookies looked at when more than
// maxCookieCandidates authentic ones arrive (each costs a database read).
const maxMixedCandidates = 32

// resolveMixed decides a request whose refresh tokens name different
// sessions, without rotating anything. Every stale token among them is
// theft, as it would be alone. Tokens of sessions that are gone are
// dropped: they authenticate nobody (a leftover of a signed-out session on
// an older cookie domain, say). If the live ones left name one session,
// they are returned for the rotation; otherwise the request is nobody's.
func (e *Sessions) resolveMixed(ctx context.Context, toks []*refreshToken, method TransferMethod, clientIP string) ([]*refreshToken, error) {
	var theft error
	var live []*refreshToken
	for _, tok := range toks {
		st, gone, err := e.staleCheck(ctx, tok)
		switch {
		case err != nil:
			return nil, err
		case st != nil:
			if err := e.theft(ctx, st, method, clientIP); theft == nil || errors.Is(err, ErrStorage) {
				theft = err
			}
		case !gone:
			live = append(live, tok)
		}
	}
	if theft != nil {
		return nil, theft
	}
	for _, tok := range live {
		if tok.handle != live[0].handle {
			return nil, unauthorised(true, method, errAmbiguous)
		}
	}
	if len(live) == 0 {
		return nil, unauthorised(true, method, errors.New("session not found"))
	}
	return live, nil
}

// theftInShadowedCookies runs the theft check on the refresh cookies of a
// request whose bearer token won. Cookies of the bearer's own session are
// left to the rotation (it either rotates, excusing them, or is stale
// itself).
func (e *Sessions) theftInShadowedCookies(ctx context.Context, r *http.Request, bearerTok string, authentic func(string) bool, clientIP string) error {
	var own string
	if tok, ok := e.rk.parseRefresh(bearerTok); ok {
		own = tok.handle
	}
	for _, tok := range e.authenticCookies(r, authentic) {
		if tok.handle == own {
			continue
		}
		st, _, err := e.staleCheck(ctx, tok)
		if err != nil {
			return err
		}
		if st != nil {
			return e.theft(ctx, st, TransferAny, clientIP)
		}
	}
	return nil
}

// authenticCookies returns the request's refresh cookies that authenticate
// (authentic is RefreshSession's filter), up to maxMixedCandidates: the
// wider look of the rare paths (an overflow, a bearer beside cookies).
func (e *Sessions) authenticCookies(r *http.Request, authentic func(string) bool) []*refreshToken {
	vals, _ := cookieValues(r, refreshCookie, make([]string, 0, maxMixedCandidates), authentic)
	toks := make([]*refreshToken, 0, len(vals))
	for _, v := range vals {
		if tok, ok := e.rk.parseRefresh(v); ok {
			toks = append(toks, tok)
		}
	}
	return toks
}

// antiCSRFMatchesAny reports whether got is the anti-csrf token of one of
// the candidates' sessions.
func (e *Sessions) antiCSRFMatchesAny(toks []*refreshToken, got string) bool {
	for _, tok := range toks {
		if e.rk.antiCSRFMatches(tok.handle, got) {
			return true
		}
	}
	return false
}

// staleCheck reports, without rotating anything, whether tok is a
// rotated-out token of a live session (st) or its session is gone; both are
// zero when it is current, a retry inside the grace window, or newer than
// the row.
func (e *Sessions) staleCheck(ctx context.Context, tok *refreshToken) (st *staleToken, gone bool, err error) {
	now := e.cfg.Now()
	row, err := e.st.GetSession(ctx, tok.handle, now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, storageErr("reading a session", err)
	}
	h := tok.hash()
	switch {
	case subtle.ConstantTimeCompare(h, row.RefreshHash) == 1,
		row.PrevRefreshHash != nil && subtle.ConstantTimeCompare(h, row.PrevRefreshHash) == 1 && now.Sub(row.RotatedAt) <= e.cfg.RefreshGracePeriod,
		tok.generation > row.Generation:
		return nil, false, nil
	}
	return &staleToken{row: row, tok: tok}, false, nil
}

type rotation struct {
	row     *store.Session
	child   *refreshToken
	expires time.Time
}

// staleToken is what rotate reports for a rotated-out token of a live
// session; rotateAny decides whether it is theft.
type staleToken struct {
	row *store.Session
	tok *refreshToken
}

func (s *staleToken) Error() string { return "stale refresh token" }

// maxRotateAttempts bounds the rotations tried for one token. A lost race
// means another request rotated the same token, so the read after it finds
// it as the previous token and succeeds without writing; only a read that
// finds the token current again tries once more.
const maxRotateAttempts = 4

// rotate runs the rotation state machine for one authenticated token.
func (e *Sessions) rotate(ctx context.Context, tok *refreshToken, method TransferMethod) (*rotation, error) {
	h := tok.hash()
	// The child is derived from the token alone: the same on every path
	// below, and again on every retry of the same token.
	child := e.rk.child(tok)
	childHash := child.hash()
	for attempt := 0; attempt < maxRotateAttempts; attempt++ {
		// The common case in one statement: the token is the current one.
		// Anything else (a retry in the grace window, theft, a row that is
		// gone) is a conflict here and is decided by the read below.
		now := e.cfg.Now()
		expires := now.Add(e.cfg.RefreshTokenTTL)
		row, err := e.st.RotateSession(ctx, tok.handle, h, store.Rotation{NewRefreshHash: childHash, RotatedAt: now, ExpiresAt: expires})
		switch {
		case err == nil:
			return &rotation{row: row, child: child, expires: expires}, nil
		case !errors.Is(err, store.ErrConflict):
			return nil, storageErr("rotating a refresh token", err)
		}
		row, err = e.st.GetSession(ctx, tok.handle, now)
		if errors.Is(err, store.ErrNotFound) {
			return nil, unauthorised(true, method, errors.New("session not found"))
		}
		if err != nil {
			return nil, storageErr("reading a session", err)
		}
		switch {
		case subtle.ConstantTimeCompare(h, row.RefreshHash) == 1:
			continue // current again (the row changed between the write and the read): rotate again
		case row.PrevRefreshHash != nil && subtle.ConstantTimeCompare(h, row.PrevRefreshHash) == 1 && now.Sub(row.RotatedAt) <= e.cfg.RefreshGracePeriod:
			// A retry (lost response, second tab): the same child again.
			if subtle.ConstantTimeCompare(childHash, row.RefreshHash) != 1 {
				return nil, unauthorised(true, method, errors.New("lineage mismatch"))
			}
			return &rotation{row: row, child: child, expires: row.ExpiresAt}, nil
		case tok.generation > row.Generation:
			// Ours, but newer than the database: the database was restored
			// from a backup. Not theft.
			return nil, unauthorised(true, method, errors.New("refresh token newer than the session"))
		default:
			return nil, &staleToken{row: row, tok: tok}
		}
	}
	return nil, storageErr("rotating a refresh token", errors.New("too much contention"))
}

// theft revokes the session a stale refresh token belongs to. clientIP is
// Gin's ClientIP: it depends on the router's trusted proxies
// (gin.Engine.SetTrustedProxies), so behind no proxy trust nothing.
func (e *Sessions) theft(ctx context.Context, st *staleToken, method TransferMethod, clientIP string) error {
	row := st.row
	if _, err := e.st.DeleteSession(ctx, row.Handle); err != nil {
		return storageErr("revoking a session after theft", err)
	}
	e.cfg.logger.Warn("ginsession: refresh token theft detected", "session", row.Handle, "user", row.UserID, "generation", st.tok.generation, "current_generation", row.Generation, "client_ip", clientIP)
	if e.cfg.Hooks.TheftDetected != nil {
		e.cfg.Hooks.TheftDetected(TheftEvent{SessionEvent: SessionEvent{Handle: row.Handle, UserID: row.UserID, Time: e.cfg.Now()}, ClientIP: clientIP})
	}
	e.revoked(row.Handle, row.UserID)
	return &respErr{kind: &TheftError{Handle: row.Handle, UserID: row.UserID}, clear: true, method: method}
}

func (e *Sessions) revoked(handle, userID string) {
	e.cfg.logger.Info("ginsession: session revoked", "session", handle)
	if err := e.revs.add(context.Background(), handle); err != nil {
		e.cfg.logger.Warn("ginsession: revocation not propagated; other instances accept its access tokens until they expire", "session", handle, "err", err)
	}
	if e.cfg.Hooks.Revoked != nil {
		e.cfg.Hooks.Revoked(SessionEvent{Handle: handle, UserID: userID, Time: e.cfg.Now()})
	}
}

// SignOut implements routes.Service: POST {base}/signout. It needs a valid
// access token (an expired one gets "try refresh token", so the frontend
// refreshes and retries), revokes the session and clears the tokens.
func (e *Sessions) SignOut(c *gin.Context) error {
	s, err := e.getSession(c, &verifyOptions{skipClaims: true})
	if err != nil {
		return err
	}
	if _, err := e.st.DeleteSession(c.Request.Context(), s.handle); err != nil {
		return storageErr("revoking a session", err)
	}
	e.revoked(s.handle, s.userID)
	e.clearTokens(c, s.method)
	return nil
}

// SessionInfo describes a stored session.
type SessionInfo struct {
	Handle    string
	UserID    string
	Payload   map[string]any // the app's access-token payload (protected claims excluded)
	Data      map[string]any // the session data kept in the database
	CreatedAt time.Time
	ExpiresAt time.Time // refresh-token expiry
}

func infoFromRow(row *store.Session) SessionInfo {
	return SessionInfo{
		Handle: row.Handle, UserID: row.UserID,
		Payload: decodeObject(row.Payload), Data: decodeObject(row.Data),
		CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt,
	}
}

// validHandle reports whether h has the shape of a handle ginsession
// issues, so arbitrary text from a URL never reaches the database.
func validHandle(h string) bool {
	if len(h) != 36 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// GetSessionInfo returns one session, or ErrSessionNotFound.
func (e *Sessions) GetSessionInfo(ctx context.Context, handle string) (*SessionInfo, error) {
	ctx = stdCtx(ctx)
	if !validHandle(handle) {
		return nil, ErrSessionNotFound
	}
	row, err := e.st.GetSession(ctx, handle, e.cfg.Now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrSessionNotFound
	}
	if err != nil {
		return nil, storageErr("reading a session", err)
	}
	info := infoFromRow(row)
	return &info, nil
}

// ListSessions returns a user's live sessions, oldest first.
func (e *Sessions) ListSessions(ctx context.Context, userID string) ([]SessionInfo, error) {
	ctx = stdCtx(ctx)
	rows, err := e.st.ListUserSessions(ctx, userID, e.cfg.Now())
	if err != nil {
		return nil, storageErr("listing sessions", err)
	}
	out := make([]SessionInfo, len(rows))
	for i := range rows {
		out[i] = infoFromRow(&rows[i])
	}
	return out, nil
}

// RevokeSession deletes a session. Its refresh token stops working at once;
// its access tokens stop working on routes that check the database, and
// elsewhere when they expire. It reports whether the session existed.
func (e *Sessions) RevokeSession(ctx context.Context, handle string) (bool, error) {
	ctx = stdCtx(ctx)
	if !validHandle(handle) {
		return false, nil
	}
	row, err := e.st.GetSession(ctx, handle, e.cfg.Now())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, storageErr("reading a session", err)
	}
	ok, err := e.st.DeleteSession(ctx, handle)
	if err != nil {
		return false, storageErr("revoking a session", err)
	}
	if ok && row != nil {
		e.revoked(handle, row.UserID)
	}
	return ok, nil
}

// RevokeAllSessions deletes every session of a user and returns their
// handles.
func (e *Sessions) RevokeAllSessions(ctx context.Context, userID string) ([]string, error) {
	ctx = stdCtx(ctx)
	handles, err := e.st.DeleteUserSessions(ctx, userID)
	if err != nil {
		return nil, storageErr("revoking sessions", err)
	}
	for _, h := range handles {
		e.revoked(h, userID)
	}
	return handles, nil
}

// UpdateSessionData replaces the session data of a session by handle.
func (e *Sessions) UpdateSessionData(ctx context.Context, handle string, data map[string]any) error {
	ctx = stdCtx(ctx)
	if !validHandle(handle) {
		return ErrSessionNotFound
	}
	enc, err := encodeObject(data)
	if err != nil {
		return fmt.Errorf("%w: data: %v", ErrInvalidInput, err)
	}
	err = e.st.UpdateSession(ctx, handle, e.cfg.Now(), func(row *store.Session) error {
		row.Data = enc
		return nil
	})
	return mapUpdateErr(err)
}

// MergeIntoPayload merges update into a session's access-token payload by
// handle (a nil value removes a key). The frontend sees it after the next
// refresh; database-checked routes see it at once.
func (e *Sessions) MergeIntoPayload(ctx context.Context, handle string, update map[string]any) error {
	ctx = stdCtx(ctx)
	_, err := e.mergePayload(ctx, handle, update)
	return err
}

func (e *Sessions) mergePayload(ctx context.Context, handle string, update map[string]any) (map[string]any, error) {
	if !validHandle(handle) {
		return nil, ErrSessionNotFound
	}
	for k := range update {
		if protectedClaims[k] {
			return nil, fmt.Errorf("%w: payload key %q is set by ginsession", ErrInvalidInput, k)
		}
	}
	var merged map[string]any
	err := e.st.UpdateSession(ctx, handle, e.cfg.Now(), func(row *store.Session) error {
		merged = decodeObject(row.Payload)
		for k, v := range update {
			if v == nil {
				delete(merged, k)
			} else {
				merged[k] = v
			}
		}
		enc, err := encodeObject(merged)
		if err != nil {
			return fmt.Errorf("%w: payload: %v", ErrInvalidInput, err)
		}
		if len(enc) > maxPayloadLen {
			return fmt.Errorf("%w: payload of %d bytes: at most %d (it travels in every access token)", ErrInvalidInput, len(enc), maxPayloadLen)
		}
		row.Payload = enc
		return nil
	})
	if err != nil {
		return nil, mapUpdateErr(err)
	}
	return decodeObject(mustEncode(merged)), nil
}

func mapUpdateErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return ErrSessionNotFound
	case errors.Is(err, ErrInvalidInput):
		return err
	default:
		return storageErr("updating a session", err)
	}
}

// fetchClaims runs the claims' fetch functions and returns the payload
// update: each key set to its {"v","t"} entry, or nil (remove) when the
// claim has no value.
func (e *Sessions) fetchClaims(ctx context.Context, userID string, current Payload, claims []Claim) (map[string]any, error) {
	now := e.cfg.Now()
	update := make(map[string]any, len(claims))
	for _, c := range claims {
		v, ok, err := c.fetchAny(ctx, userID, current)
		if err != nil {
			return nil, fmt.Errorf("ginsession: fetching claim %q: %w", c.Key(), err)
		}
		if ok {
			update[c.Key()] = claimEntry(v, now)
		} else {
			update[c.Key()] = nil
		}
	}
	return update, nil
}

// encodeObject encodes a JSON object; nil is {}.
func encodeObject(m map[string]any) ([]byte, error) {
	if m == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(m)
}

func mustEncode(m map[string]any) []byte {
	b, _ := encodeObject(m)
	return b
}

// decodeObject decodes a stored JSON object; numbers that are integers come
// back as int64, others as float64.
func decodeObject(b []byte) map[string]any {
	out := map[string]any{}
	if len(b) == 0 {
		return out
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		return map[string]any{}
	}
	for k, v := range out {
		out[k] = normaliseNumber(v)
	}
	return out
}

var _ routes.Service = (*Sessions)(nil)

// isRevoked reports whether a session was revoked (propagated revocations).
func (e *Sessions) isRevoked(handle string) bool {
	return e.revs.contains(handle)
}

// safeMethod reports methods that anti-CSRF does not apply to.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
