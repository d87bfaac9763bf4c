package ginsession_test

// Config validation: New and Register refuse bad configurations with an
// error naming the field (and never panic), ValidateCookieDomain, defaults,
// and independence of two engines in one process.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store/gormstore"
)

// newWithoutPanic calls New and turns a panic into a test failure.
func newWithoutPanic(t *testing.T, cfg ginsession.Config) (s *ginsession.Sessions, err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("New panicked: %v", p)
		}
	}()
	return ginsession.New(cfg)
}

func registerWithoutPanic(t *testing.T, r *gin.Engine, cfg ginsession.Config) (s *ginsession.Sessions, err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("Register panicked: %v", p)
		}
	}()
	return ginsession.Register(r, cfg)
}

func TestConfigRejected(t *testing.T) {
	st := openSQLite(t)
	no := false
	short := func(n int) []byte { return make([]byte, n) }
	base := func() ginsession.Config {
		return ginsession.Config{Store: st, APIDomain: "https://api.example.com"}
	}
	cases := []struct {
		name   string
		field  string // the error must name Config.<field>
		mutate func(*ginsession.Config)
	}{
		{"nil Store", "Store", func(c *ginsession.Config) { c.Store = nil }},
		{"nil *GORMStore in Store", "Store", func(c *ginsession.Config) { c.Store = (*gormstore.GORMStore)(nil) }},
		{"missing APIDomain", "APIDomain", func(c *ginsession.Config) { c.APIDomain = "" }},
		{"APIDomain without scheme", "APIDomain", func(c *ginsession.Config) { c.APIDomain = "api.example.com" }},
		{"APIDomain host:port without scheme", "APIDomain", func(c *ginsession.Config) { c.APIDomain = "localhost:8080" }},
		{"APIDomain ftp", "APIDomain", func(c *ginsession.Config) { c.APIDomain = "ftp://api.example.com" }},
		{"APIDomain with path", "APIDomain", func(c *ginsession.Config) { c.APIDomain = "https://api.example.com/api" }},
		{"APIDomain with query", "APIDomain", func(c *ginsession.Config) { c.APIDomain = "https://api.example.com?a=b" }},
		{"APIDomain with user", "APIDomain", func(c *ginsession.Config) { c.APIDomain = "https://u@api.example.com" }},
		{"APIDomain with space", "APIDomain", func(c *ginsession.Config) { c.APIDomain = "https://api.exa mple.com" }},
		{"APIDomain scheme only", "APIDomain", func(c *ginsession.Config) { c.APIDomain = "https://" }},
		{"WebsiteDomain *", "WebsiteDomain", func(c *ginsession.Config) { c.WebsiteDomain = "*" }},
		{"WebsiteDomain malformed", "WebsiteDomain", func(c *ginsession.Config) { c.WebsiteDomain = "app.example.com" }},
		{"Origins with *", "Origins[1]", func(c *ginsession.Config) { c.Origins = []string{"https://app.example.com", "*"} }},
		{"Origins malformed", "Origins[0]", func(c *ginsession.Config) { c.Origins = []string{"null"} }},
		{"bad SameSite", "CookieSameSite", func(c *ginsession.Config) { c.CookieSameSite = "Relaxed" }},
		{"SameSite None (wrong case)", "CookieSameSite", func(c *ginsession.Config) { c.CookieSameSite = "None" }},
		{"SameSite none without Secure", "CookieSameSite", func(c *ginsession.Config) {
			c.APIDomain = "http://api.example.com"
			c.CookieSameSite = "none"
		}},
		{"SameSite none with CookieSecure false", "CookieSameSite", func(c *ginsession.Config) {
			c.CookieSameSite = "none"
			c.CookieSecure = &no
		}},
		{"auto SameSite resolves to none over http", "CookieSameSite", func(c *ginsession.Config) {
			c.APIDomain = "http://api.example.com"
			c.WebsiteDomain = "http://app.other.com"
		}},
		{"SameSite none, one side localhost", "CookieSameSite", func(c *ginsession.Config) {
			c.APIDomain = "http://localhost:8080"
			c.WebsiteDomain = "http://app.example.com"
		}},
		{"CookieDomain IPv4", "CookieDomain", func(c *ginsession.Config) { c.CookieDomain = "127.0.0.1" }},
		{"CookieDomain IPv6", "CookieDomain", func(c *ginsession.Config) { c.CookieDomain = "[::1]" }},
		{"CookieDomain localhost", "CookieDomain", func(c *ginsession.Config) { c.CookieDomain = "localhost" }},
		{"CookieDomain .localhost", "CookieDomain", func(c *ginsession.Config) { c.CookieDomain = ".localhost" }},
		{"CookieDomain com", "CookieDomain", func(c *ginsession.Config) { c.CookieDomain = "com" }},
		{"CookieDomain .com", "CookieDomain", func(c *ginsession.Config) { c.CookieDomain = ".com" }},
		{"CookieDomain co.uk", "CookieDomain", func(c *ginsession.Config) { c.CookieDomain = "co.uk" }},
		{"CookieDomain github.io", "CookieDomain", func(c *ginsession.Config) { c.CookieDomain = "github.io" }},
		{"CookieDomain with port", "CookieDomain", func(c *ginsession.Config) { c.CookieDomain = "example.com:8080" }},
		{"CookieDomain with scheme", "CookieDomain", func(c *ginsession.Config) { c.CookieDomain = "https://example.com" }},
		{"CookieDomain with ;", "CookieDomain", func(c *ginsession.Config) { c.CookieDomain = ".exa;mple.com" }},
		{"CookieDomain with space", "CookieDomain", func(c *ginsession.Config) { c.CookieDomain = "exa mple.com" }},
		{"CookieDomain with path", "CookieDomain", func(c *ginsession.Config) { c.CookieDomain = "example.com/x" }},
		{"CookieDomain not covering the API", "CookieDomain", func(c *ginsession.Config) { c.CookieDomain = ".other.com" }},
		{"CookieDomain suffix without a dot boundary", "CookieDomain", func(c *ginsession.Config) {
			c.APIDomain = "https://api.badexample.com"
			c.CookieDomain = "example.com"
		}},
		{"OlderCookieDomain equal to CookieDomain", "OlderCookieDomain", func(c *ginsession.Config) {
			c.CookieDomain = ".example.com"
			c.OlderCookieDomain = "Example.com"
		}},
		{"OlderCookieDomain host-only without CookieDomain", "OlderCookieDomain", func(c *ginsession.Config) {
			c.OlderCookieDomain = ginsession.HostOnly
		}},
		{"OlderCookieDomain public suffix", "OlderCookieDomain", func(c *ginsession.Config) {
			c.CookieDomain = ".example.com"
			c.OlderCookieDomain = "com"
		}},
		{"bad AntiCSRF", "AntiCSRF", func(c *ginsession.Config) { c.AntiCSRF = "via_token" }},
		{"negative AccessTokenTTL", "AccessTokenTTL", func(c *ginsession.Config) { c.AccessTokenTTL = -time.Hour }},
		{"tiny AccessTokenTTL", "AccessTokenTTL", func(c *ginsession.Config) { c.AccessTokenTTL = 500 * time.Millisecond }},
		{"negative RefreshTokenTTL", "RefreshTokenTTL", func(c *ginsession.Config) { c.RefreshTokenTTL = -time.Hour }},
		{"tiny RefreshTokenTTL", "RefreshTokenTTL", func(c *ginsession.Config) {
			c.AccessTokenTTL = time.Second
			c.RefreshTokenTTL = 30 * time.Second
		}},
		{"RefreshTokenTTL shorter than AccessTokenTTL", "RefreshTokenTTL", func(c *ginsession.Config) {
			c.AccessTokenTTL = 2 * time.Hour
			c.RefreshTokenTTL = time.Hour
		}},
		{"default RefreshTokenTTL shorter than AccessTokenTTL", "RefreshTokenTTL", func(c *ginsession.Config) {
			c.AccessTokenTTL = 200 * 24 * time.Hour
		}},
		{"negative RefreshGracePeriod", "RefreshGracePeriod", func(c *ginsession.Config) { c.RefreshGracePeriod = -time.Second }},
		{"negative KeyRotationInterval", "KeyRotationInterval", func(c *ginsession.Config) { c.KeyRotationInterval = -time.Hour }},
		{"tiny KeyRotationInterval", "KeyRotationInterval", func(c *ginsession.Config) { c.KeyRotationInterval = 30 * time.Second }},
		{"SigningAlgorithm HS256", "SigningAlgorithm", func(c *ginsession.Config) { c.SigningAlgorithm = "HS256" }},
		{"SigningAlgorithm none", "SigningAlgorithm", func(c *ginsession.Config) { c.SigningAlgorithm = "none" }},
		{"SigningAlgorithm es256", "SigningAlgorithm", func(c *ginsession.Config) { c.SigningAlgorithm = "es256" }},
		{"SigningAlgorithm ES384", "SigningAlgorithm", func(c *ginsession.Config) { c.SigningAlgorithm = "ES384" }},
		{"MasterKey 16 bytes", "MasterKey", func(c *ginsession.Config) { c.MasterKey = short(16) }},
		{"MasterKey 31 bytes", "MasterKey", func(c *ginsession.Config) { c.MasterKey = short(31) }},
		{"SessionExpiredStatus == InvalidClaimStatus", "InvalidClaimStatus", func(c *ginsession.Config) { c.SessionExpiredStatus = 403 }},
		{"InvalidClaimStatus == SessionExpiredStatus", "InvalidClaimStatus", func(c *ginsession.Config) { c.InvalidClaimStatus = 401 }},
		{"SessionExpiredStatus 200", "SessionExpiredStatus", func(c *ginsession.Config) { c.SessionExpiredStatus = 200 }},
		{"SessionExpiredStatus 302", "SessionExpiredStatus", func(c *ginsession.Config) { c.SessionExpiredStatus = 302 }},
		{"SessionExpiredStatus 500", "SessionExpiredStatus", func(c *ginsession.Config) { c.SessionExpiredStatus = 500 }},
		{"SessionExpiredStatus negative", "SessionExpiredStatus", func(c *ginsession.Config) { c.SessionExpiredStatus = -401 }},
		{"InvalidClaimStatus 503", "InvalidClaimStatus", func(c *ginsession.Config) { c.InvalidClaimStatus = 503 }},
		{"InvalidClaimStatus 200", "InvalidClaimStatus", func(c *ginsession.Config) { c.InvalidClaimStatus = 200 }},
		{"APIBasePath without /", "APIBasePath", func(c *ginsession.Config) { c.APIBasePath = "auth" }},
		{"APIBasePath with space", "APIBasePath", func(c *ginsession.Config) { c.APIBasePath = "/a b" }},
		{"APIBasePath with query", "APIBasePath", func(c *ginsession.Config) { c.APIBasePath = "/auth?x" }},
		{"nil claim validator", "ClaimValidators[0]", func(c *ginsession.Config) { c.ClaimValidators = []ginsession.ClaimValidator{nil} }},
		{"claim validator without ID", "ClaimValidators[1]", func(c *ginsession.Config) {
			c.ClaimValidators = []ginsession.ClaimValidator{
				ginsession.ValidatorFunc("ok", func(ginsession.Payload) any { return nil }),
				ginsession.ValidatorFunc("", func(ginsession.Payload) any { return nil }),
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base()
			tc.mutate(&cfg)
			s, err := newWithoutPanic(t, cfg)
			if err == nil || s != nil {
				t.Fatalf("New accepted the config (engine %v)", s)
			}
			if !strings.Contains(err.Error(), "Config."+tc.field) {
				t.Errorf("error %q does not name Config.%s", err, tc.field)
			}
			r := gin.New()
			s, err = registerWithoutPanic(t, r, cfg)
			if err == nil || s != nil {
				t.Fatal("Register accepted the config")
			}
			if !strings.Contains(err.Error(), "Config."+tc.field) {
				t.Errorf("Register error %q does not name Config.%s", err, tc.field)
			}
			if n := len(r.Routes()); n != 0 {
				t.Errorf("a refused Register mounted %d routes", n)
			}
		})
	}

	t.Run("several faults are all reported", func(t *testing.T) {
		_, err := newWithoutPanic(t, ginsession.Config{APIDomain: "nope", AntiCSRF: "x", SigningAlgorithm: "HS256"})
		if err == nil {
			t.Fatal("accepted")
		}
		for _, f := range []string{"Config.Store", "Config.APIDomain", "Config.AntiCSRF", "Config.SigningAlgorithm"} {
			if !strings.Contains(err.Error(), f) {
				t.Errorf("error %q does not mention %s", err, f)
			}
		}
	})
}

func TestConfigAccepted(t *testing.T) {
	st := openSQLite(t)
	yes := true
	cases := []struct {
		name   string
		mutate func(*ginsession.Config)
	}{
		{"minimal", func(*ginsession.Config) {}},
		{"CookieDomain covering the API host", func(c *ginsession.Config) { c.CookieDomain = "Example.COM" }},
		{"CookieDomain equal to the API host", func(c *ginsession.Config) { c.CookieDomain = "api.example.com" }},
		{"older domain host-only", func(c *ginsession.Config) {
			c.CookieDomain = ".example.com"
			c.OlderCookieDomain = ginsession.HostOnly
		}},
		{"older domain narrower", func(c *ginsession.Config) {
			c.CookieDomain = ".example.com"
			c.OlderCookieDomain = ".api.example.com"
		}},
		{"cross-site https", func(c *ginsession.Config) { c.WebsiteDomain = "https://app.other.com" }},
		{"SameSite none between localhost origins over http", func(c *ginsession.Config) {
			c.APIDomain = "http://localhost:8080"
			c.WebsiteDomain = "http://127.0.0.1:3000"
			c.CookieSameSite = "none"
		}},
		{"SameSite none with CookieSecure over http", func(c *ginsession.Config) {
			c.APIDomain = "http://api.example.com"
			c.CookieSameSite = "none"
			c.CookieSecure = &yes
		}},
		{"several origins", func(c *ginsession.Config) {
			c.WebsiteDomain = "https://app.example.com"
			c.Origins = []string{"https://admin.example.com", "http://localhost:3000/"}
		}},
		{"grace period zero means default", func(c *ginsession.Config) { c.RefreshGracePeriod = 0 }},
		{"custom statuses", func(c *ginsession.Config) {
			c.SessionExpiredStatus = 440
			c.InvalidClaimStatus = 499
		}},
		{"every algorithm: RS256", func(c *ginsession.Config) { c.SigningAlgorithm = "RS256" }},
		{"every algorithm: EdDSA", func(c *ginsession.Config) { c.SigningAlgorithm = "EdDSA" }},
		{"32-byte MasterKey", func(c *ginsession.Config) { c.MasterKey = []byte(strings.Repeat("k", 32)) }},
		{"base path with trailing slash", func(c *ginsession.Config) { c.APIBasePath = "/api/auth/" }},
		{"anti-csrf modes", func(c *ginsession.Config) { c.AntiCSRF = ginsession.AntiCSRFNone }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ginsession.Config{Store: st, APIDomain: "https://api.example.com"}
			tc.mutate(&cfg)
			if _, err := newWithoutPanic(t, cfg); err != nil {
				t.Fatalf("New refused a valid config: %v", err)
			}
		})
	}
}

