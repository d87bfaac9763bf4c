package ginsession

import (
	"context"
	"errors"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/protocol"
	"github.com/ginsession/ginsession/internal/refreshtoken"
	"github.com/ginsession/ginsession/internal/stcore"
	"github.com/ginsession/ginsession/internal/transport"
	"github.com/ginsession/ginsession/internal/wire"
)

// The refresh route's questions to the engine (routes/refresh.go holds the
// route itself): what the request presents, in the protocol core's terms;
// the tokens of a rotated session; the events of its outcome.

// Reissue makes the tokens of a rotated session: the impersonation check,
// the claims to refetch, a new access token.
func (r routeEngine) Reissue(ctx context.Context, rot *protocol.Rotation, method transport.Method) (transport.Issued, error) {
	e := r.e
	row := rot.Row
	appPayload := decodeObject(row.Payload)
	if err := e.actorAlive(ctx, appPayload, TransferMethod(method), row.Handle, row.UserID); err != nil {
		return transport.Issued{}, err
	}
	if len(e.cfg.claims) > 0 {
		fetched, err := fetchClaims(ctx, e.cfg.claims, row.UserID, appPayload, e.cfg.now())
		if err != nil {
			return transport.Issued{}, err
		}
		merged, err := e.mergePayload(ctx, row.Handle, fetched)
		if err != nil {
			if errors.Is(err, ErrSessionNotFound) {
				return transport.Issued{}, unauthorised(true, TransferMethod(method), err)
			}
			return transport.Issued{}, err
		}
		appPayload = merged.payload
	}
	access, full, exp, err := e.tokens.Mint(ctx, row.UserID, row.Handle, appPayload, row.CreatedAt)
	if err != nil {
		return transport.Issued{}, mintError(err)
	}
	return transport.Issued{
		UserID: row.UserID, Access: access, AccessExp: exp, Payload: full,
		Refresh: rot.Child.String(), RefreshExp: e.life.End(row.CreatedAt, rot.Expires), AntiCSRF: e.csrf.header(row.Handle),
		SessionOnly: row.BrowserSessionOnly,
	}, nil
}

// Refreshed records a refresh's outcome: the Refreshed hook on success,
// and the metrics.
func (r routeEngine) Refreshed(rot *protocol.Rotation, err error) {
	e := r.e
	if err == nil && e.cfg.hooks.Refreshed != nil {
		e.cfg.hooks.Refreshed(SessionEvent{Handle: rot.Row.Handle, UserID: rot.Row.UserID, Time: e.cfg.now()})
	}
	e.metrics.refreshed(err, rot != nil && rot.Retry)
}

