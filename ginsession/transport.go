package ginsession

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/refreshtoken"
	"github.com/ginsession/ginsession/internal/wire"
)

// maxCookieCandidates is how many token-shaped cookies of one name a request
// may carry before it authenticates nobody (transport rules,
// docs/protocol.md §3).
const maxCookieCandidates = 4

// exposedHeaders are the response headers a cross-origin frontend must read.
var exposedHeaders = wire.ExposedHeaders()

// foundToken is a token taken from a request and the method it came by.
type foundToken struct {
	buf    [maxCookieCandidates]string // backing store, so finding allocates nothing
	n      int                         // several only when duplicate cookies were sent
	method TransferMethod
	// overflow is set when more token-shaped cookies of the name arrived
	// than are considered: nobody can tell which one the server set, so the
	// request authenticates nobody.
	overflow bool
	// otherCookies is set when the token came from the header while the
	// request also carried session cookies (they get cleared).
	otherCookies bool
}

// values returns the candidates: one, or several duplicate cookies.
func (f *foundToken) values() []string { return f.buf[:f.n] }

// bearer returns the Authorization bearer token, if any.
func bearer(r *http.Request) string {
	// Indexed directly: the key is already canonical, so this skips
	// Header.Get's canonicalisation on the hot path.
	var h string
	if v := r.Header[wire.HeaderAuthorization]; len(v) > 0 {
		h = v[0]
	}
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// cookieValues appends to dst the values of every cookie with this name
// that shaped accepts (nil: every non-empty value), up to cap(dst)-len(dst)
// of them; overflow reports that more were there. Values that do not have
// the shape of a token are skipped, so junk cookies cannot push the real
// one out of the candidates.
func cookieValues(r *http.Request, name string, dst []string, shaped func(string) bool) (vals []string, overflow bool) {
	for _, line := range r.Header["Cookie"] {
		for len(line) > 0 {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimSpace(part)
			k, v, ok := strings.Cut(part, "=")
			// The name is trimmed as net/http's parser trims it, so both
			// see the same cookies ("sAccessToken =x" included).
			if !ok || strings.TrimSpace(k) != name {
				continue
			}
			v = strings.Trim(v, "\"")
			if v == "" || (shaped != nil && !shaped(v)) {
				continue
			}
			if len(dst) == cap(dst) {
				return dst, true
			}
			dst = append(dst, v)
		}
	}
	return dst, false
}

// hasCookie reports whether the request carries a non-empty cookie name.
func hasCookie(r *http.Request, name string) bool {
	var one [1]string
	vals, _ := cookieValues(r, name, one[:0], nil)
	return len(vals) > 0
}

// duplicated reports whether the request carries more than one non-empty
// cookie of this name.
func duplicated(r *http.Request, name string) bool {
	var two [2]string
	vals, overflow := cookieValues(r, name, two[:0], nil)
	return len(vals) > 1 || overflow
}

// hasSessionCookies reports whether either session cookie is present.
func hasSessionCookies(r *http.Request) bool {
	if len(r.Header["Cookie"]) == 0 { // the header-mode common case: one lookup
		return false
	}
	return hasCookie(r, wire.AccessCookie) || hasCookie(r, wire.RefreshCookie)
}

// findToken locates the request's tokens in the cookie name or the
// Authorization header. The header wins over the cookie (docs/protocol.md
// §4), but only when bearerOK accepts its value: an app's own bearer value
// (an API key, another system's JWT) is not a session token, and the
// session cookie is used instead. Only cookie values cookieOK accepts are
// candidates. allowed limits the methods considered.
func findToken(r *http.Request, name string, allowed TransferMethod, bearerOK, cookieOK func(string) bool, f *foundToken) {
	if allowed != TransferCookie {
		if b := bearer(r); b != "" && bearerOK(b) {
			f.buf[0], f.n = b, 1
			f.method = TransferHeader
			f.otherCookies = hasSessionCookies(r)
			return
		}
	}
	if allowed != TransferHeader {
		var vals []string
		vals, f.overflow = cookieValues(r, name, f.buf[:0], cookieOK)
		if f.n = len(vals); f.n > 0 || f.overflow {
			f.method = TransferCookie
		}
	}
}

// frontToken encodes the front-token header: standard base64 (not URL-safe)
// of {"uid","ate","up"}.
func frontToken(userID string, exp time.Time, payload map[string]any) (string, error) {
	b, err := json.Marshal(struct {
		UID string         `json:"uid"`
		ATE int64          `json:"ate"`
		UP  map[string]any `json:"up"`
	}{userID, exp.UnixMilli(), payload})
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// expose appends the protocol's response headers to
// Access-Control-Expose-Headers for cross-origin requests, keeping whatever
// a CORS middleware already put there.
func expose(c *gin.Context) {
	if c.Request.Header.Get("Origin") == "" {
		return
	}
	h := c.Writer.Header()
	present := map[string]bool{}
	for _, line := range h.Values(wire.HeaderExpose) {
		for _, name := range strings.Split(line, ",") {
			present[strings.ToLower(strings.TrimSpace(name))] = true
		}
	}
	var missing []string
	for _, name := range exposedHeaders {
		if !present[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		h.Add(wire.HeaderExpose, strings.Join(missing, ", "))
	}
}

// issued is what a response carries when a token pair or access token is
// issued.
type issued struct {
	userID     string
	access     string
	accessExp  time.Time
	payload    map[string]any
	refresh    *refreshtoken.Token // nil when only the access token changes
	refreshExp time.Time
	antiCSRF   string // "" unless VIA_TOKEN
	// sessionOnly: "remember me" was off; cookies get no Expires.
	sessionOnly bool
}

// setCookie writes one session cookie with the configured attributes.
func (e *Sessions) setCookie(c *gin.Context, name, value, path, domain string, expires time.Time) {
	c.Writer.Header().Add("Set-Cookie", e.cookie(c, name, value, path, domain, expires).String())
}

// cookie builds a session cookie with the configured attributes.
func (e *Sessions) cookie(c *gin.Context, name, value, path, domain string, expires time.Time) *http.Cookie {
	ck := &http.Cookie{
		Name:        name,
		Value:       value,
		Path:        path,
		Expires:     expires,
		HttpOnly:    true,
		Secure:      e.cfg.secure,
		SameSite:    e.frontendOf(c).SameSite,
		Partitioned: e.cfg.partitioned,
	}
	if domain != "" && domain != HostOnly {
		ck.Domain = domain
	}
	return ck
}

// writeIssued puts issued tokens on the response in the given method.
func (e *Sessions) writeIssued(c *gin.Context, method TransferMethod, t issued) error {
	ft, err := frontToken(t.userID, t.accessExp, t.payload)
	if err != nil {
		return err
	}
	h := c.Writer.Header()
	h.Set(wire.HeaderFrontToken, ft)
	if method == TransferCookie {
		accessExp, refreshExp := e.cfg.now().AddDate(1, 0, 0), t.refreshExp
		if t.sessionOnly {
			accessExp, refreshExp = time.Time{}, time.Time{} // no Expires: gone with the browser session
		}
		e.setCookie(c, wire.AccessCookie, t.access, "/", e.cfg.cookieDomain, accessExp)
		if t.refresh != nil {
			e.setCookie(c, wire.RefreshCookie, t.refresh.String(), e.cfg.refreshPath, e.cfg.cookieDomain, refreshExp)
		}
		if e.cfg.exposeAccess {
			// Config.ExposeAccessTokenInCookieMode: the SDK stores it for
			// getAccessToken(); without the refresh token beside it, it never
			// sends it as a bearer token, so the cookies stay the transport.
			h.Set(wire.HeaderAccessToken, t.access)
		}
	} else {
		h.Set(wire.HeaderAccessToken, t.access)
		if t.refresh != nil {
			h.Set(wire.HeaderRefreshToken, t.refresh.String())
		}
	}
	// In either method: the browser sends the cookie to a header-mode
	// frontend's API too, and verification asks for a refresh while it does.
	e.clearLegacyCookie(c)
	if t.antiCSRF != "" {
		h.Set(wire.HeaderAntiCSRF, t.antiCSRF)
	}
	expose(c)
	return nil
}

var epoch = time.Unix(0, 0).UTC()

// clearCookies expires both session cookies on the given domain.
func (e *Sessions) clearCookies(c *gin.Context, domain string) {
	e.setCookie(c, wire.AccessCookie, "", "/", domain, epoch)
	e.setCookie(c, wire.RefreshCookie, "", e.cfg.refreshPath, domain, epoch)
}

// expireStray expires a cookie ginsession did not set there. It is
// written twice, unpartitioned and partitioned, whatever CookiePartitioned
// says: a browser keys a cookie by its partition too, so each form removes
// only its own kind, and a stray can be of either. A page on a sibling
// subdomain sets unpartitioned cookies unless it asks otherwise, and
// partitioned ones if it asks (top-level, their partition is the site it
// shares with the frontend, so the browser sends them to the API beside
// ours); cookies written before CookiePartitioned was turned on or off are
// of the other kind. Expiring one form only would leave the other to send
// every call back to the refresh route. Where third-party cookies are
// blocked, the unpartitioned form is refused in an embedded frame; no
// unpartitioned cookie is sent from there either.
func (e *Sessions) expireStray(c *gin.Context, name, path, domain string) {
	e.expireAs(c, name, path, domain, e.cfg.partitioned) // ours first
	e.expireAs(c, name, path, domain, !e.cfg.partitioned)
}

// expireAs writes the clearing of a cookie of one kind, partitioned or
// not. A partitioned clear is Secure and SameSite=None, as browsers take a
// partitioned cookie only so (and a plant could only have been set so); on
// a plain-http API host a browser ignores it, and no such plant exists
// there.
func (e *Sessions) expireAs(c *gin.Context, name, path, domain string, partitioned bool) {
	ck := e.cookie(c, name, "", path, domain, epoch)
	ck.Partitioned = partitioned
	if partitioned {
		ck.Secure = true
		ck.SameSite = http.SameSiteNoneMode
	}
	c.Writer.Header().Add("Set-Cookie", ck.String())
}

// clearTokens removes the session from the frontend in the given method
// (TransferAny: both) and sends front-token: remove.
func (e *Sessions) clearTokens(c *gin.Context, method TransferMethod) {
	h := c.Writer.Header()
	if method != TransferHeader {
		e.clearCookies(c, e.cfg.cookieDomain)
		// A leftover on the older cookie domain would come back as a
		// duplicate of the next session's cookies.
		e.clearOlderDomain(c)
	}
	if method != TransferCookie {
		h.Set(wire.HeaderAccessToken, "")
		h.Set(wire.HeaderRefreshToken, "")
	}
	e.clearLegacyCookie(c)
	h.Set(wire.HeaderFrontToken, "remove")
	expose(c)
}

// clearOlderDomain clears the duplicate cookies left on the older cookie
// domain after CookieDomain changed (docs/protocol.md §3).
func (e *Sessions) clearOlderDomain(c *gin.Context) {
	if e.cfg.hasOlder {
		e.expireStray(c, wire.AccessCookie, "/", e.cfg.olderDomain)
		e.expireStray(c, wire.RefreshCookie, e.cfg.refreshPath, e.cfg.olderDomain)
	}
}

// clearStrays expires the named cookie on every stray domain, so a
// duplicate planted on a parent domain or left by an older configuration
// stops being sent. The cookie ginsession sets (on CookieDomain) is written
// by the caller after this. With CookiePartitioned that cookie is
// partitioned, so an unpartitioned one on CookieDomain itself is a stray
// too (planted beside it: script cannot overwrite an HttpOnly cookie, but
// ours is in another partition), and is expired first.
func (e *Sessions) clearStrays(c *gin.Context, name, path string) {
	// On CookieDomain itself only the other kind: ours is written after.
	e.expireAs(c, name, path, e.cfg.cookieDomain, !e.cfg.partitioned)
	for _, d := range e.strays {
		e.expireStray(c, name, path, d)
	}
}

// clearLegacyCookie expires the sIdRefreshToken cookie older SDKs left,
// when the request carries one. Verification answers "try refresh token"
// while the browser sends it (docs/protocol.md §3), so a copy left
// anywhere would send every call to the refresh route: it is expired on
// CookieDomain and on every stray domain (host-only, OlderCookieDomain,
// the API host and its parent domains, where a sibling subdomain can plant
// one), in both kinds: unpartitioned, as older SDKs' servers set it (they
// predate Partitioned), and partitioned (a copy planted in the partition).
func (e *Sessions) clearLegacyCookie(c *gin.Context) {
	if _, err := c.Request.Cookie(wire.LegacyIDRefreshCookie); err != nil {
		return
	}
	for _, d := range append([]string{e.cfg.cookieDomain}, e.strays...) {
		e.expireStray(c, wire.LegacyIDRefreshCookie, "/", d)
	}
}
