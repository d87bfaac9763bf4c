package ginsession_test

// ginsession.CORSConfig / ginsession.CORS: exact origins with credentials,
// the protocol's request and response headers, refusal of "*".

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ginsession/ginsession/ginsession"
)

func TestCORSConfigRefused(t *testing.T) {
	cases := map[string][]string{
		"no origins":              nil,
		"empty list":              {},
		"star":                    {"*"},
		"star among others":       {"https://app.example.com", "*"},
		"empty origin":            {""},
		"no scheme":               {"app.example.com"},
		"host:port, no scheme":    {"localhost:3000"},
		"null":                    {"null"},
		"with path":               {"https://app.example.com/app"},
		"with query":              {"https://app.example.com?x=1"},
		"ftp":                     {"ftp://app.example.com"},
		"file":                    {"file://"},
		"scheme only":             {"https://"},
		"two in one string":       {"https://a.example.com,https://b.example.com"},
		"space":                   {"https://app.example.com "},
		"empty label":             {"https://app..example.com"},
		"port out of range":       {"https://app.example.com:99999"},
		"wildcard on a suffix":    {"https://*.com"},
		"regex":                   {"/.*/"},
		"user info":               {"https://user@app.example.com"},
		"CR/LF":                   {"https://app.example.com\r\nX: y"},
		"one bad among good ones": {"https://app.example.com", "app2.example.com"},
	}
	for name, origins := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("panic: %v", p)
				}
			}()
			if _, err := ginsession.CORSConfig(origins...); err == nil {
				t.Errorf("CORSConfig(%q) accepted", origins)
			}
			mw, err := ginsession.CORS(origins...)
			if err == nil || mw != nil {
				t.Errorf("CORS(%q) accepted", origins)
			}
		})
	}
}

func TestCORSConfig(t *testing.T) {
	cfg, err := ginsession.CORSConfig("HTTPS://App.Example.com:443/", "http://localhost:3000")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.AllowOrigins, []string{"https://app.example.com", "http://localhost:3000"}) {
		t.Errorf("AllowOrigins %q", cfg.AllowOrigins)
	}
	if cfg.AllowAllOrigins || cfg.AllowOriginFunc != nil || cfg.AllowOriginWithContextFunc != nil || cfg.AllowWildcard {
		t.Error("CORSConfig allows more than the listed origins")
	}
	if !cfg.AllowCredentials {
		t.Error("credentials off")
	}
	lower := func(in []string) []string {
		out := make([]string, len(in))
		for i, s := range in {
			out[i] = strings.ToLower(s)
		}
		return out
	}
	for _, h := range []string{"rid", "fdi-version", "anti-csrf", "authorization", "st-auth-mode", "content-type"} {
		if !slices.Contains(lower(cfg.AllowHeaders), h) {
			t.Errorf("AllowHeaders %q lack %s", cfg.AllowHeaders, h)
		}
	}
	for _, h := range protocolExposedHeaders {
		if !slices.Contains(lower(cfg.ExposeHeaders), h) {
			t.Errorf("ExposeHeaders %q lack %s", cfg.ExposeHeaders, h)
		}
	}
	for _, m := range []string{"GET", "POST", "OPTIONS"} {
		if !slices.Contains(cfg.AllowMethods, m) {
			t.Errorf("AllowMethods %q lack %s", cfg.AllowMethods, m)
		}
	}
	// The exported lists are copied, not aliased.
	cfg.AllowHeaders[0] = "x-changed"
	if ginsession.CORSAllowHeaders[0] == "x-changed" {
		t.Error("CORSConfig aliases CORSAllowHeaders")
	}
}

const (
	appOrigin   = "https://app.example.com"
	localOrigin = "http://localhost:3000"
)

func corsServer(t *testing.T) *miniServer {
	t.Helper()
	mw, err := ginsession.CORS(appOrigin, localOrigin)
	if err != nil {
		t.Fatal(err)
	}
	return startMiniServer(t, func(cfg *ginsession.Config) {
		cfg.APIDomain = "https://api.example.com"
		cfg.WebsiteDomain = appOrigin
		cfg.Origins = []string{localOrigin}
	}, mw)
}

