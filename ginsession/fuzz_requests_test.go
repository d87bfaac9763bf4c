package ginsession

// Fuzz target for what a request carries through the engine: the anti-CSRF
// check (FuzzAntiCSRF). Its seed corpus lives in testdata/fuzz/FuzzAntiCSRF/;
// scripts/fuzz.sh runs it for $FUZZTIME. Token extraction (FuzzFindToken) is
// fuzzed in internal/transport.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/wire"
)

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
	w := signInOn(f, e, "fuzz-user", "cookie")
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
