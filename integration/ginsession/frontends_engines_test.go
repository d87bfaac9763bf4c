package ginsession_test

// Several engines in one process and the edges of frontend selection:
// one engine's resolved frontend never reaches another's cookies, a
// panicking or nil-request origin function, non-canonical address origins.

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// The frontend a request resolved to is cached in the gin.Context under
// one package-wide key, so a second Sessions (another configuration: a
// second API mounted on the same engine, or a migration running two side
// by side) touching the same request reads the first one's answer:
// FrontendOrigin returns an origin the second configuration does not list,
// and the second one's cookies get the first one's SameSite.
func TestFrontendsFrontendCacheIsPerSessions(t *testing.T) {
	st := openSQLite(t)
	a, err := ginsession.New(ginsession.Config{Store: st, APIDomain: "https://api.example.com",
		WebsiteDomain: "https://www.example.com", Origins: []string{"https://partner.example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ginsession.New(ginsession.Config{Store: st, APIDomain: "https://api.example.com",
		WebsiteDomain: "https://www.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest("GET", "https://api.example.com/x", nil)
	c.Request.Header.Set("Origin", "https://partner.example.org")
	if got := a.FrontendOrigin(c); got != "https://partner.example.org" {
		t.Fatalf("a: %q", got)
	}
	// b lists no partner.example.org: its answer must be its default.
	if got := b.FrontendOrigin(c); got != "https://www.example.com" {
		t.Errorf("b.FrontendOrigin = %q, an origin b's configuration does not list (cached by a)", got)
	}
}

// The same through cookies: b's session cookies, written after a resolved
// the request, carry the SameSite a decided for partner.example.org (None)
// instead of b's own (Lax for www.example.com, its only frontend).
func TestFrontendsFrontendCacheLeaksSameSiteAcrossSessions(t *testing.T) {
	st := openSQLite(t)
	a, err := ginsession.New(ginsession.Config{Store: st, APIDomain: "https://api.example.com",
		WebsiteDomain: "https://www.example.com", Origins: []string{"https://partner.example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ginsession.New(ginsession.Config{Store: st, APIDomain: "https://api.example.com",
		WebsiteDomain: "https://www.example.com", APIBasePath: "/v2/auth"})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	// (A GET, as a cross-origin fetch of the partner would send it: b
	// creates no cookie session for a POST from an origin it does not list.)
	r.GET("/signin", func(c *gin.Context) {
		_ = a.FrontendOrigin(c) // a middleware of the first API, say
		if _, err := b.Create(c, "u1", nil, nil); err != nil {
			b.HandleError(c, err)
			return
		}
		c.Status(200)
	})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest("GET", srv.URL+"/signin", nil)
	req.Header.Set("Origin", "https://partner.example.org")
	req.Header.Set("st-auth-mode", "cookie")
	req.Header.Set("rid", "anti-csrf")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.SameSite != http.SameSiteLaxMode {
			t.Errorf("b wrote %s with SameSite %v; b configures only www.example.com (Lax)", ck.Name, ck.SameSite)
		}
	}
	if len(resp.Cookies()) == 0 {
		t.Fatalf("no cookies: %d %v", resp.StatusCode, resp.Header)
	}
}

// New calls GetOrigin(nil) to find the default frontend. The natural
// origin function, which reads a header of the request, dereferences nil:
// New panics (a nil-pointer dereference in the app's code) instead of
// returning an error naming Config.GetOrigin.
func TestFrontendsGetOriginNilPanicIsAConfigError(t *testing.T) {
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Errorf("New panicked: %v (want an error naming Config.GetOrigin)", p)
			}
		}()
		_, err = ginsession.New(ginsession.Config{Store: openSQLite(t), APIDomain: "https://api.example.com",
			Origins:   []string{"https://*.tenants.example.com"},
			GetOrigin: func(r *http.Request) string { return r.Header.Get("X-Client") }})
	}()
	if err != nil && !strings.Contains(err.Error(), "Config.GetOrigin") {
		t.Errorf("error does not name the field: %v", err)
	}
}

// FrontendOrigin(nil) is documented to return the default frontend, decided
// by New. It calls GetOrigin(nil) again instead, so an origin function whose
// answer outside a request changes (configuration reloaded, a tenant
// chosen by a background job) makes FrontendOrigin(nil) return another
// frontend than the one the cookies of requests naming none get.
func TestFrontendsFrontendOriginNilIsTheDefault(t *testing.T) {
	answer := "https://acme.tenants.example.com"
	s, err := ginsession.New(ginsession.Config{Store: openSQLite(t), APIDomain: "https://api.example.com",
		Origins: []string{"https://*.tenants.example.com"},
		GetOrigin: func(r *http.Request) string {
			if r == nil {
				return answer
			}
			return ""
		}})
	if err != nil {
		t.Fatal(err)
	}
	answer = "https://globex.tenants.example.com"
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest("GET", "https://api.example.com/x", nil)
	if got, def := s.FrontendOrigin(nil), s.FrontendOrigin(c); got != def {
		t.Errorf("FrontendOrigin(nil) = %q, but the default frontend (a request naming none) is %q", got, def)
	}
}

// Origins in a form no browser sends are accepted and silently never match:
// a browser serialises an IPv6 host compressed ("[::1]") and an IPv4 host
// in dotted decimal ("127.0.0.1"). "http://[0:0::1]:3000" or
// "http://127.1:3000" is neither refused (the field named) nor
// canonicalised, so the frontend gets no CORS and default cookies.
func TestFrontendsNonCanonicalAddressOrigins(t *testing.T) {
	for cfgd, sent := range map[string]string{
		"http://[0:0::1]:3000":           "http://[::1]:3000",
		"http://[::FFFF:127.0.0.1]:3000": "http://[::ffff:7f00:1]:3000",
		"http://127.1:3000":              "http://127.0.0.1:3000",
		"http://2130706433:3000":         "http://127.0.0.1:3000",
	} {
		mw, err := ginsession.CORS(cfgd)
		if err != nil {
			continue // refused: fine
		}
		r := gin.New()
		r.Use(mw)
		r.GET("/x", func(c *gin.Context) { c.Status(200) })
		w := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "http://127.0.0.1:8080/x", nil)
		req.Header.Set("Origin", sent)
		r.ServeHTTP(w, req)
		if w.Header().Get("Access-Control-Allow-Origin") != sent {
			t.Errorf("%q accepted, but a browser's Origin %q for it is refused (%d)", cfgd, sent, w.Code)
		}
	}
}
