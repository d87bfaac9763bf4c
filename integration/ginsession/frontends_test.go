package ginsession_test

// Several frontends: origin patterns (validation and the SameSite each
// decides), the GetOrigin guard, FrontendOrigin, Partitioned cookies and
// Sessions.CORS built from the same configuration.

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

func TestConfigOriginPatterns(t *testing.T) {
	st := openSQLite(t)
	base := func() ginsession.Config {
		return ginsession.Config{Store: st, APIDomain: "https://api.example.com"}
	}
	for _, p := range []string{
		"https://*.app.example.com",
		"https://*.example.com",
		"http://*.apps.example.test:5173",
		"HTTPS://*.Partner.Example.org:443/",
	} {
		cfg := base()
		cfg.Origins = []string{"https://app.example.com", p}
		if _, err := newWithoutPanic(t, cfg); err != nil {
			t.Errorf("pattern %q refused: %v", p, err)
		}
	}
	for _, p := range []string{
		"*",
		"https://*",
		"https://*.",
		"*.example.com",               // no scheme
		"https://*.com",               // public suffix
		"https://*.co.uk",             // public suffix of two labels
		"https://*.github.io",         // public suffix in the list's private section
		"https://*.localhost:3000",    // each x.localhost is its own site
		"https://*.test",              // an unlisted TLD counts as a public suffix
		"http://*.127.0.0.1",          // an address
		"http://*.0.1",                // an address
		"https://a.*.example.com",     // the wildcard is the first label
		"https://*x.example.com",      // the wildcard is a whole label
		"https://x*.example.com",      // the wildcard is a whole label
		"https://**.example.com",      // one wildcard
		"https://*.*.example.com",     // one wildcard
		"https://*.example.com/path",  // an origin has no path
		"https://*.example.com?x",     // nor a query
		"https://*.example.com:99999", // port out of range
		"https://*.exa mple.com",      // a space
		"https://*.example.com:*",     // a wild port
		"ftp://*.example.com",         // scheme
		"https://user@*.example.com",  // user info
		"https://*.example.com,https://*.example.org",
	} {
		cfg := base()
		cfg.Origins = []string{"https://app.example.com", p}
		_, err := newWithoutPanic(t, cfg)
		if err == nil {
			t.Errorf("pattern %q accepted", p)
			continue
		}
		if !strings.Contains(err.Error(), "Config.Origins[1]") {
			t.Errorf("pattern %q: error does not name the field: %v", p, err)
		}
		if _, err := ginsession.CORSConfig("https://app.example.com", p); err == nil {
			t.Errorf("CORSConfig accepted pattern %q", p)
		}
	}
	cfg := base()
	cfg.WebsiteDomain = "https://*.app.example.com"
	if _, err := newWithoutPanic(t, cfg); err == nil || !strings.Contains(err.Error(), "Config.WebsiteDomain") {
		t.Errorf("a pattern as WebsiteDomain: %v", err)
	}
}

// Each pattern's SameSite is decided from the configuration: a tenant
// subdomain on the API's own site gets Lax cookies, one on another site
// None.
func TestOriginPatternDecidesSameSite(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.APIDomain = "https://api.example.com"
		cfg.WebsiteDomain = "https://www.example.com"
		cfg.Origins = []string{"https://*.tenants.example.com", "https://*.partner.example.org"}
	})
	for _, tc := range []struct {
		origin string
		want   http.SameSite
	}{
		{"https://acme.tenants.example.com", http.SameSiteLaxMode},
		{"https://globex.partner.example.org", http.SameSiteNoneMode},
		// Matching nothing: a page of such an origin gets no cookie
		// session at all (login CSRF), so its text chooses no attribute.
		{"https://a.b.partner.example.org", 0}, // two labels
		{"https://partner.example.org", 0},     // no label
		{"https://evil.partner.example.org.evil.test", 0},
		{"https://GLOBEX.partner.example.org", 0}, // not as a browser sends it
	} {
		if tc.want == 0 {
			r := sendRaw(t, e.server.URL, "POST", "/signin", `{"user":"u1"}`, "st-auth-mode", "cookie", "rid", "anti-csrf", "Origin", tc.origin)
			expectStatus(t, r, 401, "try refresh token")
			expectTokensUntouched(t, r)
			continue
		}
		_, r := rawSignIn(t, e.server.URL, "cookie", "u1", "", "Origin", tc.origin)
		for _, name := range []string{"sAccessToken", "sRefreshToken"} {
			if ck := onlySetCookie(t, r.header, name); ck.SameSite != tc.want {
				t.Errorf("Origin %s: %s", tc.origin, ck.Raw)
			}
		}
	}
}

