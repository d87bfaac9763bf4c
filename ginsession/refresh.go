package ginsession

import (
	"errors"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/protocol"
	"github.com/ginsession/ginsession/internal/refreshtoken"
	"github.com/ginsession/ginsession/internal/transport"
	"github.com/ginsession/ginsession/internal/wire"
)

// POST {base}/session/refresh, the HTTP side: read which refresh tokens the
// request carries (the transport rules of docs/protocol.md §3 and §4), hand
// them to the protocol core (internal/protocol decides rotation, theft and
// what to clear), then write its answer: the clears, the new tokens, the
// events.

// refresh serves POST {base}/session/refresh.
func (e *Sessions) refresh(c *gin.Context) error {
	retry := false
	err := e.refreshTokens(c, &retry)
	e.metrics.refreshed(err, retry)
	return err
}

// refreshTokens is refresh without the metrics; *retry is set when the
// request was a retry inside the grace window.
func (e *Sessions) refreshTokens(c *gin.Context, retry *bool) error {
	in, method := e.readRefresh(c)
	decided := e.machine.Refresh(c.Request.Context(), in)
	for _, t := range decided.Thefts {
		e.announceTheft(t, c.ClientIP())
	}
	out := e.out(c)
	if decided.ClearLegacy {
		out.ClearLegacy()
	}
	if decided.ClearStrays {
		out.ClearSessionStrays()
	}
	if decided.Err != nil {
		return refreshAnswer(decided.Err, method)
	}
	res := decided.Rotation
	*retry = res.Retry
	if decided.ClearCookiesBeside {
		out.ClearOwnCookies()
	}
	ctx := c.Request.Context()
	appPayload := decodeObject(res.Row.Payload)
	if err := e.actorAlive(ctx, appPayload, method, res.Row.Handle, res.Row.UserID); err != nil {
		return err
	}
	if len(e.cfg.claims) > 0 {
		fetched, err := e.fetchClaims(ctx, res.Row.UserID, appPayload, e.cfg.claims)
		if err != nil {
			return err
		}
		merged, err := e.mergePayload(ctx, res.Row.Handle, fetched)
		if err != nil {
			if errors.Is(err, ErrSessionNotFound) {
				return unauthorised(true, method, err)
			}
			return err
		}
		appPayload = merged.payload
	}
	access, full, exp, err := e.mintAccess(ctx, res.Row.UserID, res.Row.Handle, appPayload, res.Row.CreatedAt)
	if err != nil {
		return err
	}
	if err := out.Issue(transport.Method(method), transport.Issued{
		UserID: res.Row.UserID, Access: access, AccessExp: exp, Payload: full,
		Refresh: res.Child.String(), RefreshExp: e.sessionEnd(res.Row.CreatedAt, res.Expires), AntiCSRF: e.antiCSRFHeader(res.Row.Handle),
		SessionOnly: res.Row.BrowserSessionOnly,
	}); err != nil {
		return err
	}
	if e.cfg.hooks.Refreshed != nil {
		e.cfg.hooks.Refreshed(SessionEvent{Handle: res.Row.Handle, UserID: res.Row.UserID, Time: e.cfg.now()})
	}
	return nil
}

// readRefresh reads what the refresh request presented into the protocol's
// terms, and the transfer method its tokens came by.
func (e *Sessions) readRefresh(c *gin.Context) (protocol.Request, TransferMethod) {
	r := c.Request
	var found transport.Found
	forged := false
	authentic := func(v string) bool {
		if !refreshtoken.Shaped(v) {
			return false
		}
		if e.rk.Authentic(v) {
			return true
		}
		forged = true
		return false
	}
	transport.Find(r, wire.RefreshCookie, transport.Method(e.cfg.transferMethod(c, false)), refreshtoken.Shaped, authentic, &found)
	in := protocol.Request{
		Found:         found.N,
		FromCookies:   found.Method == transport.Cookie,
		Overflow:      found.Overflow,
		CookiesBeside: found.CookiesBeside,
		CSRFProven:    e.cfg.antiCSRFFor(r, AntiCSRFAuto) == AntiCSRFNone || r.Header.Get(wire.HeaderRID) != "",
		AllCookies: func() []*refreshtoken.Token {
			vals, _ := transport.CookieValues(r, wire.RefreshCookie, make([]string, 0, protocol.MaxWider), authentic)
			return e.parseAll(vals)
		},
	}
	for _, v := range found.Values() {
		tok, ok := e.rk.Parse(v)
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
	if in.Found == 0 && !in.Overflow {
		in.SessionCookies = transport.HasSessionCookies(r)
		return in, TransferCookie
	}
	if in.FromCookies {
		in.DuplicateAccess = transport.Duplicated(r, wire.AccessCookie)
		if e.cfg.antiCSRFFor(r, AntiCSRFAuto) == AntiCSRFViaToken {
			got := r.Header.Get(wire.HeaderAntiCSRF)
			in.AntiCSRF = func(handle string) bool { return e.csrf.matches(handle, got) }
		}
	}
	in.Client.UserAgent, in.Client.IP = e.clientMetadata(c)
	return in, TransferMethod(found.Method)
}

// parseAll returns the tokens of vals that authenticate.
func (e *Sessions) parseAll(vals []string) []*refreshtoken.Token {
	toks := make([]*refreshtoken.Token, 0, len(vals))
	for _, v := range vals {
		if tok, ok := e.rk.Parse(v); ok {
			toks = append(toks, tok)
		}
	}
	return toks
}

// refreshAnswer is the session error of a refusal, theft or storage failure
// the protocol core answered, for a request whose tokens came by method.
func refreshAnswer(err error, method TransferMethod) error {
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

// announceTheft tells the app about a session the protocol revoked after
// theft: the log, the TheftDetected hook, the revocation log. clientIP is
// Gin's ClientIP: it depends on the router's trusted proxies
// (gin.Engine.SetTrustedProxies), so behind no proxy trust nothing.
func (e *Sessions) announceTheft(t protocol.Theft, clientIP string) {
	e.cfg.logger.Warn("ginsession: refresh token theft detected", "session", t.Handle, "user", t.UserID, "generation", t.Generation, "current_generation", t.CurrentGeneration, "client_ip", clientIP)
	if e.cfg.hooks.TheftDetected != nil {
		e.cfg.hooks.TheftDetected(TheftEvent{SessionEvent: SessionEvent{Handle: t.Handle, UserID: t.UserID, Time: e.cfg.now()}, ClientIP: clientIP})
	}
	e.revoked(revokedTheft, t.Handle, t.UserID)
}
