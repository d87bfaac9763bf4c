package transport

// Fuzz target for token extraction (FuzzFindToken). Seed corpus:
// testdata/fuzz/FuzzFindToken/; scripts/fuzz.sh runs it.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ginsession/ginsession/internal/jose"
	"github.com/ginsession/ginsession/internal/refreshtoken"
	"github.com/ginsession/ginsession/internal/wire"
)

// FuzzFindToken: whatever the Authorization and Cookie headers hold, token
// extraction never panics, never returns more than MaxCandidates
// values, honours the allowed transfer method, lets the header win, and
// returns for a cookie name exactly what a browser-faithful parser (net/http)
// finds for it, plus possibly values net/http would drop as malformed.
func FuzzFindToken(f *testing.F) {
	f.Add("Bearer abc.def.ghi", "sAccessToken=a.b.c", "", uint8(0))
	f.Add("", "sAccessToken=one; sAccessToken=two; sRefreshToken=r", "sAccessToken=three", uint8(0))
	f.Add("bearer    ", "sAccessToken=\"quoted\"", "", uint8(1))
	f.Add("BEARER x", "", "sRefreshToken=a;sRefreshToken=b;sRefreshToken=c;sRefreshToken=d;sRefreshToken=e", uint8(2))
	f.Add("Basic dXNlcjpwYXNz", "sAccessToken=; sAccessToken==; =sAccessToken", "", uint8(0))
	f.Add("Bearer\ttab", " sAccessToken = spaced ", "sAccessToken", uint8(0))
	f.Fuzz(func(t *testing.T, authz, cookie1, cookie2 string, sel uint8) {
		r := &http.Request{Header: http.Header{}}
		if authz != "" {
			r.Header["Authorization"] = []string{authz}
		}
		for _, c := range []string{cookie1, cookie2} {
			if c != "" {
				r.Header["Cookie"] = append(r.Header["Cookie"], c)
			}
		}
		allowed := []Method{Any, Cookie, Header}[int(sel)%3]
		b := Bearer(r)
		if b != "" && (len(authz) <= 7 || !strings.EqualFold(authz[:7], "bearer ") || b != strings.TrimSpace(authz[7:])) {
			t.Fatalf("bearer(%q) = %q", authz, b)
		}
		for _, kind := range []struct {
			name   string
			shaped func(string) bool
		}{{wire.AccessCookie, jose.Shaped}, {wire.RefreshCookie, refreshtoken.Shaped}} {
			name := kind.name
			var found Found
			Find(r, name, allowed, kind.shaped, kind.shaped, &found)
			vals := found.Values()
			if found.N < 0 || found.N > MaxCandidates {
				t.Fatalf("%d candidates", found.N)
			}
			if found.N == 0 {
				if allowed != Cookie && b != "" && kind.shaped(b) {
					t.Fatalf("bearer %q present and allowed, but nothing found", b)
				}
				continue
			}
			for _, v := range vals {
				if v == "" {
					t.Fatal("empty candidate")
				}
			}
			switch found.Method {
			case Header:
				if allowed == Cookie || found.N != 1 || vals[0] != b {
					t.Fatalf("header token %q (allowed %s, bearer %q, n %d)", vals[0], allowed, b, found.N)
				}
				if found.CookiesBeside != HasSessionCookies(r) {
					t.Fatal("otherCookies disagrees with hasSessionCookies")
				}
			case Cookie:
				if allowed == Header {
					t.Fatal("cookie token returned although only the header is allowed")
				}
				if allowed != Cookie && b != "" && kind.shaped(b) {
					t.Fatal("cookie won over a token-shaped Authorization header")
				}
				for _, v := range vals {
					if !kind.shaped(v) {
						t.Fatalf("candidate %q does not have the shape of a %s", v, name)
					}
					if strings.Contains(v, ";") || strings.HasPrefix(v, `"`) || strings.HasSuffix(v, `"`) {
						t.Fatalf("candidate %q keeps a separator or quote", v)
					}
					if !strings.Contains(cookie1, v) && !strings.Contains(cookie2, v) {
						t.Fatalf("candidate %q is not in the Cookie headers", v)
					}
				}
				// Every token-shaped value net/http accepts for this name is
				// found, in order (ours may also hold ones net/http drops).
				if !found.Overflow {
					var want []string
					for _, c := range r.Cookies() {
						if c.Name == name && c.Value != "" && kind.shaped(c.Value) {
							want = append(want, c.Value)
						}
					}
					i := 0
					for _, v := range vals {
						if i < len(want) && v == want[i] {
							i++
						}
					}
					if i != len(want) {
						t.Fatalf("net/http finds %q for %s, findToken %q", want, name, vals)
					}
				}
			default:
				t.Fatalf("method %q", found.Method)
			}
		}
	})
}