// ReadRefresh reads what the refresh request presented into the protocol's
// terms, and the transfer method its tokens came by.
func (re routeEngine) ReadRefresh(c *gin.Context) (protocol.Request, transport.Method) {
	e, r := re.e, c.Request
	var found transport.Found
	forged := false
	// The cookie candidates are authenticated as the transport finds them;
	// the tokens parsed then are kept, in the transport's order, so that
	// none is parsed (an HMAC) twice.
	var parsed [transport.MaxCandidates]*refreshtoken.Token
	var parsedFrom [transport.MaxCandidates]string
	n := 0
	authentic := func(v string) bool {
		if !refreshtoken.Shaped(v) {
			return false
		}
		tok, ok := e.rk.Parse(v)
		if !ok {
			forged = true
			return false
		}
		if n < len(parsed) {
			parsed[n], parsedFrom[n] = tok, v
			n++
		}
		return true
	}
	transport.Find(r, wire.RefreshCookie, transport.Method(e.cfg.transferMethod(c, false)), refreshtoken.Shaped, authentic, &found)
	in := protocol.Request{
		Found:         found.N,
		FromCookies:   found.Method == transport.Cookie,
		Overflow:      found.Overflow,
		CookiesBeside: found.CookiesBeside,
		CSRFProven:    e.csrf.modeFor(r, AntiCSRFAuto) == AntiCSRFNone || r.Header.Get(wire.HeaderRID) != "",
		// The wider search has its own filter: one that shared authentic's
		// variables would move them all to the heap on every refresh, since
		// this function outlives ReadRefresh.
		AllCookies: func() ([]*refreshtoken.Token, bool) {
			vals, unseen := transport.CookieValues(r, wire.RefreshCookie, make([]string, 0, protocol.MaxWider), func(v string) bool {
				if !refreshtoken.Shaped(v) {
					return false
				}
				_, ok := e.rk.Parse(v)
				return ok
			})
			return parseRefreshTokens(e.rk, vals), unseen
		},
	}
	for i, v := range found.Values() {
		if i < n && parsedFrom[i] == v {
			in.Tokens = append(in.Tokens, parsed[i])
			continue
		}
		tok, ok := e.rk.Parse(v) // the bearer value, judged by its shape only
		if !ok {
			// A bearer value of the right shape that is not ours.
			forged = true
			continue
		}
		in.Tokens = append(in.Tokens, tok)
	}
	if forged {
		e.cfg.logger.Warn("ginsession: refresh token failed authentication", "client_ip", c.ClientIP())
	}
	if in.Found == 0 && !in.Overflow && e.adopt != nil {
		if m, ok := re.readAdopted(c, &in); ok {
			return in, m
		}
	}
	if in.Found == 0 && !in.Overflow && e.adopt == nil {
		re.warnCoreToken(c)
	}
	if in.Found == 0 && !in.Overflow {
		in.SessionCookies = transport.HasSessionCookies(r)
		return in, transport.Cookie
	}
	if in.FromCookies {
		in.DuplicateAccess = transport.Duplicated(r, wire.AccessCookie)
		if e.csrf.modeFor(r, AntiCSRFAuto) == AntiCSRFViaToken {
			got := r.Header.Get(wire.HeaderAntiCSRF)
			in.AntiCSRF = func(handle string) bool { return e.csrf.matches(handle, got) }
		}
	}
	if e.adopt != nil {
		// The core's refresh cookies beside ours: a stale one is theft.
		in.ShadowedAdopted = re.coreCookies(c)
	}
	in.Client.UserAgent, in.Client.IP = clientMetadata(c, e.cfg.omitIP)
	return in, found.Method
}

// warnCoreToken logs, at most once a minute, a SuperTokens core's refresh
// token presented to an engine that accepts none: the import ran after the
// engine started (it reads the imported keys once, at New), or not at all.
// The request is refused as any unknown token; the log says what to do.
func (re routeEngine) warnCoreToken(c *gin.Context) {
	e := re.e
	var found transport.Found
	transport.Find(c.Request, wire.RefreshCookie, transport.Any, stcore.LooksLikeRefreshToken, stcore.LooksLikeRefreshToken, &found)
	if found.N == 0 {
		return
	}
	now := e.cfg.now().Unix()
	last := e.coreTokenWarned.Load()
	if now-last < 60 || !e.coreTokenWarned.CompareAndSwap(last, now) {
		return
	}
	e.cfg.logger.Warn("ginsession: a SuperTokens core refresh token came, but no imported SuperTokens keys were loaded: run the import (docs/migrating-from-supertokens.md) before starting the instances, then restart them")
}

// coreCookies opens the core refresh tokens among the request's refresh
// cookies, for the theft check on those beside the token that counts.
func (re routeEngine) coreCookies(c *gin.Context) []*protocol.Adopted {
	e, r := re.e, c.Request
	if len(r.Header["Cookie"]) == 0 {
		return nil
	}
	vals, _ := transport.CookieValues(r, wire.RefreshCookie, make([]string, 0, protocol.MaxWider), stcore.LooksLikeRefreshToken)
	var out []*protocol.Adopted
	for _, v := range vals {
		if a, _, ok := e.adopt.openRefresh(e.rk, v); ok {
			out = append(out, a)
		}
	}
	return out
}