func sendPreflight(t *testing.T, base, path, origin string) *resp {
	t.Helper()
	return sendRaw(t, base, "OPTIONS", path, "",
		"Origin", origin,
		"Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "rid,fdi-version,anti-csrf,authorization,st-auth-mode,content-type")
}

func TestCORSPreflightAllowed(t *testing.T) {
	m := corsServer(t)
	for _, origin := range []string{appOrigin, localOrigin} {
		for _, path := range []string{"/api/me", refreshPath, "/auth/signout"} {
			t.Run(origin+path, func(t *testing.T) {
				r := sendPreflight(t, m.url, path, origin)
				if r.status < 200 || r.status > 299 {
					t.Fatalf("preflight status %d", r.status)
				}
				if got := r.header.Values("Access-Control-Allow-Origin"); len(got) != 1 || got[0] != origin {
					t.Errorf("Access-Control-Allow-Origin %q, want exactly %q", got, origin)
				}
				if r.header.Get("Access-Control-Allow-Credentials") != "true" {
					t.Errorf("Access-Control-Allow-Credentials %q", r.header.Get("Access-Control-Allow-Credentials"))
				}
				allowed := map[string]bool{}
				for _, line := range r.header.Values("Access-Control-Allow-Headers") {
					for _, h := range strings.Split(line, ",") {
						allowed[strings.ToLower(strings.TrimSpace(h))] = true
					}
				}
				for _, h := range []string{"rid", "fdi-version", "anti-csrf", "authorization", "st-auth-mode", "content-type"} {
					if !allowed[h] {
						t.Errorf("Access-Control-Allow-Headers %q lack %s", r.header.Values("Access-Control-Allow-Headers"), h)
					}
				}
				if !strings.Contains(strings.ToUpper(r.header.Get("Access-Control-Allow-Methods")), "POST") {
					t.Errorf("Access-Control-Allow-Methods %q", r.header.Get("Access-Control-Allow-Methods"))
				}
				if !variesByOrigin(r.header) {
					t.Errorf("Vary %q lacks Origin", r.header.Values("Vary"))
				}
				expectTokensUntouched(t, r)
			})
		}
	}
}

func variesByOrigin(h http.Header) bool {
	for _, line := range h.Values("Vary") {
		for _, v := range strings.Split(line, ",") {
			if strings.EqualFold(strings.TrimSpace(v), "origin") {
				return true
			}
		}
	}
	return false
}

var refusedOrigins = []string{
	"https://evil.test",
	"https://app.example.com.evil.test",
	"https://evilapp.example.com",
	"https://sub.app.example.com",
	"null",
	"https://app.example.com:8443",
	"http://app.example.com",
	"http://localhost:3001",
	"https://localhost:3000",
	"https://APP.example.com",
	"https://app.example.com/",
}

func TestCORSPreflightRefused(t *testing.T) {
	m := corsServer(t)
	for _, origin := range refusedOrigins {
		t.Run(origin, func(t *testing.T) {
			r := sendPreflight(t, m.url, "/api/me", origin)
			if v := r.header.Values("Access-Control-Allow-Origin"); len(v) != 0 {
				t.Errorf("unlisted origin got Access-Control-Allow-Origin %q", v)
			}
			if v := r.header.Values("Access-Control-Allow-Credentials"); len(v) != 0 {
				t.Errorf("unlisted origin got Access-Control-Allow-Credentials %q", v)
			}
			for k, vs := range r.header {
				for _, v := range vs {
					if strings.Contains(v, origin) {
						t.Errorf("the request's origin is reflected in %s: %q", k, v)
					}
				}
			}
			expectTokensUntouched(t, r)
		})
	}
}

// SECURITY.md B: a refused preflight still carries "Vary: Origin", so a
// shared cache cannot serve one origin's refusal to another.
func TestCORSPreflightRefusedVaryOrigin(t *testing.T) {
	m := corsServer(t)
	r := sendPreflight(t, m.url, "/api/me", "https://evil.test")
	if !variesByOrigin(r.header) {
		t.Errorf("refused preflight (status %d) has no Vary: Origin (headers %v)", r.status, r.header)
	}
}

func TestCORSNormalRequests(t *testing.T) {
	m := corsServer(t)
	t.Run("allowed origin", func(t *testing.T) {
		tk, r := rawSignIn(t, m.url, "header", "u1", "", "Origin", localOrigin)
		if r.header.Get("Access-Control-Allow-Origin") != localOrigin || r.header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("sign-in CORS headers %v", r.header)
		}
		expectExposedHeaders(t, "sign-in", r.header)
		r = sendWithToken(t, m.url, "header", "GET", "/api/me", "", tk.access, "Origin", appOrigin)
		expectStatus(t, r, 200, "")
		if r.header.Get("Access-Control-Allow-Origin") != appOrigin {
			t.Errorf("ACAO %q", r.header.Get("Access-Control-Allow-Origin"))
		}
		expectExposedHeaders(t, "verify", r.header)
		r = sendWithToken(t, m.url, "header", "POST", refreshPath, "", tk.refresh, "Origin", appOrigin)
		expectStatusAndBody(t, r, 200, `{}`)
		expectExposedHeaders(t, "refresh", r.header)
	})
	t.Run("unlisted origin", func(t *testing.T) {
		for _, origin := range refusedOrigins {
			r := sendRaw(t, m.url, "POST", "/signin", `{"user":"u1"}`, "Origin", origin, "st-auth-mode", "header")
			if v := r.header.Values("Access-Control-Allow-Origin"); len(v) != 0 {
				t.Errorf("%s: Access-Control-Allow-Origin %q", origin, v)
			}
			if v := r.header.Values("Access-Control-Allow-Credentials"); len(v) != 0 {
				t.Errorf("%s: Access-Control-Allow-Credentials %q", origin, v)
			}
		}
	})
}