// frontendServer is an engine with GetOrigin reading the X-Client header,
// a route answering FrontendOrigin, and a log of what it warned about.
type frontendServer struct {
	url   string
	s     *ginsession.Sessions
	log   *lockedBuffer
	calls *atomic.Int64
}

func startFrontendServer(t *testing.T, mutate func(*ginsession.Config)) *frontendServer {
	t.Helper()
	fsrv := &frontendServer{log: &lockedBuffer{}, calls: &atomic.Int64{}}
	r := gin.New()
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	cfg := ginsession.Config{
		Store:         openSQLite(t),
		APIDomain:     "https://api.example.com",
		WebsiteDomain: "https://www.example.com",
		Origins:       []string{"https://partner.example.org", "https://*.tenants.example.com"},
		Logger:        slog.New(slog.NewTextHandler(fsrv.log, nil)),
		GetOrigin: func(r *http.Request) string {
			if r == nil {
				return ""
			}
			fsrv.calls.Add(1)
			return r.Header.Get("X-Client")
		},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := ginsession.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.Use(s.CORS())
	if err := s.Mount(r); err != nil {
		t.Fatal(err)
	}
	mountSignIn(r, s)
	r.GET("/frontend", func(c *gin.Context) { c.String(200, s.FrontendOrigin(c)) })
	fsrv.url, fsrv.s = srv.URL, s
	return fsrv
}

// The guard: whatever GetOrigin answers, a cookie's SameSite comes from a
// configured entry; an answer outside the configuration is logged and the
// default frontend used. The request's Origin header plays no part once
// GetOrigin is set.
func TestGetOriginGuard(t *testing.T) {
	fsrv := startFrontendServer(t, nil)
	for _, tc := range []struct {
		client       string
		wantFrontend string
		want         http.SameSite
		logged       bool
	}{
		{"https://partner.example.org", "https://partner.example.org", http.SameSiteNoneMode, false},
		{"HTTPS://Partner.Example.org:443", "https://partner.example.org", http.SameSiteNoneMode, false},
		{"https://acme.tenants.example.com", "https://acme.tenants.example.com", http.SameSiteLaxMode, false},
		{"https://www.example.com", "https://www.example.com", http.SameSiteLaxMode, false},
		{"https://evil.test", "https://www.example.com", http.SameSiteLaxMode, true},
		{"https://partner.example.org.evil.test", "https://www.example.com", http.SameSiteLaxMode, true},
		{"https://a.b.tenants.example.com", "https://www.example.com", http.SameSiteLaxMode, true},
		{"https://*.tenants.example.com", "https://www.example.com", http.SameSiteLaxMode, true},
		{"null", "https://www.example.com", http.SameSiteLaxMode, true},
		{"", "https://www.example.com", http.SameSiteLaxMode, false}, // "" names no frontend: not a warning,
	} {
		before := strings.Count(fsrv.log.String(), "GetOrigin answered")
		calls := fsrv.calls.Load()
		// The Origin header names the partner: with GetOrigin set it is
		// not what decides.
		_, r := rawSignIn(t, fsrv.url, "cookie", "u1", "", "X-Client", tc.client, "Origin", "https://partner.example.org")
		for _, name := range []string{"sAccessToken", "sRefreshToken"} {
			if ck := onlySetCookie(t, r.header, name); ck.SameSite != tc.want {
				t.Errorf("X-Client %q: %s", tc.client, ck.Raw)
			}
		}
		// Resolved once per request, though two cookies were written.
		if n := fsrv.calls.Load() - calls; n != 1 {
			t.Errorf("X-Client %q: GetOrigin called %d times for one sign-in", tc.client, n)
		}
		logged := strings.Count(fsrv.log.String(), "GetOrigin answered") - before
		if tc.logged && logged != 1 || !tc.logged && logged != 0 {
			t.Errorf("X-Client %q: %d warnings logged", tc.client, logged)
		}
		got := sendRaw(t, fsrv.url, "GET", "/frontend", "", "X-Client", tc.client)
		if got.raw != tc.wantFrontend {
			t.Errorf("X-Client %q: FrontendOrigin %q, want %q", tc.client, got.raw, tc.wantFrontend)
		}
	}
	if l := fsrv.log.String(); !strings.Contains(l, "answer=https://evil.test") || !strings.Contains(l, "default=https://www.example.com") {
		t.Errorf("log lacks the answer and the default:\n%s", l)
	}
	if got := fsrv.s.FrontendOrigin(nil); got != "https://www.example.com" {
		t.Errorf("FrontendOrigin(nil) = %q", got)
	}
}

// Outside a request GetOrigin names the default frontend: it must be
// configured, and agree with WebsiteDomain when both are set.
func TestGetOriginDefault(t *testing.T) {
	answer := func(o string) func(*http.Request) string {
		return func(r *http.Request) string {
			if r == nil {
				return o
			}
			return r.Header.Get("X-Client")
		}
	}
	fsrv := startFrontendServer(t, func(cfg *ginsession.Config) {
		cfg.WebsiteDomain = ""
		cfg.GetOrigin = answer("https://acme.tenants.example.com")
	})
	if got := fsrv.s.FrontendOrigin(nil); got != "https://acme.tenants.example.com" {
		t.Errorf("FrontendOrigin(nil) = %q", got)
	}
	if got := sendRaw(t, fsrv.url, "GET", "/frontend", "", "X-Client", "https://evil.test"); got.raw != "https://acme.tenants.example.com" {
		t.Errorf("an unconfigured answer: FrontendOrigin %q", got.raw)
	}
	st := openSQLite(t)
	for name, cfg := range map[string]ginsession.Config{
		"unconfigured": {GetOrigin: answer("https://evil.test")},
		"a pattern":    {GetOrigin: answer("https://*.tenants.example.com")},
		"disagrees":    {GetOrigin: answer("https://partner.example.org"), WebsiteDomain: "https://www.example.com"},
	} {
		cfg.Store, cfg.APIDomain = st, "https://api.example.com"
		cfg.Origins = []string{"https://www.example.com", "https://partner.example.org", "https://*.tenants.example.com"}
		if _, err := newWithoutPanic(t, cfg); err == nil || !strings.Contains(err.Error(), "Config.GetOrigin") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Partitioned puts the attribute on every session cookie ginsession writes
// (set, rotated and cleared: a partitioned cookie is only replaced or
// removed by one that is partitioned too), makes SameSite none, and with
// it auto anti-CSRF demands the custom header.
func TestCookiePartitioned(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.APIDomain = "https://api.example.com"
		cfg.CookieSecure = boolPtr(true)
		cfg.CookiePartitioned = true
	})
	expectPartitioned := func(what string, h http.Header) {
		t.Helper()
		cks := setCookies(h)
		if len(cks) == 0 {
			t.Fatalf("%s: no cookies", what)
		}
		for _, ck := range cks {
			if !ck.Partitioned || !ck.Secure || ck.SameSite != http.SameSiteNoneMode {
				t.Errorf("%s: %s", what, ck.Raw)
			}
		}
	}
	tk, r := rawSignIn(t, e.server.URL, "cookie", "u1", "")
	expectPartitioned("sign-in", r.header)
	access := []string{"Cookie", "sAccessToken=" + tk.access}
	expectStatus(t, sendRaw(t, e.server.URL, "POST", "/api/me", "", access...), 401, "try refresh token")
	expectStatus(t, sendRaw(t, e.server.URL, "POST", "/api/me", "", append(access, "rid", "anti-csrf")...), 200, "")
	r = sendRaw(t, e.server.URL, "POST", refreshPath, "", "Cookie", "sRefreshToken="+tk.refresh, "rid", "anti-csrf")
	expectStatus(t, r, 200, "")
	expectPartitioned("refresh", r.header)
	tk2 := tokensIn(t, r, "cookie")
	r = sendRaw(t, e.server.URL, "POST", "/auth/signout", "", "Cookie", "sAccessToken="+tk2.access, "rid", "anti-csrf")
	expectStatus(t, r, 200, "")
	expectPartitioned("sign-out", r.header)

	// The control: the same engine without the option.
	plain := newEnv(t, func(cfg *ginsession.Config) {
		cfg.APIDomain = "https://api.example.com"
	})
	_, r = rawSignIn(t, plain.server.URL, "cookie", "u1", "")
	for _, ck := range setCookies(r.header) {
		if ck.Partitioned || strings.Contains(ck.Raw, "Partitioned") {
			t.Errorf("without the option: %s", ck.Raw)
		}
	}
}

func TestCookiePartitionedRejected(t *testing.T) {
	st := openSQLite(t)
	for name, cfg := range map[string]ginsession.Config{
		"not Secure":        {APIDomain: "http://localhost:8080"},
		"Secure turned off": {APIDomain: "https://api.example.com", CookieSecure: boolPtr(false)},
		"SameSite lax":      {APIDomain: "https://api.example.com", CookieSameSite: "lax"},
		"SameSite strict":   {APIDomain: "https://api.example.com", CookieSameSite: "strict"},
	} {
		cfg.Store, cfg.CookiePartitioned = st, true
		if _, err := newWithoutPanic(t, cfg); err == nil || !strings.Contains(err.Error(), "Config.CookiePartitioned") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Sessions.CORS allows exactly the configured frontends, patterns
// included, and answers like the standalone helper given the same list.
func TestSessionsCORS(t *testing.T) {
	fsrv := startFrontendServer(t, func(cfg *ginsession.Config) { cfg.GetOrigin = nil })
	standalone, err := ginsession.CORS("https://www.example.com", "https://partner.example.org", "https://*.tenants.example.com")
	if err != nil {
		t.Fatal(err)
	}
	alone := startMiniServer(t, func(cfg *ginsession.Config) {
		cfg.APIDomain = "https://api.example.com"
	}, standalone)
	for _, tc := range []struct {
		origin  string
		allowed bool
	}{
		{"https://www.example.com", true},
		{"https://partner.example.org", true},
		{"https://acme.tenants.example.com", true},
		{"https://globex.tenants.example.com", true},
		{"https://a.b.tenants.example.com", false},
		{"https://tenants.example.com", false},
		{"https://ACME.tenants.example.com", false},
		{"http://acme.tenants.example.com", false},
		{"https://acme.tenants.example.com:8443", false},
		{"https://acme.tenants.example.com.evil.test", false},
		{"https://evil.test", false},
		{"null", false},
	} {
		for name, base := range map[string]string{"Sessions.CORS": fsrv.url, "CORS(list)": alone.url} {
			r := sendPreflight(t, base, "/auth/session/refresh", tc.origin)
			acao := r.header.Values("Access-Control-Allow-Origin")
			if tc.allowed {
				if r.status != 204 || len(acao) != 1 || acao[0] != tc.origin || r.header.Get("Access-Control-Allow-Credentials") != "true" {
					t.Errorf("%s: %s refused: %d %v", name, tc.origin, r.status, r.header)
				}
			} else if r.status != 403 || len(acao) != 0 {
				t.Errorf("%s: %s allowed: %d %v", name, tc.origin, r.status, r.header)
			}
			if !variesByOrigin(r.header) {
				t.Errorf("%s: %s: no Vary: Origin", name, tc.origin)
			}
		}
	}
	cfg := fsrv.s.CORSConfig()
	if cfg.AllowAllOrigins || cfg.AllowWildcard || !cfg.AllowCredentials {
		t.Errorf("CORSConfig %+v", cfg)
	}
}

func boolPtr(b bool) *bool { return &b }
