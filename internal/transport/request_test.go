package transport

import (
	"net/http/httptest"
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

// The cookie scan's shortcuts answer as the strings functions they skip.
func TestScanShortcutsMatchStrings(t *testing.T) {
	for _, s := range []string{
		"", " ", "a", " a", "a ", "\ta\r\n", "\va\f", "\u00a0a\u0085", "a\u2003",
		"\x01a\x7f", `"`, `""`, `"a"`, `""a""`, `a"`, `"a`, ` "a" `,
	} {
		if got, want := trimSpace(s), strings.TrimSpace(s); got != want {
			t.Errorf("trimSpace(%q) = %q, strings.TrimSpace says %q", s, got, want)
		}
		if got, want := unquote(s), strings.Trim(s, `"`); got != want {
			t.Errorf("unquote(%q) = %q, strings.Trim says %q", s, got, want)
		}
	}
}
