package transport

import (
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"

	"github.com/ginsession/ginsession/internal/wire"
)

// TestFindLegacyCookie: the older SDK's sIdRefreshToken is noticed in the
// same pass that finds the token, by whichever method the token came, and
// after an overflow stopped the scan early; an empty one is no cookie.
func TestFindLegacyCookie(t *testing.T) {
	tok := func(s string) bool { return strings.HasPrefix(s, "tok") }
	many := "sAccessToken=tok1; sAccessToken=tok2; sAccessToken=tok3; sAccessToken=tok4; sAccessToken=tok5"
	for _, c := range []struct {
		name, cookie, bearer string
		wantN                int
		wantMethod           Method
		wantOverflow, legacy bool
	}{
		{"cookie alone", "sAccessToken=tok1", "", 1, Cookie, false, false},
		{"cookie after legacy", "sIdRefreshToken=x; sAccessToken=tok1", "", 1, Cookie, false, true},
		{"cookie before legacy", "sAccessToken=tok1; sIdRefreshToken=x", "", 1, Cookie, false, true},
		{"legacy with spaces in name", "sAccessToken=tok1;  sIdRefreshToken =x", "", 1, Cookie, false, true},
		{"empty legacy", "sAccessToken=tok1; sIdRefreshToken=", "", 1, Cookie, false, false},
		{"quoted empty legacy", `sAccessToken=tok1; sIdRefreshToken=""`, "", 1, Cookie, false, false},
		{"bearer with legacy cookie", "sIdRefreshToken=x", "tokB", 1, Header, false, true},
		{"bearer without cookies", "", "tokB", 1, Header, false, false},
		{"overflow then legacy", many + "; sIdRefreshToken=x", "", 4, Cookie, true, true},
		{"overflow alone", many, "", 4, Cookie, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if c.cookie != "" {
				r.Header.Set("Cookie", c.cookie)
			}
			if c.bearer != "" {
				r.Header.Set("Authorization", "Bearer "+c.bearer)
			}
			var f Found
			Find(r, wire.AccessCookie, Any, tok, tok, &f)
			if f.N != c.wantN || f.Method != c.wantMethod || f.Overflow != c.wantOverflow || f.Legacy != c.legacy {
				t.Fatalf("Find = N %d method %q overflow %v legacy %v; want N %d method %q overflow %v legacy %v",
					f.N, f.Method, f.Overflow, f.Legacy, c.wantN, c.wantMethod, c.wantOverflow, c.legacy)
			}
			if got := HasCookie(r, wire.LegacyIDRefreshCookie); got != c.legacy {
				t.Fatalf("Find's Legacy %v disagrees with HasCookie %v", f.Legacy, got)
			}
		})
	}
}

// The scan's shortcuts answer as the functions they skip: trimSpace as
// textproto.TrimString (net/http's trimming), unquote as strings.Trim.
func TestScanShortcutsMatch(t *testing.T) {
	for _, s := range []string{
		"", " ", "a", " a", "a ", "\ta\r\n", "\va\f", "\u00a0a\u0085", "a\u2003", "\x01a\x7f", "! ~",
		`"`, `""`, `"a"`, `""a""`, `a"`, `"a`, ` "a" `, "\u00a0\"a\"",
	} {
		if got, want := trimSpace(s), textproto.TrimString(s); got != want {
			t.Errorf("trimSpace(%q) = %q, textproto.TrimString says %q", s, got, want)
		}
		if got, want := unquote(s), strings.Trim(s, `"`); got != want {
			t.Errorf("unquote(%q) = %q, strings.Trim says %q", s, got, want)
		}
	}
}

// A cookie name padded with white space that is not ASCII space (NBSP,
// NEL, \v, \f) names another cookie, as it does for net/http and for the
// browser: it is no candidate. Found by an outside trial: with
// strings.TrimSpace, "\u00a0sAccessToken", tossed in by a sibling site,
// counted as a second session cookie, every request was refused as
// ambiguous, and no refresh could clear it (its Set-Cookie names
// sAccessToken).
func TestCookieNamesTrimmedOfASCIISpaceOnly(t *testing.T) {
	for _, pad := range []string{"\u00a0", "\u0085", "\v", "\f", "\u2003"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Cookie"] = []string{"sAccessToken=a.b.c; " + pad + "sAccessToken=d.e.f", "sAccessToken" + pad + "=g.h.i"}
		var found Found
		Find(r, wire.AccessCookie, Any, nil, nil, &found)
		if got := found.Values(); len(got) != 1 || got[0] != "a.b.c" {
			t.Errorf("pad %q: candidates %q, want only a.b.c", pad, got)
		}
		var fromNetHTTP []string
		for _, c := range r.Cookies() {
			if c.Name == wire.AccessCookie {
				fromNetHTTP = append(fromNetHTTP, c.Value)
			}
		}
		if len(fromNetHTTP) != 1 || fromNetHTTP[0] != "a.b.c" {
			t.Errorf("pad %q: net/http reads %q", pad, fromNetHTTP)
		}
	}
	// ASCII space around names and parts is trimmed, as net/http trims it.
	r := httptest.NewRequest("GET", "/", nil)
	r.Header["Cookie"] = []string{" \tsAccessToken \t=a.b.c\t "}
	var found Found
	Find(r, wire.AccessCookie, Any, nil, nil, &found)
	if got := found.Values(); len(got) != 1 || got[0] != "a.b.c" {
		t.Errorf("ASCII space: candidates %q", got)
	}
}