// readAdopted reads a refresh token of the SuperTokens core whose sessions
// were imported, for a request that presented none of ours. The first
// candidate that opens counts; the core's backend SDKs set one cookie, and
// tokens of other sessions beside it are left to the protocol to decide
// (theft, or a request that is nobody's).
func (re routeEngine) readAdopted(c *gin.Context, in *protocol.Request) (transport.Method, bool) {
	e, r := re.e, c.Request
	var found transport.Found
	transport.Find(r, wire.RefreshCookie, transport.Method(e.cfg.transferMethod(c, false)), stcore.LooksLikeRefreshToken, stcore.LooksLikeRefreshToken, &found)
	viaToken := e.csrf.modeFor(r, AntiCSRFAuto) == AntiCSRFViaToken
	got := r.Header.Get(wire.HeaderAntiCSRF)
	vals := found.Values()
	if found.Overflow {
		// More than the transport keeps: every one is looked at (up to a
		// bound), so that copies of another session's token sent first
		// cannot push the user's out of view.
		vals, _ = transport.CookieValues(r, wire.RefreshCookie, make([]string, 0, protocol.MaxWider), stcore.LooksLikeRefreshToken)
	}
	for _, v := range vals {
		a, rt, ok := e.adopt.openRefresh(e.rk, v)
		if !ok {
			continue
		}
		if found.Method == transport.Cookie && rt.AntiCSRFToken != "" && viaToken {
			want := rt.AntiCSRFToken
			a.CSRFMatches = func() bool { return adoptedCSRFMatches(want, got) }
		}
		if in.Adopted != nil {
			// Tokens of other sessions beside the first: the protocol
			// decides them together (protocol.Request.OtherAdopted).
			if a.Handle != in.Adopted.Handle {
				in.OtherAdopted = append(in.OtherAdopted, a)
			}
			continue
		}
		in.Found = 1
		in.FromCookies = found.Method == transport.Cookie
		in.CookiesBeside = found.CookiesBeside
		in.Adopted = a
		in.Client.UserAgent, in.Client.IP = clientMetadata(c, e.cfg.omitIP)
	}
	if in.Adopted != nil {
		if found.Method == transport.Header && found.CookiesBeside {
			in.ShadowedAdopted = re.coreCookies(c)
		}
		return found.Method, true
	}
	if found.N > 0 {
		e.cfg.logger.Warn("ginsession: a SuperTokens refresh token did not open under the imported key", "client_ip", c.ClientIP())
	}
	return "", false
}

// parseRefreshTokens returns the tokens of vals that authenticate.
func parseRefreshTokens(rk *refreshtoken.Keys, vals []string) []*refreshtoken.Token {
	toks := make([]*refreshtoken.Token, 0, len(vals))
	for _, v := range vals {
		if tok, ok := rk.Parse(v); ok {
			toks = append(toks, tok)
		}
	}
	return toks
}

// RefreshError is the session error of a refusal, theft or storage failure
// the protocol core answered, for a request whose tokens came by m.
func (routeEngine) RefreshError(err error, m transport.Method) error {
	method := TransferMethod(m)
	var refusal *protocol.Refusal
	var theft *protocol.Theft
	var storage *protocol.StorageError
	switch {
	case errors.As(err, &refusal):
		switch refusal.Clear {
		case protocol.ClearNothing:
			return unauthorised(false, "", refusal.Reason)
		case protocol.ClearCookies:
			return unauthorised(true, TransferCookie, refusal.Reason)
		case protocol.ClearEverywhere:
			return unauthorised(true, TransferAny, refusal.Reason)
		}
		return unauthorised(true, method, refusal.Reason)
	case errors.As(err, &theft):
		if theft.Clear == protocol.ClearEverywhere {
			method = TransferAny
		}
		return &respErr{kind: &TheftError{Handle: theft.Handle, UserID: theft.UserID}, clear: true, method: method}
	case errors.As(err, &storage):
		return storageErr(storage.Op, storage.Err)
	}
	return err
}

// AnnounceTheft tells the app about a session the protocol revoked after
// theft: the log, the TheftDetected hook, the revocation log. clientIP is
// Gin's ClientIP: it depends on the router's trusted proxies
// (gin.Engine.SetTrustedProxies), so behind no proxy trust nothing.
func (r routeEngine) AnnounceTheft(t protocol.Theft, clientIP string) {
	e := r.e
	e.cfg.logger.Warn("ginsession: refresh token theft detected", "session", t.Handle, "user", t.UserID, "generation", t.Generation, "current_generation", t.CurrentGeneration, "client_ip", clientIP)
	if e.cfg.hooks.TheftDetected != nil {
		e.cfg.hooks.TheftDetected(TheftEvent{SessionEvent: SessionEvent{Handle: t.Handle, UserID: t.UserID, Time: e.cfg.now()}, ClientIP: clientIP})
	}
	e.revoked(revokedTheft, t.Handle, t.UserID)
}
