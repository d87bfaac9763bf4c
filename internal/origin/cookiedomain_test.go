package origin

import (
	"slices"
	"testing"
)

func TestDomainMatches(t *testing.T) {
	for _, tc := range []struct {
		host, domain string
		want         bool
	}{
		{"api.example.com", ".example.com", true},
		{"example.com", ".example.com", true},
		{"API.Example.com", ".example.com", true},
		{"a.b.example.com", ".example.com", true},
		{"badexample.com", ".example.com", false},
		{"example.com.evil.test", ".example.com", false},
		{"api.example.org", ".example.com", false},
	} {
		if got := DomainMatches(tc.host, tc.domain); got != tc.want {
			t.Errorf("DomainMatches(%q, %q) = %v, want %v", tc.host, tc.domain, got, tc.want)
		}
	}
}

// The stray domains: host-only unless it is ours, OlderCookieDomain, and
// each parent of the API host down to its registrable domain; never the
// domain ginsession sets, never twice.
func TestStrayDomains(t *testing.T) {
	const hostOnly = "<host-only>"
	for _, tc := range []struct {
		name                string
		host, cookie, older string
		want                []string
	}{
		{"host-only cookies", "api.example.com", "", "", []string{".api.example.com", ".example.com"}},
		{"on the registrable domain", "api.example.com", ".example.com", "", []string{hostOnly, ".api.example.com"}},
		{"deep host", "a.b.api.example.co.uk", ".api.example.co.uk", "", []string{hostOnly, ".a.b.api.example.co.uk", ".b.api.example.co.uk", ".example.co.uk"}},
		{"older domain among the parents: listed once", "api.example.com", "", ".example.com", []string{".example.com", ".api.example.com"}},
		{"older domain elsewhere: added", "api.example.com", ".example.com", ".old.example.com", []string{hostOnly, ".old.example.com", ".api.example.com"}},
		{"older host-only", "api.example.com", ".example.com", hostOnly, []string{hostOnly, ".api.example.com"}},
		{"registrable domain itself", "example.com", "", "", []string{".example.com"}},
		{"IP address: no parents", "127.0.0.1", "", "", nil},
		{"IPv6 address", "::1", "", "", nil},
		{"localhost", "localhost", "", "", nil},
		{"a host under a public suffix", "a.github.io", "", "", []string{".a.github.io"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := StrayDomains(tc.host, tc.cookie, tc.older, hostOnly)
			if !slices.Equal(got, tc.want) {
				t.Errorf("StrayDomains(%q, %q, %q) = %q, want %q", tc.host, tc.cookie, tc.older, got, tc.want)
			}
		})
	}
}
