package transport

import (
	"net/http"
	"net/textproto"
	"strings"

	"github.com/ginsession/ginsession/internal/wire"
)

// Method is how tokens travel; the values are ginsession.TransferMethod's.
type Method string

const (
	Any    Method = "any"    // either (verify and refresh)
	Cookie Method = "cookie" // the sAccessToken/sRefreshToken cookies
	Header Method = "header" // Authorization and the st-*-token headers
)

// MaxCandidates is how many token-shaped cookies of one name a request may
// carry before it authenticates nobody (docs/protocol.md §3).
const MaxCandidates = 4

// Found is a token taken from a request and the method it came by.
type Found struct {
	buf [MaxCandidates]string // backing store, so finding allocates nothing
	// N is the number of candidates: several only when duplicate cookies
	// were sent.
	N      int
	Method Method
	// Overflow is set when more token-shaped cookies of the name arrived
	// than are considered: nobody can tell which one the server set, so
	// the request authenticates nobody.
	Overflow bool
	// CookiesBeside is set when the token came from the header while the
	// request also carried session cookies (they get cleared).
	CookiesBeside bool
	// Legacy is set when a token was found and the request also carried
	// an older SDK's sIdRefreshToken cookie (docs/protocol.md §3). It is
	// learnt in the same pass over the Cookie header as the tokens.
	Legacy bool
}

// Values returns the candidates: one, or several duplicate cookies.
func (f *Found) Values() []string { return f.buf[:f.N] }

// First returns the first candidate ("" when there is none).
func (f *Found) First() string { return f.buf[0] }

// Bearer returns the Authorization bearer token, if any.
func Bearer(r *http.Request) string {
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

// CookieValues appends to dst the values of every cookie with this name
// that shaped accepts (nil: every non-empty value), up to cap(dst)-len(dst)
// of them; overflow reports that more were there. Values that do not have
// the shape of a token are skipped, so junk cookies cannot push the real
// one out of the candidates.
func CookieValues(r *http.Request, name string, dst []string, shaped func(string) bool) (vals []string, overflow bool) {
	vals, overflow, _ = scanCookies(r, name, dst, shaped, "")
	return vals, overflow
}

// scanCookies is CookieValues that also reports, in the same pass, whether
// a non-empty cookie named also came (always false for also ""). After an
// overflow the rest of the header is not read, so sawAlso may miss it.
func scanCookies(r *http.Request, name string, dst []string, shaped func(string) bool, also string) (vals []string, overflow, sawAlso bool) {
	for _, line := range r.Header["Cookie"] {
		for len(line) > 0 {
			var part string
			if i := strings.IndexByte(line, ';'); i >= 0 {
				part, line = line[:i], line[i+1:]
			} else {
				part, line = line, ""
			}
			part = trimSpace(part)
			eq := strings.IndexByte(part, '=')
			if eq < 0 {
				continue
			}
			// The part and the name are trimmed as net/http's parser trims
			// them, of ASCII space only, so both see the same cookies
			// ("sAccessToken =x" included). Trimming more (Unicode white
			// space, \v, \f) would count a cookie the browser holds under
			// another name, "\u00a0sAccessToken" say: one that another site
			// could toss in, and that a refresh could never clear.
			k, v := trimSpace(part[:eq]), unquote(part[eq+1:])
			if k != name {
				if also != "" && k == also && v != "" {
					sawAlso = true
				}
				continue
			}
			if v == "" || (shaped != nil && !shaped(v)) {
				continue
			}
			if len(dst) == cap(dst) {
				return dst, true, sawAlso
			}
			dst = append(dst, v)
		}
	}
	return dst, false, sawAlso
}

// trimSpace is textproto.TrimString, net/http's trimming of cookie parts
// and names (ASCII space, tab, CR and LF), without the call when neither end
// is at or below ' ': most parts, on every verified request.
func trimSpace(s string) string {
	if len(s) == 0 || s[0] > ' ' && s[len(s)-1] > ' ' {
		return s
	}
	return textproto.TrimString(s)
}

// unquote strips the double quotes a cookie value may be wrapped in, as
// many as there are on either end (strings.Trim's rule, kept from before).
func unquote(v string) string {
	if len(v) == 0 || v[0] != '"' && v[len(v)-1] != '"' {
		return v
	}
	return strings.Trim(v, "\"")
}

// HasCookie reports whether the request carries a non-empty cookie name.
func HasCookie(r *http.Request, name string) bool {
	var one [1]string
	vals, _ := CookieValues(r, name, one[:0], nil)
	return len(vals) > 0
}

// Duplicated reports whether the request carries more than one non-empty
// cookie of this name.
func Duplicated(r *http.Request, name string) bool {
	var two [2]string
	vals, overflow := CookieValues(r, name, two[:0], nil)
	return len(vals) > 1 || overflow
}

// HasSessionCookies reports whether either session cookie is present.
func HasSessionCookies(r *http.Request) bool {
	if len(r.Header["Cookie"]) == 0 { // the header-mode common case: one lookup
		return false
	}
	return HasCookie(r, wire.AccessCookie) || HasCookie(r, wire.RefreshCookie)
}

// Find locates the request's tokens in the cookie name or the
// Authorization header. The header wins over the cookie (docs/protocol.md
// §4), but only when bearerOK accepts its value: an app's own bearer value
// (an API key, another system's JWT) is not a session token, and the
// session cookie is used instead. Only cookie values cookieOK accepts are
// candidates. allowed limits the methods considered.
func Find(r *http.Request, name string, allowed Method, bearerOK, cookieOK func(string) bool, f *Found) {
	if allowed != Cookie {
		if b := Bearer(r); b != "" && bearerOK(b) {
			f.buf[0], f.N = b, 1
			f.Method = Header
			if len(r.Header["Cookie"]) > 0 {
				f.CookiesBeside = HasSessionCookies(r)
				f.Legacy = HasCookie(r, wire.LegacyIDRefreshCookie)
			}
			return
		}
	}
	if allowed != Header {
		var vals []string
		vals, f.Overflow, f.Legacy = scanCookies(r, name, f.buf[:0], cookieOK, wire.LegacyIDRefreshCookie)
		if f.N = len(vals); f.N > 0 || f.Overflow {
			f.Method = Cookie
		}
		if f.Overflow && !f.Legacy {
			// The scan stopped early: look at the rest.
			f.Legacy = HasCookie(r, wire.LegacyIDRefreshCookie)
		}
	}
}
