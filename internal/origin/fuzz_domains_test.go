package origin

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

// FuzzOriginFor: whatever the request's Origin header (or an origin
// function's answer) says, the frontend chosen is a configured entry, and
// its origin is either the default or the text given, when that text is
// already canonical and the entry it selects is the one that matches it.
func FuzzOriginFor(f *testing.F) {
	api, _ := Parse("https://api.example.com")
	base := Options{
		API:     api,
		Origins: []string{"https://app.example.com", "http://localhost:3000", "https://*.tenants.example.com"},
		Secure:  true,
	}
	byHeader, problems := Resolve(base)
	if problems != nil {
		f.Fatal(problems)
	}
	withFunc := base
	withFunc.GetOrigin = func(r *http.Request) string {
		if r == nil {
			return ""
		}
		return r.Header.Get("X-Frontend")
	}
	byFunc, problems := Resolve(withFunc)
	if problems != nil {
		f.Fatal(problems)
	}
	for _, o := range []string{"https://evil.test", "null", "", "https://app.example.com.evil.test", "http://app.example.com",
		"https://app.example.com:444", "https://app.example.com\r\nX: y", "https://acme.tenants.example.com",
		"https://a.b.tenants.example.com", "https://tenants.example.com", "https://*.tenants.example.com",
		"https://ACME.tenants.example.com:443", "https://acme.tenants.example.com.evil.test", "http://acme.tenants.example.com"} {
		f.Add(o)
	}
	configured := func(s *Frontends, fr *frontend) bool {
		if s.set.exact[fr.text] == fr {
			return true
		}
		for _, p := range s.set.patterns {
			if p == fr {
				return true
			}
		}
		return false
	}
	f.Fuzz(func(t *testing.T, origin string) {
		r, _ := http.NewRequest("GET", "https://api.example.com/", nil)
		r.Header["Origin"] = []string{origin}
		r.Header["X-Frontend"] = []string{origin}
		for name, s := range map[string]*Frontends{"Origin header": byHeader, "GetOrigin": byFunc} {
			got := s.For(r)
			if !configured(s, got.entry) {
				t.Fatalf("%s %q: frontend %q is not configured", name, origin, got.entry.text)
			}
			if got.SameSite != got.entry.sameSite {
				t.Fatalf("%s %q: SameSite %v, entry's %v", name, origin, got.SameSite, got.entry.sameSite)
			}
			if got.Origin == s.Default().Origin {
				continue
			}
			if got.Origin != originStringOf(t, origin) {
				t.Fatalf("%s %q resolved to %q", name, origin, got.Origin)
			}
			if got.entry.pattern && !got.entry.matches(got.Origin) || !got.entry.pattern && got.entry.text != got.Origin {
				t.Fatalf("%s %q: origin %q under entry %q", name, origin, got.Origin, got.entry.text)
			}
		}
	})
}

// originStringOf canonicalises an origin the test already knows parses.
func originStringOf(t *testing.T, o string) string {
	u, err := Parse(o)
	if err != nil {
		t.Fatalf("resolved from unparsable %q: %v", o, err)
	}
	return Canonical(u)
}
