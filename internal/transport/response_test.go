package transport

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/internal/wire"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func settings() *Cookies {
	return &Cookies{
		Domain: ".example.test", OlderDomain: "", HasOlder: true, Strays: []string{"", ".api.example.test"},
		RefreshPath: "/auth/session/refresh", Secure: true, Now: func() time.Time { return t0 },
	}
}

// setCookies parses what a response wrote.
func setCookies(h http.Header) []*http.Cookie { return (&http.Response{Header: h}).Cookies() }

func TestIssueInCookieMode(t *testing.T) {
	h := http.Header{}
	r := &http.Request{Header: http.Header{"Origin": {"https://app.example.test"}}}
	err := settings().Response(r, h, http.SameSiteLaxMode).Issue(Cookie, Issued{
		UserID: "u", Access: "a.b.c", AccessExp: t0.Add(time.Hour), Refresh: "refresh", RefreshExp: t0.Add(24 * time.Hour), AntiCSRF: "csrf",
	})
	if err != nil {
		t.Fatal(err)
	}
	cs := setCookies(h)
	if len(cs) != 2 || cs[0].Name != wire.AccessCookie || cs[1].Name != wire.RefreshCookie {
		t.Fatalf("cookies %v", cs)
	}
	for _, c := range cs {
		if c.Domain != "example.test" || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("%s: attributes %+v", c.Name, c)
		}
	}
	if cs[1].Path != "/auth/session/refresh" || !cs[1].Expires.Equal(t0.Add(24*time.Hour)) {
		t.Errorf("refresh cookie %+v", cs[1])
	}
	if h.Get(wire.HeaderAccessToken) != "" || h.Get(wire.HeaderAntiCSRF) != "csrf" || h.Get(wire.HeaderFrontToken) == "" {
		t.Errorf("headers %v", h)
	}
	if !strings.Contains(h.Get(wire.HeaderExpose), "front-token") {
		t.Errorf("a cross-origin response does not expose front-token: %v", h)
	}
}

func TestIssueInHeaderModeWritesNoCookie(t *testing.T) {
	h := http.Header{}
	r := &http.Request{Header: http.Header{}}
	if err := settings().Response(r, h, http.SameSiteLaxMode).Issue(Header, Issued{UserID: "u", Access: "a.b.c", Refresh: "refresh", SessionOnly: true}); err != nil {
		t.Fatal(err)
	}
	if len(setCookies(h)) != 0 || h.Get(wire.HeaderAccessToken) != "a.b.c" || h.Get(wire.HeaderRefreshToken) != "refresh" || h.Get(wire.HeaderExpose) != "" {
		t.Fatalf("headers %v", h)
	}
}

// Clearing: both kinds (partitioned and not) on every stray domain, a
// host-only stray without a Domain attribute, the legacy cookie only when
// the request carries one.
func TestClears(t *testing.T) {
	c := settings()
	h := http.Header{}
	plain := &http.Request{Header: http.Header{}}
	c.Response(plain, h, http.SameSiteLaxMode).ClearStrays(wire.AccessCookie, "/")
	lines := h.Values("Set-Cookie")
	// Ours on CookieDomain of the other kind, then two kinds on each of two strays.
	if len(lines) != 5 {
		t.Fatalf("%d lines: %q", len(lines), lines)
	}
	var partitioned, hostOnly int
	for _, l := range lines {
		if strings.Contains(l, "Partitioned") {
			partitioned++
			if !strings.Contains(l, "SameSite=None") || !strings.Contains(l, "Secure") {
				t.Errorf("a partitioned clear that no browser takes: %q", l)
			}
		}
		if !strings.Contains(l, "Domain=") {
			hostOnly++
		}
	}
	if partitioned != 3 || hostOnly != 2 {
		t.Fatalf("%d partitioned, %d host-only lines: %q", partitioned, hostOnly, lines)
	}

	h = http.Header{}
	c.Response(plain, h, http.SameSiteLaxMode).ClearLegacy()
	if len(h.Values("Set-Cookie")) != 0 {
		t.Fatal("the legacy cookie was cleared although the request carries none")
	}
	legacy := &http.Request{Header: http.Header{"Cookie": {wire.LegacyIDRefreshCookie + "=x"}}}
	c.Response(legacy, h, http.SameSiteLaxMode).ClearLegacy()
	if n := len(h.Values("Set-Cookie")); n != 6 { // CookieDomain and two strays, two kinds each
		t.Fatalf("%d legacy clears", n)
	}

	h = http.Header{}
	c.Response(plain, h, http.SameSiteLaxMode).ClearTokens(Header)
	if len(h.Values("Set-Cookie")) != 0 || h.Get(wire.HeaderFrontToken) != "remove" || h[http.CanonicalHeaderKey(wire.HeaderAccessToken)][0] != "" {
		t.Fatalf("header-mode clear %v", h)
	}
	h = http.Header{}
	c.Response(plain, h, http.SameSiteLaxMode).ClearTokens(Cookie)
	// Both cookies on CookieDomain, then both on the older (host-only) domain in two kinds.
	if n := len(h.Values("Set-Cookie")); n != 6 || h.Get(wire.HeaderAccessToken) != "" {
		t.Fatalf("cookie-mode clear: %d lines, %v", n, h)
	}
}
