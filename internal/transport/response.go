package transport

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/ginsession/ginsession/internal/wire"
)

// Cookies are one engine's cookie settings, resolved from its Config.
// A domain "" means a host-only cookie (no Domain attribute).
type Cookies struct {
	Domain      string   // CookieDomain
	OlderDomain string   // OlderCookieDomain, when HasOlder
	HasOlder    bool     //
	Strays      []string // every other domain a copy of our cookies may sit on
	RefreshPath string   // the refresh cookie's Path
	Secure      bool
	Partitioned bool
	// ExposeAccess: Config.ExposeAccessTokenInCookieMode.
	ExposeAccess bool
	Now          func() time.Time
}

// Response writes one response's session cookies and headers.
type Response struct {
	c        *Cookies
	r        *http.Request
	h        http.Header
	sameSite http.SameSite
}

// Response returns the writer of the response to r whose headers are h,
// with the SameSite attribute of the request's frontend.
func (c *Cookies) Response(r *http.Request, h http.Header, sameSite http.SameSite) Response {
	return Response{c: c, r: r, h: h, sameSite: sameSite}
}

// Issued is what a response carries when a token pair or access token is
// issued.
type Issued struct {
	UserID    string
	Access    string
	AccessExp time.Time
	Payload   map[string]any // the front-token's "up"
	// Refresh is the new refresh token; "" when only the access token
	// changes.
	Refresh    string
	RefreshExp time.Time
	AntiCSRF   string // "" when sessions carry none
	// SessionOnly: "remember me" was off; cookies get no Expires.
	SessionOnly bool
}

// Issue puts issued tokens on the response in the given method.
func (w Response) Issue(method Method, t Issued) error {
	ft, err := FrontToken(t.UserID, t.AccessExp, t.Payload)
	if err != nil {
		return err
	}
	w.h.Set(wire.HeaderFrontToken, ft)
	if method == Cookie {
		accessExp, refreshExp := w.c.Now().AddDate(1, 0, 0), t.RefreshExp
		if t.SessionOnly {
			accessExp, refreshExp = time.Time{}, time.Time{} // no Expires: gone with the browser session
		}
		w.set(wire.AccessCookie, t.Access, "/", w.c.Domain, accessExp)
		if t.Refresh != "" {
			w.set(wire.RefreshCookie, t.Refresh, w.c.RefreshPath, w.c.Domain, refreshExp)
		}
		if w.c.ExposeAccess {
			// Config.ExposeAccessTokenInCookieMode: the SDK stores it for
			// getAccessToken(); without the refresh token beside it, it never
			// sends it as a bearer token, so the cookies stay the transport.
			w.h.Set(wire.HeaderAccessToken, t.Access)
		}
	} else {
		w.h.Set(wire.HeaderAccessToken, t.Access)
		if t.Refresh != "" {
			w.h.Set(wire.HeaderRefreshToken, t.Refresh)
		}
	}
	// In either method: the browser sends the cookie to a header-mode
	// frontend's API too, and verification asks for a refresh while it does.
	w.ClearLegacy()
	if t.AntiCSRF != "" {
		w.h.Set(wire.HeaderAntiCSRF, t.AntiCSRF)
	}
	w.Expose()
	return nil
}