func TestConfigNewDoesNotChangeTheCallersConfig(t *testing.T) {
	cfg := ginsession.Config{Store: openSQLite(t), APIDomain: "https://api.example.com", Origins: []string{"https://a.example.com"}}
	if _, err := ginsession.New(cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.AccessTokenTTL != 0 || cfg.RefreshTokenTTL != 0 || cfg.SigningAlgorithm != "" || cfg.APIBasePath != "" ||
		cfg.SessionExpiredStatus != 0 || cfg.Now != nil || cfg.GetTransferMethod != nil || cfg.WebsiteDomain != "" ||
		len(cfg.Origins) != 1 || cfg.Origins[0] != "https://a.example.com" {
		t.Errorf("New changed the caller's config: %+v", cfg)
	}
}

func TestConfigValidateCookieDomain(t *testing.T) {
	accepted := []struct{ in, want string }{
		{".example.com", ".example.com"},
		{"example.com", ".example.com"},
		{"Sub.Example.COM", ".sub.example.com"},
		{".EXAMPLE.com", ".example.com"},
		{"a-b.example.co.uk", ".a-b.example.co.uk"},
		{"example.co.uk", ".example.co.uk"},
		{"me.github.io", ".me.github.io"},
		{"xn--bcher-kva.example", ".xn--bcher-kva.example"},
		{"123.example.com", ".123.example.com"},
	}
	for _, tc := range accepted {
		t.Run("accept "+tc.in, func(t *testing.T) {
			got, err := ginsession.ValidateCookieDomain(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("ValidateCookieDomain(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
	rejected := []string{
		"", ".", "..", "..example.com", "example..com", "example.com.", ".example.com.",
		"127.0.0.1", ".127.0.0.1", "10.0.0", "::1", "[::1]", "2001:db8::1",
		"localhost", ".localhost", "app.localhost",
		"com", ".com", "co.uk", ".co.uk", "github.io", "uk", "appspot.com",
		"example.com:8080", "https://example.com", "http://example.com/", "//example.com",
		".exa;mple.com", "exa mple.com", "example.com/path", "exa_mple.com", "exämple.com",
		"example.com\x00", "example.com\r\nSet-Cookie: x=y", "example,com", "ex\"ample.com",
		"-example.com", "example-.com", "a." + strings.Repeat("b", 64) + ".com",
		strings.Repeat("a.", 130) + "com", "example",
	}
	for _, in := range rejected {
		t.Run(fmt.Sprintf("reject %q", in), func(t *testing.T) {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("panic: %v", p)
				}
			}()
			got, err := ginsession.ValidateCookieDomain(in)
			if err == nil {
				t.Errorf("ValidateCookieDomain(%q) accepted it as %q", in, got)
			}
			if got != "" {
				t.Errorf("returned %q with an error", got)
			}
		})
	}
}

// A Config with only Store and APIDomain gets the documented defaults.
func TestConfigDefaults(t *testing.T) {
	var api string
	m := startMiniServer(t, func(cfg *ginsession.Config) {
		api = cfg.APIDomain
		*cfg = ginsession.Config{Store: cfg.Store, APIDomain: cfg.APIDomain}
	})
	if m.sessions.APIBasePath() != "/auth" {
		t.Errorf("APIBasePath %q", m.sessions.APIBasePath())
	}
	before := time.Now().Truncate(time.Second)

	// Creation without st-auth-mode: header mode.
	r := sendRaw(t, m.url, "POST", "/signin", `{"user":"u1"}`)
	expectStatus(t, r, 200, "")
	after := time.Now()
	if len(r.header.Values("Set-Cookie")) != 0 || r.header.Get("st-access-token") == "" {
		t.Errorf("default creation is not header mode: %v", r.header)
	}
	if _, ok := r.header["Anti-Csrf"]; ok {
		t.Error("anti-csrf token handed out by default")
	}
	front := decodeFront(t, r.header.Get("front-token"))
	up := front["up"].(map[string]any)
	iat, exp, ate := int64(up["iat"].(float64)), int64(up["exp"].(float64)), int64(front["ate"].(float64))
	if exp-iat != 3600 || ate-iat*1000 != 3600*1000 {
		t.Errorf("access-token lifetime: iat %d exp %d ate %d, want one hour", iat, exp, ate)
	}
	if iat < before.Unix() || iat > after.Unix() {
		t.Errorf("iat %d not from the real clock (%v..%v)", iat, before, after)
	}
	if up["iss"] != api+"/auth" {
		t.Errorf("iss %v, want %s/auth", up["iss"], api)
	}

	// Cookies: host-only, Lax, not Secure over http, refresh for 100 days.
	tk, r := rawSignIn(t, m.url, "cookie", "u1", "")
	after = time.Now()
	f := onlySetCookie(t, r.header, "sRefreshToken")
	if f.Path != "/auth/session/refresh" || f.Domain != "" || f.Secure || f.SameSite != http.SameSiteLaxMode {
		t.Errorf("default refresh cookie %s", f.Raw)
	}
	if f.Expires.Before(before.Add(100*24*time.Hour)) || f.Expires.After(after.Add(100*24*time.Hour)) {
		t.Errorf("refresh cookie expiry %v, want 100 days from now", f.Expires)
	}
	// Default anti-CSRF for a same-site API is NONE.
	r = sendRaw(t, m.url, "POST", "/api/me", "", "Cookie", cookieHeader("sAccessToken", tk.access))
	expectStatus(t, r, 200, "")
	// Default algorithm: ES256.
	r = sendRaw(t, m.url, "GET", "/auth/jwt/jwks.json", "")
	expectStatus(t, r, 200, "")
	if !strings.Contains(r.raw, `"alg":"ES256"`) || !strings.Contains(r.raw, `"kty":"EC"`) {
		t.Errorf("default JWKS %s", r.raw)
	}
	// Default statuses: 401 for no session.
	r = sendRaw(t, m.url, "GET", "/api/me", "")
	expectStatusAndBody(t, r, 401, bodyUnauthorised)
}

func TestConfigBasePath(t *testing.T) {
	m := startMiniServer(t, func(cfg *ginsession.Config) { cfg.APIBasePath = "/api/auth/" })
	if m.sessions.APIBasePath() != "/api/auth" {
		t.Errorf("APIBasePath %q", m.sessions.APIBasePath())
	}
	tk, r := rawSignIn(t, m.url, "cookie", "u1", "")
	if f := onlySetCookie(t, r.header, "sRefreshToken"); f.Path != "/api/auth/session/refresh" {
		t.Errorf("refresh cookie Path %q", f.Path)
	}
	r = sendRaw(t, m.url, "POST", "/api/auth/session/refresh", "", "rid", "session", "Cookie", cookieHeader("sRefreshToken", tk.refresh))
	expectStatusAndBody(t, r, 200, `{}`)
	r = sendRaw(t, m.url, "POST", "/auth/session/refresh", "", "rid", "session", "Cookie", cookieHeader("sRefreshToken", tk.refresh))
	if r.status != 404 {
		t.Errorf("refresh mounted at the default path too: %d", r.status)
	}
	expectStatus(t, sendRaw(t, m.url, "GET", "/api/auth/jwt/jwks.json", ""), 200, "")
}

// Two engines in one process, each on its own router and store, share
// nothing.
func TestConfigTwoEnginesAreIndependent(t *testing.T) {
	e1 := newEnv(t, nil)
	e2 := newEnv(t, func(cfg *ginsession.Config) {
		cfg.AccessTokenTTL = 5 * time.Minute
		cfg.AntiCSRF = ginsession.AntiCSRFViaToken
	})
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			c1, c2 := e1.newClient(mode), e2.newClient(mode)
			in1, in2 := c1.signIn("same-user"), c2.signIn("same-user")
			h1, _ := in1.body["handle"].(string)
			h2, _ := in2.body["handle"].(string)

			// Each engine's own settings.
			ttl := func(r *resp) int64 {
				up := decodeFront(t, r.header.Get("front-token"))["up"].(map[string]any)
				return int64(up["exp"].(float64) - up["iat"].(float64))
			}
			if ttl(in1) != 3600 || ttl(in2) != 300 {
				t.Errorf("access-token TTLs %d and %d, want 3600 and 300", ttl(in1), ttl(in2))
			}
			if in1.header.Get("anti-csrf") != "" || in2.header.Get("anti-csrf") == "" {
				t.Error("anti-csrf settings leaked between engines")
			}

			// Tokens of one are not tokens of the other.
			r := sendWithToken(t, e2.server.URL, mode, "GET", "/api/me", "sAccessToken", c1.accessToken())
			expectStatusAndBody(t, r, 401, bodyTryRefresh)
			r = sendWithToken(t, e1.server.URL, mode, "POST", refreshPath, "sRefreshToken", c2.refreshToken())
			expectStatusAndBody(t, r, 401, bodyUnauthorised)
			if _, err := e1.sessions.GetSessionInfo(t.Context(), h2); !errors.Is(err, ginsession.ErrSessionNotFound) {
				t.Errorf("engine 1 sees engine 2's session: %v", err)
			}

			// Revoking every session of the user on one leaves the other.
			if _, err := e2.sessions.RevokeAllSessions(context.Background(), "same-user"); err != nil {
				t.Fatal(err)
			}
			expectSessionAlive(t, e1, h1)
			expectStatus(t, c1.do("GET", "/api/checked", ""), 200, "")
			expectStatus(t, c1.do("POST", "/auth/session/refresh", ""), 200, "")
			expectStatus(t, c2.do("GET", "/api/checked", ""), 401, "unauthorised")
		})
	}
	// The key sets are disjoint.
	j1 := sendRaw(t, e1.server.URL, "GET", "/auth/jwt/jwks.json", "")
	j2 := sendRaw(t, e2.server.URL, "GET", "/auth/jwt/jwks.json", "")
	for _, k := range j1.body["keys"].([]any) {
		kid := k.(map[string]any)["kid"].(string)
		if strings.Contains(j2.raw, kid) {
			t.Errorf("key %s published by both engines", kid)
		}
	}
	if n := e1.events.count(&e1.events.revoked); n != 0 {
		t.Errorf("engine 1 revoked hook ran %d times", n)
	}
}

// The engine keeps its own copy of the configuration: changing the caller's
// Config (its slices included) after Register changes nothing. Before the
// settings stopped embedding Config, the engine shared the caller's
// ClaimValidators backing array.
func TestConfigCallerChangesAfterRegisterDoNothing(t *testing.T) {
	var cfg *ginsession.Config
	e := newEnv(t, func(c *ginsession.Config) {
		c.ClaimValidators = []ginsession.ClaimValidator{ginsession.ValidatorFunc("ok", func(ginsession.Payload) any { return nil })}
		c.Claims = []ginsession.Claim{}
		cfg = c
	})
	cfg.ClaimValidators[0] = ginsession.ValidatorFunc("no", func(ginsession.Payload) any { return "refused" })
	cfg.AccessTokenTTL = time.Second
	c := e.newClient("header")
	c.signIn("user-1")
	e.clock.Advance(30 * time.Second)
	expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
}

// A nil router is an error like any bad setting, never a panic at the first
// route: nil itself, a nil *gin.Engine and a nil *gin.RouterGroup.
func TestConfigNilRouter(t *testing.T) {
	cfg := ginsession.Config{Store: openSQLite(t), APIDomain: "https://api.example.com"}
	var engine *gin.Engine
	var group *gin.RouterGroup
	for name, r := range map[string]gin.IRouter{"nil": nil, "nil *gin.Engine": engine, "nil *gin.RouterGroup": group} {
		s, err := ginsession.Register(r, cfg)
		if err == nil || s != nil || !strings.Contains(err.Error(), "router is nil") {
			t.Errorf("Register(%s): %v, %v", name, s, err)
		}
	}
	s, err := ginsession.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Mount(nil); err == nil || !strings.Contains(err.Error(), "router is nil") {
		t.Errorf("Mount(nil): %v", err)
	}
	if err := s.Mount(gin.New()); err != nil {
		t.Errorf("Mount(a router): %v", err)
	}
}

// The session routes are mounted from the root of the API, where
// APIBasePath (and the refresh cookie's Path with it) says they are: a group
// at another path is refused before anything is created or mounted, since
// its routes would answer at /api/auth/... while the refresh cookie is sent
// only to /auth/session/refresh. Mounting twice, or over a route of the
// app's own, is an error too, not Gin's panic. Found by a newcomer's trial:
// Register(r.Group("/api"), cfg) returned no error, and a second Register
// panicked.
func TestRegisterWhereTheRoutesCanBe(t *testing.T) {
	gin.SetMode(gin.TestMode)
	cfg := ginsession.Config{Store: openSQLite(t), APIDomain: "https://api.example.com"}

	r := gin.New()
	s, err := ginsession.Register(r.Group("/api"), cfg)
	if err == nil || s != nil || !strings.Contains(err.Error(), `group at "/api"`) || !strings.Contains(err.Error(), `"/api/auth"`) {
		t.Errorf("Register(a group at /api): %v, %v", s, err)
	}
	if n := len(r.Routes()); n != 0 {
		t.Errorf("the refused Register mounted %d routes", n)
	}

	// A group at "/" is the root.
	if _, err := ginsession.Register(r.Group("/"), cfg); err != nil {
		t.Fatalf("Register(a group at /): %v", err)
	}
	mounted := len(r.Routes())
	if mounted == 0 {
		t.Fatal("Register(a group at /) mounted nothing")
	}

	// Twice on one engine.
	s, err = ginsession.Register(r, cfg)
	if err == nil || s != nil || !strings.Contains(err.Error(), "already has POST /auth/session/refresh") {
		t.Errorf("a second Register: %v, %v", s, err)
	}
	if n := len(r.Routes()); n != mounted {
		t.Errorf("the refused Register changed the routes: %d, was %d", n, mounted)
	}

	// Over the app's own route.
	r = gin.New()
	r.POST("/auth/signout", func(c *gin.Context) {})
	s, err = ginsession.Register(r, cfg)
	if err == nil || s != nil || !strings.Contains(err.Error(), "Gin refused a session route under /auth/") {
		t.Errorf("Register over the app's POST /auth/signout: %v, %v", s, err)
	}
	// The error names the session routes added before the clash, which
	// stay: Gin cannot take a route back.
	if err != nil && !strings.Contains(err.Error(), "stay: POST /auth/session/refresh") {
		t.Errorf("the error does not say which routes stay: %v", err)
	}
	r = gin.New()
	r.GET("/auth/*any", func(c *gin.Context) {})
	if _, err := ginsession.Register(r, cfg); err == nil || !strings.Contains(err.Error(), "Gin refused") {
		t.Errorf("Register beside the app's GET /auth/*any: %v", err)
	}

	// With APIBasePath set, the routes are under the path it names.
	r = gin.New()
	cfg.APIBasePath = "/api/auth"
	if _, err := ginsession.Register(r, cfg); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/auth/jwt/jwks.json", nil))
	if w.Code != http.StatusOK {
		t.Errorf("GET /api/auth/jwt/jwks.json: %d", w.Code)
	}
}
