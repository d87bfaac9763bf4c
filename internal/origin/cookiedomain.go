package origin

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// ValidateCookieDomain checks a cookie domain such as ".example.com" and
// returns it lower-cased with the leading dot. It refuses IPs, localhost,
// public suffixes (com, co.uk, github.io), ports, schemes, paths and any
// character a Set-Cookie header would mangle: Go's cookie writer silently
// drops a Domain attribute it finds invalid, which would turn a shared
// cookie into a host-only one without a word.
func ValidateCookieDomain(d string) (string, error) {
	if d == "" {
		return "", errors.New("empty cookie domain")
	}
	if len(d) > 253 {
		return "", errors.New("cookie domain longer than 253 characters")
	}
	if strings.Contains(d, "://") {
		return "", fmt.Errorf("%q: a cookie domain has no scheme", d)
	}
	for _, r := range d {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return "", fmt.Errorf("%q: invalid character %q (a cookie domain is a host name: letters, digits, '-' and '.'; no port, path or separator)", d, r)
		}
	}
	host := strings.ToLower(strings.TrimPrefix(d, "."))
	if host == "" || strings.HasPrefix(host, ".") || strings.HasSuffix(host, ".") || strings.Contains(host, "..") {
		return "", fmt.Errorf("%q: malformed host name", d)
	}
	if net.ParseIP(host) != nil || isAllDigitsAndDots(host) {
		return "", fmt.Errorf("%q: an IP address cannot be a cookie domain (use host-only cookies)", d)
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return "", fmt.Errorf("%q: browsers refuse localhost as a cookie domain (leave CookieDomain empty)", d)
	}
	for _, label := range strings.Split(host, ".") {
		if len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return "", fmt.Errorf("%q: malformed label %q", d, label)
		}
	}
	if ps, _ := publicsuffix.PublicSuffix(host); ps == host {
		return "", fmt.Errorf("%q is a public suffix: browsers refuse cookies for it", d)
	}
	if !strings.Contains(host, ".") {
		return "", fmt.Errorf("%q: a cookie domain needs at least two labels", d)
	}
	return "." + host, nil
}

func isAllDigitsAndDots(s string) bool {
	for _, r := range s {
		if r != '.' && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// DomainMatches reports whether host is covered by a ".example.com" domain.
func DomainMatches(host, domain string) bool {
	host = strings.ToLower(host)
	bare := strings.TrimPrefix(domain, ".")
	return host == bare || strings.HasSuffix(host, domain)
}

// StrayDomains are the cookie domains a browser may hold a cookie for,
// besides cookieDomain, the one ginsession sets ("" for host-only):
// host-only (when cookieDomain is set), and every parent domain of the API
// host down to its registrable domain (where a sibling subdomain can plant
// one). olderDomain (OlderCookieDomain), when set, is among them or added.
// hostOnly is the value that stands for host-only cookies in the answer
// and in olderDomain (ginsession.HostOnly, passed in so that the sentinel
// has one definition). Computed once at construction.
func StrayDomains(apiHost, cookieDomain, olderDomain, hostOnly string) []string {
	var out []string
	seen := map[string]bool{cookieDomain: true}
	if cookieDomain == "" {
		seen[hostOnly] = true
	}
	add := func(d string) {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	add(hostOnly)
	if olderDomain != "" {
		add(olderDomain)
	}
	host := strings.ToLower(apiHost)
	if net.ParseIP(host) != nil {
		return out
	}
	site, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return out
	}
	for d := host; ; {
		add("." + d)
		if d == site {
			break
		}
		_, parent, ok := strings.Cut(d, ".")
		if !ok {
			break
		}
		d = parent
	}
	return out
}