// FrontToken encodes the front-token header: standard base64 (not
// URL-safe) of {"uid","ate","up"}.
func FrontToken(userID string, exp time.Time, payload map[string]any) (string, error) {
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

// ExposedHeaders are the response headers a cross-origin frontend must
// read.
var ExposedHeaders = wire.ExposedHeaders()

// Expose appends the protocol's response headers to
// Access-Control-Expose-Headers for cross-origin requests, keeping whatever
// a CORS middleware already put there.
func (w Response) Expose() {
	if w.r.Header.Get("Origin") == "" {
		return
	}
	present := map[string]bool{}
	for _, line := range w.h.Values(wire.HeaderExpose) {
		for _, name := range strings.Split(line, ",") {
			present[strings.ToLower(strings.TrimSpace(name))] = true
		}
	}
	var missing []string
	for _, name := range ExposedHeaders {
		if !present[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		w.h.Add(wire.HeaderExpose, strings.Join(missing, ", "))
	}
}

// set writes one session cookie with the configured attributes.
func (w Response) set(name, value, path, domain string, expires time.Time) {
	w.h.Add("Set-Cookie", w.cookie(name, value, path, domain, expires).String())
}

// cookie builds a session cookie with the configured attributes.
func (w Response) cookie(name, value, path, domain string, expires time.Time) *http.Cookie {
	return &http.Cookie{
		Name:        name,
		Value:       value,
		Path:        path,
		Domain:      domain,
		Expires:     expires,
		HttpOnly:    true,
		Secure:      w.c.Secure,
		SameSite:    w.sameSite,
		Partitioned: w.c.Partitioned,
	}
}

// Clearing.

var epoch = time.Unix(0, 0).UTC()

// ClearCookies expires both session cookies on the given domain.
func (w Response) ClearCookies(domain string) {
	w.set(wire.AccessCookie, "", "/", domain, epoch)
	w.set(wire.RefreshCookie, "", w.c.RefreshPath, domain, epoch)
}

// ClearOwnCookies expires both session cookies on CookieDomain.
func (w Response) ClearOwnCookies() { w.ClearCookies(w.c.Domain) }

// ClearTokens removes the session from the frontend in the given method
// (Any: both) and sends front-token: remove.
func (w Response) ClearTokens(method Method) {
	if method != Header {
		w.ClearCookies(w.c.Domain)
		// A leftover on the older cookie domain would come back as a
		// duplicate of the next session's cookies.
		w.ClearOlderDomain()
	}
	if method != Cookie {
		w.h.Set(wire.HeaderAccessToken, "")
		w.h.Set(wire.HeaderRefreshToken, "")
	}
	w.ClearLegacy()
	w.h.Set(wire.HeaderFrontToken, "remove")
	w.Expose()
}

// ClearOlderDomain clears the duplicate cookies left on the older cookie
// domain after CookieDomain changed (docs/protocol.md §3).
func (w Response) ClearOlderDomain() {
	if w.c.HasOlder {
		w.expireStray(wire.AccessCookie, "/", w.c.OlderDomain)
		w.expireStray(wire.RefreshCookie, w.c.RefreshPath, w.c.OlderDomain)
	}
}

// ClearStrays expires the named session cookie on every stray domain, so a
// duplicate planted on a parent domain or left by an older configuration
// stops being sent. The cookie ginsession sets (on CookieDomain) is
// written by the caller after this. With Partitioned cookies, an
// unpartitioned one on CookieDomain itself is a stray too (planted beside
// ours: script cannot overwrite an HttpOnly cookie, but ours is in another
// partition), and is expired first.
func (w Response) ClearStrays(name, path string) {
	// On CookieDomain itself only the other kind: ours is written after.
	w.expireAs(name, path, w.c.Domain, !w.c.Partitioned)
	for _, d := range w.c.Strays {
		w.expireStray(name, path, d)
	}
}

// ClearSessionStrays expires both session cookies' strays (ClearStrays).
func (w Response) ClearSessionStrays() {
	w.ClearStrays(wire.AccessCookie, "/")
	w.ClearStrays(wire.RefreshCookie, w.c.RefreshPath)
}

// ClearLegacy expires the sIdRefreshToken cookie older SDKs left, when the
// request carries one. Verification answers "try refresh token" while the
// browser sends it (docs/protocol.md §3), so a copy left anywhere would
// send every call to the refresh route: it is expired on CookieDomain and
// on every stray domain (host-only, OlderCookieDomain, the API host and
// its parent domains, where a sibling subdomain can plant one), in both
// kinds: unpartitioned, as older SDKs' servers set it (they predate
// Partitioned), and partitioned (a copy planted in the partition).
func (w Response) ClearLegacy() {
	if _, err := w.r.Cookie(wire.LegacyIDRefreshCookie); err != nil {
		return
	}
	w.expireStray(wire.LegacyIDRefreshCookie, "/", w.c.Domain)
	for _, d := range w.c.Strays {
		w.expireStray(wire.LegacyIDRefreshCookie, "/", d)
	}
}

// expireStray expires a cookie ginsession did not set there. It is
// written twice, unpartitioned and partitioned, whatever Partitioned says:
// a browser keys a cookie by its partition too, so each form removes only
// its own kind, and a stray can be of either. A page on a sibling
// subdomain sets unpartitioned cookies unless it asks otherwise, and
// partitioned ones if it asks (top-level, their partition is the site it
// shares with the frontend, so the browser sends them to the API beside
// ours); cookies written before Partitioned was turned on or off are of
// the other kind. Expiring one form only would leave the other to send
// every call back to the refresh route. Where third-party cookies are
// blocked, the unpartitioned form is refused in an embedded frame; no
// unpartitioned cookie is sent from there either.
func (w Response) expireStray(name, path, domain string) {
	w.expireAs(name, path, domain, w.c.Partitioned) // ours first
	w.expireAs(name, path, domain, !w.c.Partitioned)
}

// expireAs writes the clearing of a cookie of one kind, partitioned or
// not. A partitioned clear is Secure and SameSite=None, as browsers take a
// partitioned cookie only so (and a plant could only have been set so); on
// a plain-http API host a browser ignores it, and no such plant exists
// there.
func (w Response) expireAs(name, path, domain string, partitioned bool) {
	ck := w.cookie(name, "", path, domain, epoch)
	ck.Partitioned = partitioned
	if partitioned {
		ck.Secure = true
		ck.SameSite = http.SameSiteNoneMode
	}
	w.h.Add("Set-Cookie", ck.String())
}

// SetBound writes a cookie the session cookies' way (HttpOnly, Secure,
// SameSite of the frontend, CookieDomain) on the refresh path, kept maxAge
// seconds: the DBSC bound cookie. It returns the cookie's attributes as
// DBSC's credentials list names them (Path, Domain, Secure, HttpOnly,
// SameSite; no lifetime), which must be exactly the Set-Cookie's.
func (w Response) SetBound(name, value string, maxAge int) (attributes string) {
	c := w.cookie(name, value, w.c.RefreshPath, w.c.Domain, time.Time{})
	c.Partitioned = false // DBSC refuses partitioned credentials
	c.MaxAge = maxAge
	w.h.Add("Set-Cookie", c.String())
	c.Value, c.MaxAge = "", 0
	_, attributes, _ = strings.Cut(c.String(), "; ")
	return attributes
}
