package ginsession

import "github.com/ginsession/ginsession/internal/origin"

// ValidateCookieDomain checks a cookie domain such as ".example.com" and
// returns it lower-cased with the leading dot. It refuses IPs, localhost,
// public suffixes (com, co.uk, github.io), ports, schemes, paths and any
// character a Set-Cookie header would mangle: Go's cookie writer silently
// drops a Domain attribute it finds invalid, which would turn a shared
// cookie into a host-only one without a word.
func ValidateCookieDomain(d string) (string, error) {
	return origin.ValidateCookieDomain(d)
}
