// Package origin is how ginsession tells its frontends apart: parsing and
// canonicalising origins, sites as browsers draw them, the configured
// frontends and their patterns, the SameSite each gets, cookie domains,
// and which configured frontend a request is for. It takes a small
// Options value (the frontend fields of Config, already read), not the
// engine's settings, and imports no engine code, so each rule can be
// tested here on its own.
//
// Nothing here trusts text a request chose: a request only ever selects
// one of the entries resolved at construction.
package origin

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Parse accepts "scheme://host[:port]" with an optional trailing "/".
func Parse(o string) (*url.URL, error) {
	if o == "" {
		return nil, errors.New("required, e.g. \"https://api.example.com\"")
	}
	if strings.ContainsAny(o, " \t\r\n;,") {
		return nil, fmt.Errorf("%q contains spaces or separators", o)
	}
	u, err := url.Parse(o)
	if err != nil {
		return nil, fmt.Errorf("%q: %v", o, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q: scheme must be http or https", o)
	}
	if u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q: want scheme://host[:port] only", o)
	}
	if !validHost(u.Hostname()) {
		return nil, fmt.Errorf("%q: %q is not a host name or IP address", o, u.Hostname())
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || strings.HasPrefix(p, "0") {
			return nil, fmt.Errorf("%q: port %q out of range", o, p)
		}
	}
	return u, nil
}

// validHost accepts an IP literal or an ASCII host name of valid labels
// (what a browser puts in an Origin header). Hosts a browser would read as
// another spelling of an address are refused, as it would never send them:
// a name ending in a number ("127.1", "2130706433", "0x7f.1" are IPv4
// addresses to a browser) and an IPv4-mapped IPv6 address (which browsers
// write in hexadecimal). Other IP literals are canonicalised by
// Canonical.
func validHost(h string) bool {
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip.Zone() == "" && !ip.Is4In6()
	}
	if h == "" || len(h) > 253 || endsInNumber(h) {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// endsInNumber reports whether a host name's last label is a number,
// decimal or 0x-hexadecimal: the URL standard parses such a host as an
// IPv4 address.
func endsInNumber(h string) bool {
	labels := strings.Split(strings.TrimSuffix(h, "."), ".")
	last := strings.ToLower(labels[len(labels)-1])
	if last == "" {
		return false
	}
	if strings.Trim(last, "0123456789") == "" {
		return true
	}
	return strings.HasPrefix(last, "0x") && strings.Trim(last[2:], "0123456789abcdef") == ""
}

// Canonical renders an origin canonically, as browsers write it:
// lower-case scheme and host, IP addresses in their shortest form, default
// ports dropped.
func Canonical(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	if ip, err := netip.ParseAddr(host); err == nil {
		host = ip.String()
	}
	port := u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return strings.ToLower(u.Scheme) + "://" + host
}

// isLocal reports whether a host is localhost, a .localhost name or an IP
// address: where SameSite none is allowed without Secure when both ends
// are local (resolveSameSite). It says nothing about sites: two local
// hosts are usually two sites (siteOf).
func isLocal(host string) bool {
	host = strings.ToLower(host)
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || net.ParseIP(host) != nil
}

// siteOf returns a host's site as browsers draw it (the scheme is compared
// separately): an IP address is its own site, in canonical form, so
// 127.0.0.1, 127.0.0.2, ::1 and localhost are four sites; a host name's site
// is its registrable domain (eTLD+1), a name that is itself a public suffix
// being its own site. Unlisted TLDs count as public suffixes (the list's
// default rule, as in Chromium), so localhost is "localhost" and
// a.localhost and b.localhost are two sites.
func siteOf(host string) string {
	host = strings.ToLower(host)
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.String()
	}
	site, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	return site
}

// resolveSameSite picks the SameSite attribute for cookies the frontend at
// origin sends to api: in auto mode, none when the two differ in scheme or
// site (schemeful same-site, siteOf), else lax.
func resolveSameSite(mode string, api, origin *url.URL, secure bool) (http.SameSite, error) {
	var ss http.SameSite
	switch mode {
	case "lax":
		ss = http.SameSiteLaxMode
	case "strict":
		ss = http.SameSiteStrictMode
	case "none":
		ss = http.SameSiteNoneMode
	default:
		ss = http.SameSiteLaxMode
		if api.Scheme != origin.Scheme || siteOf(api.Hostname()) != siteOf(origin.Hostname()) {
			ss = http.SameSiteNoneMode
		}
	}
	// Both ends local (http://localhost and loopback addresses are
	// potentially trustworthy to browsers): none without Secure, as in
	// development on http://localhost:8080 and http://127.0.0.1:5173.
	if ss == http.SameSiteNoneMode && !secure && !(isLocal(api.Hostname()) && isLocal(origin.Hostname())) {
		return ss, errors.New("SameSite none requires Secure cookies (an https APIDomain or CookieSecure) unless API and frontend are both localhost or IP addresses")
	}
	return ss, nil
}
