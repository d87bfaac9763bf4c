package transport

import (
	"net/http"
	"time"

	"github.com/ginsession/ginsession/internal/wire"
)

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
