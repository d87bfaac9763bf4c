package ginsession_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ginsession/ginsession/ginsession"
)

// With CookiePartitioned every session cookie ginsession sets is
// partitioned. A browser keys a cookie by its partition as well as its
// name, domain and path, so a partitioned clearing removes only a
// partitioned cookie. A page on a sibling subdomain plants unpartitioned
// cookies (document.cookie without the attribute); in a first-party
// context (or a third-party one that allows third-party cookies) the
// browser sends them beside the partitioned ones. The refresh that such a
// duplicate sends the frontend to must expire them, or every call would
// be a "try refresh token" and a refresh, until the SDK gives up.

// partitionedTossEnv is CookiePartitioned on api.example.test, with mutate
// applied after.
func partitionedTossEnv(t *testing.T, mutate func(*ginsession.Config)) *env {
	return newEnv(t, func(cfg *ginsession.Config) {
		partitionedConfig(cfg)
		if mutate != nil {
			mutate(cfg)
		}
	})
}

// Through the SDK: user B's access token (and a junk refresh token) planted
// on the parent domain, unpartitioned, beside A's partitioned session. One
// refresh, the planted cookies are gone, A stays A.
func TestPartitionedStraysUnpartitionedPlantIsExpired(t *testing.T) {
	configs := map[string]func(*ginsession.Config){
		"host-only":         nil,
		"CookieDomain":      func(cfg *ginsession.Config) { cfg.CookieDomain = ".example.test" },
		"OlderCookieDomain": func(cfg *ginsession.Config) { cfg.OlderCookieDomain = ".example.test" },
	}
	for name, mutate := range configs {
		for _, plantDomain := range []string{"example.test", "api.example.test"} {
			t.Run(name+"/"+plantDomain, func(t *testing.T) {
				e := partitionedTossEnv(t, mutate)
				b, _ := rawSignIn(t, e.server.URL, "cookie", "b", "")
				s := newSDKClient(t, e, "api.example.test", "cookie")
				s.signIn("a")
				// With CookieDomain .example.test a plant of the same Domain
				// and Path is a different cookie from ours only because it is
				// unpartitioned (a script could not overwrite our HttpOnly one).
				s.jar.plant(jarCookie{name: "sAccessToken", value: b.access, domain: plantDomain})
				s.jar.plant(jarCookie{name: "sRefreshToken", value: "x", domain: plantDomain, path: refreshPath})
				before := s.refreshes
				r := s.call("GET", "/api/me")
				if r.status != 200 || r.body["userId"] != "a" || s.refreshes-before != 1 {
					t.Fatalf("call: %d %s after %d refreshes, want 200 as a after exactly 1; left: %v %v",
						r.status, r.raw, s.refreshes-before, s.jar.named("sAccessToken"), s.jar.named("sRefreshToken"))
				}
				for _, n := range []string{"sAccessToken", "sRefreshToken"} {
					for _, c := range s.jar.named(n) {
						if !strings.HasSuffix(c, "(partitioned)") {
							t.Errorf("unpartitioned %s left: %v", n, s.jar.named(n))
						}
					}
				}
				if r = s.call("GET", "/api/me"); r.status != 200 || s.refreshes-before != 1 {
					t.Errorf("next call: %d after %d refreshes in all", r.status, s.refreshes-before)
				}
			})
		}
	}
}

// The same, partitioned: a sibling page of the same top-level site can
// plant into the partition too (document.cookie with Partitioned).
func TestPartitionedStraysPartitionedPlantIsExpired(t *testing.T) {
	e := partitionedTossEnv(t, nil)
	b, _ := rawSignIn(t, e.server.URL, "cookie", "b", "")
	s := newSDKClient(t, e, "api.example.test", "cookie")
	s.signIn("a")
	s.jar.plant(jarCookie{name: "sAccessToken", value: b.access, domain: "example.test", partitioned: true})
	r := s.call("GET", "/api/me")
	if r.status != 200 || r.body["userId"] != "a" || s.refreshes != 1 {
		t.Fatalf("call: %d %s after %d refreshes; left: %v", r.status, r.raw, s.refreshes, s.jar.named("sAccessToken"))
	}
	if got := s.jar.named("sAccessToken"); strings.Join(got, ",") != "sAccessToken@api.example.test/ (partitioned)" {
		t.Errorf("sAccessToken cookies: %v", got)
	}
}

// The refresh answer's Set-Cookie lines when a duplicate came: each stray
// domain is expired twice, partitioned and not, and CookieDomain (host-only
// here) unpartitioned before the partitioned cookies are written; every
// line that sets a token is partitioned.
func TestPartitionedStraysClearLines(t *testing.T) {
	e := partitionedTossEnv(t, nil)
	a, _ := rawSignIn(t, e.server.URL, "cookie", "a", "")
	b, _ := rawSignIn(t, e.server.URL, "cookie", "b", "")
	r := refreshCookies(t, e, cookieHeader("sAccessToken", b.access, "sAccessToken", a.access, "sRefreshToken", a.refresh))
	expectStatus(t, r, 200, "")
	var got []string
	for _, ck := range setCookies(r.header) {
		if ck.Value != "" {
			if !ck.Partitioned {
				t.Errorf("a token written unpartitioned: %s", ck.Raw)
			}
			got = append(got, "set "+ck.Name+"@"+ck.Domain)
			continue
		}
		if !ck.Secure || ck.SameSite != http.SameSiteNoneMode {
			t.Errorf("clearing without Secure; SameSite=None: %s", ck.Raw)
		}
		p := ""
		if ck.Partitioned {
			p = " partitioned"
		}
		got = append(got, "clear "+ck.Name+"@"+ck.Domain+p)
	}
	want := []string{
		"clear sAccessToken@",
		"clear sAccessToken@api.example.test partitioned", "clear sAccessToken@api.example.test",
		"clear sAccessToken@example.test partitioned", "clear sAccessToken@example.test",
		"clear sRefreshToken@",
		"clear sRefreshToken@api.example.test partitioned", "clear sRefreshToken@api.example.test",
		"clear sRefreshToken@example.test partitioned", "clear sRefreshToken@example.test",
		"set sAccessToken@", "set sRefreshToken@",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Set-Cookie lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
