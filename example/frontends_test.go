package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// Tenants through a pattern, a mobile client naming its tenant in
// X-Tenant, and forged tenant names, through the example's origin function.
func TestTenantFrontends(t *testing.T) {
	const (
		def   = "http://localhost:3000"
		acme  = "http://acme.apps.example.test:3000"
		globx = "http://globex.apps.example.test:3000"
	)
	yes := true
	_, base := startApp(t, Options{Origins: []string{def, "http://*.apps.example.test:3000"}, CookieSecure: &yes})

	frontendOf := func(c *client, extra ...string) string {
		t.Helper()
		r := c.do(http.MethodGet, "/api/me", nil, extra...)
		wantStatus(t, "GET /api/me", r, http.StatusOK)
		f, _ := r.body["frontend"].(string)
		return f
	}

	web := newClient(t, base, "header")
	r := web.do(http.MethodPost, "/signup", map[string]string{"email": "acme@example.com", "password": "acme password"}, "Origin", acme)
	wantField(t, "tenant signup", r, "status", "OK")
	if got := r.header.Get("Access-Control-Allow-Origin"); got != acme {
		t.Errorf("Allow-Origin %q, want %q", got, acme)
	}
	if got := frontendOf(web, "Origin", acme); got != acme {
		t.Errorf("tenant page: frontend %q", got)
	}
	// With an Origin header, X-Tenant says nothing.
	if got := frontendOf(web, "Origin", acme, "X-Tenant", "globex"); got != acme {
		t.Errorf("tenant page with X-Tenant: frontend %q", got)
	}

	mobile := newClient(t, base, "header")
	wantField(t, "mobile signup", mobile.do(http.MethodPost, "/signup", map[string]string{"email": "globex@example.com", "password": "globex password"}, "X-Tenant", "globex"), "status", "OK")
	if got := frontendOf(mobile, "X-Tenant", "globex"); got != globx {
		t.Errorf("mobile: frontend %q", got)
	}
	for _, forged := range []string{"evil.test/x", "a.b", "evil.test#", "GLOBEX:3001", "", "*"} {
		if got := frontendOf(mobile, "X-Tenant", forged); got != def {
			t.Errorf("X-Tenant %q: frontend %q, want the default", forged, got)
		}
	}

	// Two labels, or an unlisted site: CORS refuses before any handler.
	for _, o := range []string{"http://a.b.apps.example.test:3000", "http://apps.example.test:3000", "http://acme.apps.example.test:3001"} {
		r := web.do(http.MethodOptions, "/signup", nil, "Origin", o, "Access-Control-Request-Method", "POST")
		if r.status != http.StatusForbidden || r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from %s: %d, Allow-Origin %q", o, r.status, r.header.Get("Access-Control-Allow-Origin"))
		}
	}
}

func TestPartitionedCookies(t *testing.T) {
	yes := true
	_, base := startApp(t, Options{CookiePartitioned: true, CookieSecure: &yes})
	c := newClient(t, base, "cookie")
	r := c.signUp("pia@example.com", "pia password")
	wantField(t, "signup", r, "status", "OK")
	for _, name := range []string{"sAccessToken", "sRefreshToken"} {
		ck := setCookies(r.header)[name]
		if ck == nil || !ck.Partitioned || !ck.Secure || ck.SameSite != http.SameSiteNoneMode {
			t.Errorf("%s: %v", name, ck)
		}
	}
	// Partitioned cookies must be Secure: refused on plain http.
	if _, err := NewApp(Options{DB: filepath.Join(t.TempDir(), "p.db"), CookiePartitioned: true}); err == nil || !strings.Contains(err.Error(), "Partitioned") {
		t.Errorf("NewApp with Partitioned, not Secure: %v", err)
	}
}

func TestParseFlagsFrontends(t *testing.T) {
	noEnv := func(string) string { return "" }
	opts, err := parseFlags([]string{"-origins", "http://localhost:3000,https://*.app.example.com", "-cookie-partitioned"}, noEnv)
	if err != nil || !opts.CookiePartitioned || strings.Join(opts.Origins, "|") != "http://localhost:3000|https://*.app.example.com" {
		t.Fatalf("%+v %v", opts, err)
	}
	if _, err := parseFlags([]string{"-origins", "https://*.app.example.com,http://localhost:3000"}, noEnv); err == nil || !strings.Contains(err.Error(), "first entry") {
		t.Errorf("a pattern first: %v", err)
	}
	if _, err := NewApp(Options{DB: filepath.Join(t.TempDir(), "x.db"), Origins: []string{"http://localhost:3000", "https://*.com"}}); err == nil {
		t.Error("NewApp accepted the pattern https://*.com")
	}
}

