package ginsession

// Fuzz targets for what a request carries: token extraction from headers
// and cookies (FuzzFindToken) and the anti-CSRF check (FuzzAntiCSRF). Their seed
// corpora live in testdata/fuzz/<FuzzName>/; scripts/fuzz.sh runs every
// target of this package for $FUZZTIME.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/jose"
	"github.com/ginsession/ginsession/internal/refreshtoken"
	"github.com/ginsession/ginsession/internal/transport"
	"github.com/ginsession/ginsession/internal/wire"
)

// FuzzFindToken: whatever the Authorization and Cookie headers hold, token
// extraction never panics, never returns more than transport.MaxCandidates
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
		allowed := []TransferMethod{TransferAny, TransferCookie, TransferHeader}[int(sel)%3]
		b := transport.Bearer(r)
		if b != "" && (len(authz) <= 7 || !strings.EqualFold(authz[:7], "bearer ") || b != strings.TrimSpace(authz[7:])) {
			t.Fatalf("bearer(%q) = %q", authz, b)
		}
		for _, kind := range []struct {
			name   string
			shaped func(string) bool
		}{{wire.AccessCookie, jose.Shaped}, {wire.RefreshCookie, refreshtoken.Shaped}} {
			name := kind.name
			var found transport.Found
			transport.Find(r, name, transport.Method(allowed), kind.shaped, kind.shaped, &found)
			vals := found.Values()
			if found.N < 0 || found.N > transport.MaxCandidates {
				t.Fatalf("%d candidates", found.N)
			}
			if found.N == 0 {
				if allowed != TransferCookie && b != "" && kind.shaped(b) {
					t.Fatalf("bearer %q present and allowed, but nothing found", b)
				}
				continue
			}
			for _, v := range vals {
				if v == "" {
					t.Fatal("empty candidate")
				}
			}
			switch TransferMethod(found.Method) {
			case TransferHeader:
				if allowed == TransferCookie || found.N != 1 || vals[0] != b {
					t.Fatalf("header token %q (allowed %s, bearer %q, n %d)", vals[0], allowed, b, found.N)
				}
				if found.CookiesBeside != transport.HasSessionCookies(r) {
					t.Fatal("otherCookies disagrees with hasSessionCookies")
				}
			case TransferCookie:
				if allowed == TransferHeader {
					t.Fatal("cookie token returned although only the header is allowed")
				}
				if allowed != TransferCookie && b != "" && kind.shaped(b) {
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
				t.Fatalf("method %q", TransferMethod(found.Method))
			}
		}
	})
}

// FuzzAntiCSRF: through an engine's Verify middleware on a cookie-mode
// request, a state-changing request passes the VIA_TOKEN check exactly when
// its anti-csrf header equals the session's token, and the
// VIA_CUSTOM_HEADER check exactly when it carries a non-empty rid header;
// safe methods always pass. Never a panic, never a 5xx.
func FuzzAntiCSRF(f *testing.F) {
	gin.SetMode(gin.TestMode)
	e, _ := fuzzEngine(f, func(c *Config) { c.AntiCSRF = AntiCSRFViaToken })
	r := gin.New()
	ok := func(c *gin.Context) { c.Status(http.StatusNoContent) }
	r.Any("/token", e.Verify(), ok)
	r.Any("/header", e.Verify(WithAntiCSRF(AntiCSRFViaCustomHeader)), ok)
	r.POST("/signin", func(c *gin.Context) {
		if _, err := e.Create(c, "fuzz-user", nil, nil); err != nil {
			e.HandleError(c, err)
		}
	})
	req := httptest.NewRequest("POST", "/signin", nil)
	req.Header.Set("st-auth-mode", "cookie")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	want := w.Header().Get("anti-csrf")
	var access string
	for _, ck := range (&http.Response{Header: w.Header()}).Cookies() {
		if ck.Name == wire.AccessCookie {
			access = ck.Value
		}
	}
	if want == "" || access == "" || w.Code != 200 {
		f.Fatalf("sign-in: %d, anti-csrf %q", w.Code, want)
	}
	f.Add(want, "anti-csrf", uint8(0))
	f.Add(strings.ToLower(want), "", uint8(1))
	f.Add(want[:len(want)-1], "session", uint8(2))
	f.Add(want+"=", "x", uint8(3))
	f.Add(" "+want, "", uint8(4))
	methods := []string{"POST", "PUT", "PATCH", "DELETE", "GET", "HEAD", "OPTIONS"}
	f.Fuzz(func(t *testing.T, csrf, rid string, sel uint8) {
		method := methods[int(sel)%len(methods)]
		safe := method == "GET" || method == "HEAD" || method == "OPTIONS"
		for _, path := range []string{"/token", "/header"} {
			req := &http.Request{Method: method, URL: &url.URL{Path: path}, Header: http.Header{}, Host: "api.example.test"}
			req = req.WithContext(context.Background())
			req.Header["Cookie"] = []string{wire.AccessCookie + "=" + access}
			if csrf != "" {
				req.Header["Anti-Csrf"] = []string{csrf}
			}
			if rid != "" {
				req.Header["Rid"] = []string{rid}
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			pass := safe || (path == "/token" && csrf == want) || (path == "/header" && rid != "")
			switch {
			case pass && w.Code != http.StatusNoContent:
				t.Fatalf("%s %s anti-csrf %q rid %q: %d %s, want it through", method, path, csrf, rid, w.Code, w.Body)
			case !pass && (w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "try refresh token")):
				t.Fatalf("%s %s anti-csrf %q rid %q: %d %s, want 401 try refresh token", method, path, csrf, rid, w.Code, w.Body)
			case !pass && w.Header().Get("front-token") != "":
				t.Fatalf("a refused anti-CSRF check touched the frontend's session")
			}
		}
	})
}
