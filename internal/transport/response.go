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
