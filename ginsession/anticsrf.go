package ginsession

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync/atomic"

	"github.com/ginsession/ginsession/internal/accesstoken"
	"github.com/ginsession/ginsession/internal/jose"
	"github.com/ginsession/ginsession/internal/keycrypto"
	"github.com/ginsession/ginsession/internal/protocol"
	"github.com/ginsession/ginsession/internal/refreshtoken"
	"github.com/ginsession/ginsession/internal/transport"
	"github.com/ginsession/ginsession/internal/wire"
)

// antiCSRFKeys make and check the VIA_TOKEN anti-csrf tokens
// (docs/protocol.md §4). A token is an HMAC of the session handle, so it
// needs no storage and a token of another session never matches. Its key is
// derived from the same secret as the refresh-token keys, under its own
// label: the two never share key material.
type antiCSRFKeys struct {
	current  []byte   // issues tokens
	accepted [][]byte // keys of the other accepted secrets (Config.AcceptMasterKeys, AcceptStoredSecret)
}

func newAntiCSRFKeys(current []byte, accepted [][]byte) antiCSRFKeys {
	k := antiCSRFKeys{current: keycrypto.Derive(current, "ginsession anti-csrf")}
	for _, s := range accepted {
		k.accepted = append(k.accepted, keycrypto.Derive(s, "ginsession anti-csrf"))
	}
	return k
}

func antiCSRFTokenUnder(key []byte, handle string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(handle))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

// antiCSRF is the engine's anti-CSRF: the mode a request is held to, the
// VIA_TOKEN tokens, and the checks session creation makes before it touches
// the cookies a request carries (docs/protocol.md §4).
type antiCSRF struct {
	keys antiCSRFKeys
	cfg  *settings
	rk   *refreshtoken.Keys // names the sessions of carried refresh cookies
	// viaTokenRoute is set when a route is built with
	// Verify(WithAntiCSRF(AntiCSRFViaToken)) although the configured mode
	// is not VIA_TOKEN: the token is then issued too. Only building a
	// route sets it; no request does.
	viaTokenRoute atomic.Bool
}

func newAntiCSRF(cfg *settings, rk *refreshtoken.Keys, current []byte, accepted [][]byte) *antiCSRF {
	return &antiCSRF{keys: newAntiCSRFKeys(current, accepted), cfg: cfg, rk: rk}
}

// modeFor resolves the anti-CSRF mode for this request: override (a
// route's WithAntiCSRF) over the configured mode; auto is
// VIA_CUSTOM_HEADER when some frontend gets SameSite none cookies (a forged
// request picks its own Origin, so the Origin cannot decide), else NONE.
func (a *antiCSRF) modeFor(r *http.Request, override AntiCSRFMode) AntiCSRFMode {
	mode := a.cfg.antiCSRF
	if override != AntiCSRFAuto {
		mode = override
	}
	if mode != AntiCSRFAuto {
		return mode
	}
	if a.cfg.frontends.AnyCrossSite() {
		return AntiCSRFViaCustomHeader
	}
	return AntiCSRFNone
}

// issues reports whether sessions carry the anti-csrf token: the
// configured mode is VIA_TOKEN, or a route built with Verify demands it.
func (a *antiCSRF) issues() bool {
	return a.cfg.antiCSRF == AntiCSRFViaToken || a.viaTokenRoute.Load()
}

// header is the anti-csrf token to send with a session, or "" when
// sessions carry none.
func (a *antiCSRF) header(handle string) string {
	if !a.issues() {
		return ""
	}
	return a.keys.token(handle)
}

// matches reports whether got is the session's anti-csrf token.
func (a *antiCSRF) matches(handle, got string) bool { return a.keys.matches(handle, got) }

// token is the session's anti-csrf token under the current secret.
func (k antiCSRFKeys) token(handle string) string { return antiCSRFTokenUnder(k.current, handle) }

// matches reports whether got is the session's anti-csrf token under the
// current secret or an accepted one. Every key is tried, so the work does
// not tell which one matched.
func (k antiCSRFKeys) matches(handle, got string) bool {
	ok := subtle.ConstantTimeCompare([]byte(got), []byte(k.token(handle))) == 1
	for _, key := range k.accepted {
		ok = subtle.ConstantTimeCompare([]byte(got), []byte(antiCSRFTokenUnder(key, handle))) == 1 || ok
	}
	return ok
}

// cookiesMayChange reports whether a session creation may clear or
// replace the session cookies its request carries: it is a safe method,
// it carries none, or it shows it came from the app's frontend as the
// anti-CSRF mode asks — the rid header for VIA_CUSTOM_HEADER; for
// VIA_TOKEN the anti-csrf token of one of the carried sessions, or the rid
// header.
//
// A form on another site (or, under VIA_TOKEN, on a sibling subdomain) can
// POST to an app's sign-in route with the victim's cookies attached
// whenever they are SameSite=None (or, for a sibling, Lax), and it sends no
// st-auth-mode, so the request counts as header mode: clearing the "other
// method's" cookies there would let any site sign the user out, and writing
// cookies would swap the victim into the attacker's account. The same
// forged request to a protected route is refused by Verify.
//
// Under VIA_TOKEN the rid header is accepted here too, though Verify and
// the refresh route ask for the token: a form can send neither, and a
// frontend that lost its anti-csrf token while its HttpOnly cookies live
// on (site data cleared on the website's domain only) could otherwise
// never sign in again until they expire.
func (a *antiCSRF) cookiesMayChange(r *http.Request) bool {
	if safeMethod(r.Method) || !transport.HasSessionCookies(r) {
		return true
	}
	switch a.modeFor(r, AntiCSRFAuto) {
	case AntiCSRFViaCustomHeader:
		return r.Header.Get(wire.HeaderRID) != ""
	case AntiCSRFViaToken:
		if r.Header.Get(wire.HeaderRID) != "" {
			return true
		}
		got := r.Header.Get(wire.HeaderAntiCSRF)
		if got == "" {
			return false
		}
		// The handles are only names here: a match proves the sender read
		// that session's anti-csrf token, which only the app's frontend can.
		var buf [protocol.MaxWider]string
		access, _ := transport.CookieValues(r, wire.AccessCookie, buf[:0], jose.Shaped)
		for _, v := range access {
			if h, _ := accesstoken.PeekHandle(v); h != "" && a.matches(h, got) {
				return true
			}
		}
		refresh, _ := transport.CookieValues(r, wire.RefreshCookie, buf[:0], refreshtoken.Shaped)
		for _, v := range refresh {
			if tok, ok := a.rk.Parse(v); ok && a.matches(tok.Handle, got) {
				return true
			}
		}
		return false
	}
	return true
}

// foreignOrigin reports a request a browser sent for a page of another
// origin than the API's and its configured frontends': its Origin header
// names one ("null" included), or, without Origin, Sec-Fetch-Site says
// cross-site. Requests from other clients carry neither.
func (a *antiCSRF) foreignOrigin(r *http.Request) bool {
	if len(r.Header.Values("Origin")) > 1 {
		return true // no browser sends two
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return r.Header.Get("Sec-Fetch-Site") == "cross-site"
	}
	return !a.cfg.frontends.Ours(origin)
}
