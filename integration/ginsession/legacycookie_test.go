package ginsession_test

import (
	"strings"
	"testing"

	"github.com/ginsession/ginsession/ginsession"
)

// A request that carries an older SDK's sIdRefreshToken beside a valid
// access token (a session from before the upgrade, or a cookie a sibling
// subdomain planted) is answered 401 "try refresh token", as the
// SuperTokens backends answer it: the SDK refreshes once, the refresh
// expires the cookie wherever a copy can sit, and the call goes through.

const legacyCookie = "sIdRefreshToken"

// legacyEnv is an engine on api.example.test (so parent domains exist),
// with mutate applied after.
func legacyEnv(t *testing.T, mutate func(*ginsession.Config)) *env {
	return newEnv(t, func(cfg *ginsession.Config) {
		cfg.APIDomain = "http://api.example.test"
		if mutate != nil {
			mutate(cfg)
		}
	})
}

// The verify answer itself: 401 try refresh, nothing touched, on a
// required route and an Optional one, in both transfer methods (the
// browser sends the cookie whatever the SDK's method).
func TestLegacyCookieValidSessionIsAskedToRefresh(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := legacyEnv(t, nil)
			s := newSDKClient(t, e, "api.example.test", mode)
			s.signIn("leo")
			expectStatus(t, s.send("GET", "/api/me", ""), 200, "")
			s.jar.plant(jarCookie{name: legacyCookie, value: "3c1f7e8a-old-sdk", hostOnly: true})
			for _, call := range []string{"GET /api/me", "POST /api/me", "GET /api/optional"} {
				method, route, _ := strings.Cut(call, " ")
				r := s.send(method, route, "")
				if r.status != 401 || r.message() != "try refresh token" {
					t.Errorf("%s with %s: %d %s, want 401 try refresh token", call, legacyCookie, r.status, r.raw)
					continue
				}
				expectTokensUntouched(t, r)
			}
		})
	}
}

// Without any session token, the legacy cookie changes nothing: a guest on
// an Optional route is a guest (the SDK would not refresh for a session it
// knows to be gone, so answering 401 there would refuse the guest every
// call while the cookie stays), and a required route answers
// "unauthorised" as before.
func TestLegacyCookieNoSessionTokenIsNotAskedToRefresh(t *testing.T) {
	e := legacyEnv(t, nil)
	ck := "Cookie"
	legacy := legacyCookie + "=3c1f7e8a-old-sdk"
	r := sendRaw(t, e.server.URL, "GET", "/api/optional", "", ck, legacy)
	expectStatus(t, r, 200, "")
	if r.body["session"] != false {
		t.Errorf("Optional route without a session token: %s", r.raw)
	}
	r = sendRaw(t, e.server.URL, "GET", "/api/me", "", ck, legacy, "rid", "anti-csrf")
	expectStatus(t, r, 401, "unauthorised")
	expectTokensUntouched(t, r)
}

