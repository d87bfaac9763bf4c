package ginsession

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/wire"
)

// POST {base}/session/refresh: which tokens of the request count (the
// transport rules of docs/protocol.md §3 and §4), then the rotation state
// machine (rotation.go) for them, then the new tokens on the response.

// refresh serves POST {base}/session/refresh.
// It rotates the refresh token (docs/protocol.md §7) and issues a new pair.
func (e *Sessions) refresh(c *gin.Context) error {
	retry := false
	err := e.refreshTokens(c, &retry)
	e.metrics.refreshed(err, retry)
	return err
}

// refreshTokens is refresh without the metrics; *retry is set when the
// request was a retry inside the grace window.
func (e *Sessions) refreshTokens(c *gin.Context, retry *bool) error {
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
	findToken(r, wire.RefreshCookie, e.cfg.transferMethod(c, false), refreshShaped, authentic, &found)
	if forged {
		e.cfg.logger.Warn("ginsession: refresh token failed authentication", "client_ip", c.ClientIP())
	}
	// A cross-site form cannot set a custom header; without one a cookie
	// refresh is refused, and nothing is cleared (that would let any site
	// log the user out).
	csrfChecked := e.cfg.antiCSRFFor(r, AntiCSRFAuto) == AntiCSRFNone || r.Header.Get(wire.HeaderRID) != ""
	if found.n == 0 && !found.overflow {
		// No refresh token: clear only what the request presented. A request
		// without any session token (a cross-site form POST under SameSite
		// lax carries no cookie) clears nothing: the frontend forgets its
		// own state on this 401, and any site could log the user out
		// otherwise.
		// (A bearer value here is not a refresh token: findToken ignored it.)
		presented := hasSessionCookies(r) && csrfChecked
		if csrfChecked {
			// An older SDK's session: its sIdRefreshToken goes too.
			e.clearLegacyCookie(c)
		}
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
	if found.method == TransferCookie && e.cfg.antiCSRFFor(r, AntiCSRFAuto) == AntiCSRFViaToken && !e.antiCSRFMatchesAny(toks, r.Header.Get(wire.HeaderAntiCSRF)) {
		// Like the rid check: refused quietly, so a forged request that
		// carries the cookies but not the token clears nothing.
		return unauthorised(false, "", errors.New("refresh without the session's anti-csrf token"))
	}
	if found.method == TransferCookie && (found.n > 1 || found.overflow || duplicated(r, wire.AccessCookie)) {
		// Duplicates were sent (an older cookie domain, or cookies planted
		// by a sibling subdomain): expire both cookies wherever strays may
		// sit. Ours are written after this, on success.
		e.clearStrays(c, wire.AccessCookie, "/")
		e.clearStrays(c, wire.RefreshCookie, e.cfg.refreshPath)
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
	var client clientInfo
	client.userAgent, client.ip = e.clientMetadata(c)
	res, err := e.rotateAny(r.Context(), toks, found.method, c.ClientIP(), client)
	if err != nil {
		return err
	}
	*retry = res.retry
	if found.otherCookies {
		e.clearCookies(c, e.cfg.cookieDomain)
	}
	appPayload := decodeObject(res.row.Payload)
	if err := e.actorAlive(r.Context(), appPayload, found.method, res.row.Handle, res.row.UserID); err != nil {
		return err
	}
	if len(e.cfg.claims) > 0 {
		fetched, err := e.fetchClaims(r.Context(), res.row.UserID, appPayload, e.cfg.claims)
		if err != nil {
			return err
		}
		merged, err := e.mergePayload(r.Context(), res.row.Handle, fetched)
		if err != nil {
			if errors.Is(err, ErrSessionNotFound) {
				return unauthorised(true, found.method, err)
			}
			return err
		}
		appPayload = merged.payload
	}
	access, full, exp, err := e.mintAccess(r.Context(), res.row.UserID, res.row.Handle, appPayload, res.row.CreatedAt)
	if err != nil {
		return err
	}
	if err := e.writeIssued(c, found.method, issued{
		userID: res.row.UserID, access: access, accessExp: exp, payload: full,
		refresh: res.child, refreshExp: e.sessionEnd(res.row.CreatedAt, res.expires), antiCSRF: e.antiCSRFHeader(res.row.Handle),
		sessionOnly: res.row.BrowserSessionOnly,
	}); err != nil {
		return err
	}
	if e.cfg.hooks.Refreshed != nil {
		e.cfg.hooks.Refreshed(SessionEvent{Handle: res.row.Handle, UserID: res.row.UserID, Time: e.cfg.now()})
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
func (e *Sessions) rotateAny(ctx context.Context, toks []*refreshToken, method TransferMethod, clientIP string, client clientInfo) (*rotation, error) {
	var stale *staleToken
	var lastErr error
	for _, tok := range toks {
		res, err := e.rotate(ctx, tok, method, client)
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
	vals, _ := cookieValues(r, wire.RefreshCookie, make([]string, 0, maxMixedCandidates), authentic)
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
		if e.csrf.matches(tok.handle, got) {
			return true
		}
	}
	return false
}
