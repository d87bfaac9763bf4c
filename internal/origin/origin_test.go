package origin

import (
	"net/http"
	"net/url"
	"testing"
)

// Sites as browsers draw them: an IP address is its own site, a host name's
// site is its registrable domain (eTLD+1, unknown TLDs such as localhost
// counting as public suffixes, as in Chromium's default rule).
func TestSiteOf(t *testing.T) {
	for _, tc := range []struct {
		host, site string
	}{
		{"localhost", "localhost"},
		{"LocalHost", "localhost"},
		{"a.localhost", "a.localhost"},
		{"b.a.localhost", "a.localhost"},
		{"127.0.0.1", "127.0.0.1"},
		{"127.0.0.2", "127.0.0.2"},
		{"192.168.1.10", "192.168.1.10"},
		{"::1", "::1"},
		{"0:0:0:0:0:0:0:1", "::1"},
		{"2001:DB8::A", "2001:db8::a"},
		{"::ffff:127.0.0.1", "::ffff:127.0.0.1"}, // a v4-mapped v6 host is not 127.0.0.1 to a browser
		{"app.example.com", "example.com"},
		{"API.Example.COM", "example.com"},
		{"a.github.io", "a.github.io"},
		{"x.a.github.io", "a.github.io"},
		{"a.b.co.uk", "b.co.uk"},
	} {
		if got := siteOf(tc.host); got != tc.site {
			t.Errorf("siteOf(%q) = %q, want %q", tc.host, got, tc.site)
		}
	}
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"127.0.0.1", "localhost", false},
		{"127.0.0.1", "127.0.0.2", false},
		{"::1", "localhost", false},
		{"::1", "127.0.0.1", false},
		{"::1", "0:0::1", true},
		{"localhost", "a.localhost", false},
		{"a.localhost", "b.localhost", false},
		{"a.localhost", "x.a.localhost", true},
		{"app.example.com", "api.example.com", true},
		{"a.github.io", "b.github.io", false},
		{"192.168.1.10", "192.168.1.11", false},
	} {
		if got := siteOf(tc.a) == siteOf(tc.b); got != tc.same {
			t.Errorf("%s and %s same site: %v, want %v (%q, %q)", tc.a, tc.b, got, tc.same, siteOf(tc.a), siteOf(tc.b))
		}
	}
}

func TestResolveSameSiteLocalHosts(t *testing.T) {
	u := func(s string) *url.URL {
		v, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		api, origin string
		want        http.SameSite
	}{
		{"http://localhost:8080", "http://127.0.0.1:5173", http.SameSiteNoneMode},
		{"http://127.0.0.1:8080", "http://localhost:5173", http.SameSiteNoneMode},
		{"http://127.0.0.1:8080", "http://127.0.0.2:5173", http.SameSiteNoneMode},
		{"http://[::1]:8080", "http://localhost:5173", http.SameSiteNoneMode},
		{"http://localhost:8080", "http://app.localhost:5173", http.SameSiteNoneMode},
		{"http://localhost:8080", "http://localhost:5173", http.SameSiteLaxMode},
		{"http://127.0.0.1:8080", "http://127.0.0.1:5173", http.SameSiteLaxMode},
		{"http://[::1]:8080", "http://[0::1]:5173", http.SameSiteLaxMode},
		{"https://api.example.com", "https://app.example.com", http.SameSiteLaxMode},
		{"https://a.github.io", "https://b.github.io", http.SameSiteNoneMode},
	} {
		// Not Secure: local hosts keep the exception that lets SameSite
		// none work without it.
		secure := u(tc.api).Scheme == "https"
		got, err := resolveSameSite("", u(tc.api), u(tc.origin), secure)
		if err != nil || got != tc.want {
			t.Errorf("API %s, frontend %s: %v %v, want %v", tc.api, tc.origin, got, err, tc.want)
		}
	}
}