// The whole exchange through the SDK: one refresh, the cookie is expired
// wherever it sat, the call succeeds, and the next one needs no refresh.
// Where the legacy cookie can sit: host-only (set by the API before the
// upgrade), on CookieDomain or OlderCookieDomain (the cookie domain of its
// day), on the API host as a Domain cookie or on the parent domain
// (planted by a page on a sibling subdomain). A copy the refresh did not
// expire would send every call to the refresh route until the SDK gives
// up.
func TestLegacyCookieRefreshExpiresItWhereverItSits(t *testing.T) {
	configs := map[string]func(*ginsession.Config){
		"host-only":         nil,
		"CookieDomain":      func(cfg *ginsession.Config) { cfg.CookieDomain = ".example.test" },
		"OlderCookieDomain": func(cfg *ginsession.Config) { cfg.OlderCookieDomain = ".example.test" },
		"older host-only": func(cfg *ginsession.Config) {
			cfg.CookieDomain, cfg.OlderCookieDomain = ".example.test", ginsession.HostOnly
		},
		"partitioned (https)":   partitionedConfig,
		"CookieDomain api host": func(cfg *ginsession.Config) { cfg.CookieDomain = ".api.example.test" },
	}
	plants := map[string]jarCookie{
		"host-only":               {hostOnly: true},
		"Domain=api.example.test": {domain: "api.example.test"},
		"Domain=example.test":     {domain: "example.test"},
	}
	for cname, mutate := range configs {
		for pname, plant := range plants {
			for _, mode := range modes {
				t.Run(cname+"/"+pname+"/"+mode, func(t *testing.T) {
					e := legacyEnv(t, mutate)
					s := newSDKClient(t, e, "api.example.test", mode)
					s.signIn("leo")
					plant.name, plant.value = legacyCookie, "3c1f7e8a-old-sdk"
					s.jar.plant(plant)
					before := s.refreshes
					r := s.call("GET", "/api/me")
					if r.status != 200 || r.body["userId"] != "leo" || s.refreshes-before != 1 {
						t.Fatalf("call: %d %s after %d refreshes, want 200 as leo after exactly 1; %s left: %v",
							r.status, r.raw, s.refreshes-before, legacyCookie, s.jar.named(legacyCookie))
					}
					if left := s.jar.named(legacyCookie); len(left) != 0 {
						t.Errorf("%s left in the browser: %v", legacyCookie, left)
					}
					r = s.call("GET", "/api/me")
					if r.status != 200 || s.refreshes-before != 1 {
						t.Errorf("next call: %d after %d refreshes in all", r.status, s.refreshes-before)
					}
				})
			}
		}
	}
}

// With CookiePartitioned, a copy in the partition (a page on a sibling
// subdomain of the same top-level site can set one) is expired too, and
// so is the unpartitioned one older SDKs set.
func TestLegacyCookiePartitionedAndNotAreBothExpired(t *testing.T) {
	e := legacyEnv(t, partitionedConfig)
	s := newSDKClient(t, e, "api.example.test", "cookie")
	s.signIn("leo")
	s.jar.plant(jarCookie{name: legacyCookie, value: "old", hostOnly: true})
	s.jar.plant(jarCookie{name: legacyCookie, value: "planted", domain: "example.test", partitioned: true})
	r := s.call("GET", "/api/me")
	if r.status != 200 || s.refreshes != 1 {
		t.Fatalf("call: %d after %d refreshes; %s left: %v", r.status, s.refreshes, legacyCookie, s.jar.named(legacyCookie))
	}
	if left := s.jar.named(legacyCookie); len(left) != 0 {
		t.Errorf("%s left: %v", legacyCookie, left)
	}
}

// partitionedConfig is CookiePartitioned on an https API (it needs Secure).
func partitionedConfig(cfg *ginsession.Config) {
	cfg.APIDomain = "https://api.example.test"
	cfg.CookieSecure = boolPtr(true)
	cfg.CookiePartitioned = true
}

// The refresh answer's clears of the legacy cookie: Path /, on every
// domain, in both kinds (a sibling may plant it partitioned too).
func TestLegacyCookieClearLines(t *testing.T) {
	e := legacyEnv(t, nil)
	tk, _ := rawSignIn(t, e.server.URL, "cookie", "leo", "")
	r := sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session", "Cookie", "sRefreshToken="+tk.refresh+"; "+legacyCookie+"=x")
	expectStatus(t, r, 200, "")
	var domains []string
	for _, ck := range legacyClears(r.header) {
		d := ck.Domain
		if ck.Partitioned {
			d += " partitioned"
		}
		domains = append(domains, d)
	}
	if got, want := strings.Join(domains, ","), ", partitioned,api.example.test,api.example.test partitioned,example.test,example.test partitioned"; got != want {
		t.Errorf("%s expired on %q, want %q (%v)", legacyCookie, got, want, r.header.Values("Set-Cookie"))
	}
	for _, ck := range cookiesNamed(r.header, legacyCookie) {
		if ck.Value != "" || ck.Path != "/" {
			t.Errorf("%s written: %s", legacyCookie, ck.Raw)
		}
	}
	// A request without the cookie gets no clearing.
	tk = tokensIn(t, r, "cookie")
	r = sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session", "Cookie", "sRefreshToken="+tk.refresh)
	expectStatus(t, r, 200, "")
	if got := cookiesNamed(r.header, legacyCookie); len(got) != 0 {
		t.Errorf("refresh without the cookie wrote %v", r.header.Values("Set-Cookie"))
	}
}
