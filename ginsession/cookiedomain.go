package ginsession

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

// domainMatches reports whether host is covered by a ".example.com" domain.
func domainMatches(host, domain string) bool {
	host = strings.ToLower(host)
	bare := strings.TrimPrefix(domain, ".")
	return host == bare || strings.HasSuffix(host, domain)
}