func TestExposeAccessTokenFlag(t *testing.T) {
	opts, err := parseFlags([]string{"-expose-access-token"}, func(string) string { return "" })
	if err != nil || !opts.ExposeAccessToken {
		t.Fatalf("%+v %v", opts, err)
	}
	_, base := startApp(t, Options{ExposeAccessToken: opts.ExposeAccessToken})
	c := newClient(t, base, "cookie")
	r := c.signUp("xavi@example.com", "xavi password")
	if got := r.header.Get("st-access-token"); got == "" || setCookies(r.header)["sAccessToken"].Value != got {
		t.Errorf("st-access-token %q", got)
	}
}

// Links sent to a user point at the user's own frontend, recorded when the
// account was signed up, whichever frontend a later request names: a
// request with another tenant's X-Tenant (or Origin) gets that tenant as
// the frontend it is answered for, and the user's own as homeFrontend.
func TestHomeFrontendIsTheUsersOwn(t *testing.T) {
	const (
		def   = "http://localhost:3000"
		acme  = "http://acme.apps.example.test:3000"
		globx = "http://globex.apps.example.test:3000"
	)
	yes := true
	app, base := startApp(t, Options{Origins: []string{def, "http://*.apps.example.test:3000"}, CookieSecure: &yes})
	frontends := func(c *client, extra ...string) (request, home string) {
		t.Helper()
		r := c.do(http.MethodGet, "/api/me", nil, extra...)
		wantStatus(t, "GET /api/me", r, http.StatusOK)
		request, _ = r.body["frontend"].(string)
		payload, _ := r.body["payload"].(map[string]any)
		home, _ = payload["homeFrontend"].(string)
		return request, home
	}
	creds := map[string]string{"email": "ann@example.com", "password": "ann password"}

	// Ann signs up in acme's mobile app.
	ann := newClient(t, base, "header")
	wantField(t, "signup", ann.do(http.MethodPost, "/signup", creds, "X-Tenant", "acme"), "status", "OK")
	if req, home := frontends(ann, "X-Tenant", "acme"); req != acme || home != acme {
		t.Errorf("acme's app: frontend %q, homeFrontend %q; want both %q", req, home, acme)
	}
	// Her session, asked with globex's name or from globex's page.
	for _, hdr := range [][]string{{"X-Tenant", "globex"}, {"Origin", globx}} {
		if req, home := frontends(ann, hdr...); req != globx || home != acme {
			t.Errorf("%s: frontend %q, homeFrontend %q; want %q and %q", hdr, req, home, globx, acme)
		}
	}
	// A sign-in to her account through globex: the payload still names acme.
	other := newClient(t, base, "header")
	wantField(t, "signin", other.do(http.MethodPost, "/signin", creds, "X-Tenant", "globex"), "status", "OK")
	if req, home := frontends(other, "X-Tenant", "globex"); req != globx || home != acme {
		t.Errorf("signed in through globex: frontend %q, homeFrontend %q; want %q and %q", req, home, globx, acme)
	}

	// The link builder reads the record, not any request.
	var u user
	if err := app.db.Where("email = ?", "ann@example.com").Take(&u).Error; err != nil {
		t.Fatal(err)
	}
	if u.Frontend != acme || app.homeFrontend(&u) != acme {
		t.Errorf("stored frontend %q, homeFrontend %q; want %q", u.Frontend, app.homeFrontend(&u), acme)
	}
	// An account from before the column: the default frontend.
	if got := app.homeFrontend(&user{}); got != def {
		t.Errorf("homeFrontend of a user without one: %q, want %q", got, def)
	}

	// A sign-up from a browser page records its Origin; one naming no
	// frontend records the default.
	web := newClient(t, base, "header")
	wantField(t, "web signup", web.do(http.MethodPost, "/signup", map[string]string{"email": "bo@example.com", "password": "bo password"}, "Origin", globx), "status", "OK")
	if _, home := frontends(web, "X-Tenant", "acme"); home != globx {
		t.Errorf("signed up on globex's page: homeFrontend %q", home)
	}
	plain := newClient(t, base, "header")
	wantField(t, "plain signup", plain.signUp("cy@example.com", "cy password"), "status", "OK")
	if _, home := frontends(plain, "X-Tenant", "acme"); home != def {
		t.Errorf("signed up naming no frontend: homeFrontend %q, want %q", home, def)
	}
}
