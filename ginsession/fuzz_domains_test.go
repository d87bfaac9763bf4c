package ginsession

// Fuzz targets for domains and origins: cookie-domain validation
// (FuzzCookieDomain) and origin matching (FuzzOriginFor).

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzCookieDomain: whatever ValidateCookieDomain accepts is a lower-case
// dotted host name that is not a public suffix, an IP or localhost.
func FuzzCookieDomain(f *testing.F) {
	for _, s := range []string{".example.com", "example.com", "com", "co.uk", "github.io", "127.0.0.1", "localhost", "a;b.com", "exa mple.com", "example.com:80", "https://example.com", "[::1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ValidateCookieDomain(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(d, ".") || strings.ToLower(d) != d || strings.ContainsAny(d, ":;/ [],") {
			t.Fatalf("%q accepted as %q", s, d)
		}
		if siteOf(d[1:]) == "localhost" {
			t.Fatalf("%q accepted but is local", s)
		}
	})
}

// FuzzOriginFor: the origin function only ever returns configured values.
func FuzzOriginFor(f *testing.F) {
	s, err := newSettings(Config{
		Store:     nopStore{},
		APIDomain: "https://api.example.com",
		Origins:   []string{"https://app.example.com", "http://localhost:3000"},
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, o := range []string{"https://evil.test", "null", "", "https://app.example.com.evil.test", "http://app.example.com", "https://app.example.com:444", "https://app.example.com\r\nX: y"} {
		f.Add(o)
	}
	f.Fuzz(func(t *testing.T, origin string) {
		r, _ := http.NewRequest("GET", "https://api.example.com/", nil)
		r.Header["Origin"] = []string{origin}
		got := s.originFor(r)
		if _, ok := s.origins[got]; !ok {
			t.Fatalf("origin %q resolved to unconfigured %q", origin, got)
		}
		if got != origin && got != s.website {
			t.Fatalf("origin %q resolved to %q", origin, got)
		}
	})
}
