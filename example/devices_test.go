package main

import (
	"net/http"
	"testing"

	"github.com/ginsession/ginsession/ginsession"
)

// POST /api/sessions/revoke-others signs out every other device of the
// caller, and only those.
func TestRevokeOtherDevices(t *testing.T) {
	_, base := startApp(t, Options{})
	laptop := newClient(t, base, "cookie")
	wantField(t, "signup", laptop.signUp("erin@example.com", "erin password"), "status", "OK")
	phone := newClient(t, base, "header")
	wantField(t, "signin", phone.signIn("erin@example.com", "erin password"), "status", "OK")
	tablet := newClient(t, base, "cookie")
	wantField(t, "signin", tablet.signIn("erin@example.com", "erin password"), "status", "OK")
	stranger := newClient(t, base, "cookie")
	wantField(t, "signup", stranger.signUp("finn@example.com", "finn password"), "status", "OK")

	r := laptop.do(http.MethodPost, "/api/sessions/revoke-others", nil)
	wantStatus(t, "revoke-others", r, http.StatusOK)
	if r.body["revoked"] != float64(2) {
		t.Fatalf("revoke-others: %s", r.raw)
	}
	for name, c := range map[string]*client{"phone": phone, "tablet": tablet} {
		wantStatus(t, name+" after revoke-others", c.do(http.MethodGet, "/api/sessions", nil), http.StatusUnauthorized)
		wantStatus(t, name+" refresh", c.refresh(), http.StatusUnauthorized)
	}
	r = laptop.do(http.MethodGet, "/api/sessions", nil)
	wantStatus(t, "laptop's list", r, http.StatusOK)
	if list := r.body["sessions"].([]any); len(list) != 1 || list[0].(map[string]any)["current"] != true {
		t.Fatalf("laptop's list: %s", r.raw)
	}
	wantStatus(t, "stranger untouched", stranger.do(http.MethodGet, "/api/sessions", nil), http.StatusOK)
	// Nothing left to revoke.
	r = laptop.do(http.MethodPost, "/api/sessions/revoke-others", nil)
	if r.status != http.StatusOK || r.body["revoked"] != float64(0) {
		t.Fatalf("second revoke-others: %d %s", r.status, r.raw)
	}
}

// "rememberMe": false at sign-in gives cookies that end with the browser
// session; the list says so.
func TestSignInWithoutRememberMe(t *testing.T) {
	_, base := startApp(t, Options{})
	c := newClient(t, base, "cookie")
	wantField(t, "signup", c.signUp("gus@example.com", "gus password"), "status", "OK")
	d := newClient(t, base, "cookie")
	r := d.do(http.MethodPost, "/signin", map[string]any{"email": "gus@example.com", "password": "gus password", "rememberMe": false})
	wantField(t, "signin", r, "status", "OK")
	for _, name := range []string{"sAccessToken", "sRefreshToken"} {
		if ck := setCookies(r.header)[name]; ck == nil || !ck.Expires.IsZero() || ck.MaxAge != 0 {
			t.Errorf("%s: %v", name, ck)
		}
	}
	r = d.do(http.MethodGet, "/api/sessions", nil)
	for _, e := range r.body["sessions"].([]any) {
		s := e.(map[string]any)
		if want := s["current"] != true; s["remembered"] != want {
			t.Errorf("remembered %v for current=%v", s["remembered"], s["current"])
		}
	}
}

// At the session cap with refuse-new, a sign-in with the right password
// answers 409 with the user's devices; POST /signin/replace signs the one
// the user picks out and signs in, authorised by the password again (never
// by the handle alone), and only for the user's own sessions.
func TestSignInAtSessionCap(t *testing.T) {
	_, base := startApp(t, Options{MaxSessionsPerUser: 2, SessionLimitPolicy: ginsession.SessionLimitRefuseNew})
	const email, password = "hal@example.com", "hal password"
	laptop := newClient(t, base, "cookie")
	wantField(t, "signup", laptop.signUp(email, password), "status", "OK")
	_, laptopHandle := laptop.me()
	phone := newClient(t, base, "header")
	wantField(t, "signin", phone.do(http.MethodPost, "/signin", map[string]any{"email": email, "password": password},
		"User-Agent", "HalPhone/1.0"), "status", "OK")
	_, phoneHandle := phone.me()
	stranger := newClient(t, base, "cookie")
	wantField(t, "stranger signup", stranger.signUp("ida@example.com", "ida password"), "status", "OK")
	_, strangerHandle := stranger.me()

	// A wrong password learns nothing; the right one gets the devices.
	newcomer := newClient(t, base, "cookie")
	wantField(t, "wrong password", newcomer.signIn(email, "not hal's password"), "status", "WRONG_CREDENTIALS_ERROR")
	r := newcomer.signIn(email, password)
	wantStatus(t, "sign-in at the cap", r, http.StatusConflict)
	wantField(t, "sign-in at the cap", r, "status", "SESSION_LIMIT_ERROR")
	if len(setCookies(r.header)) != 0 {
		t.Errorf("a refused sign-in set cookies: %q", r.header.Values("Set-Cookie"))
	}
	list, _ := r.body["sessions"].([]any)
	if len(list) != 2 {
		t.Fatalf("devices in the 409: %s", r.raw)
	}
	first, second := list[0].(map[string]any), list[1].(map[string]any)
	if first["handle"] != laptopHandle || second["handle"] != phoneHandle || second["userAgent"] != "HalPhone/1.0" ||
		first["lastActiveAt"] == "" || first["current"] != false {
		t.Errorf("devices in the 409: %s", r.raw)
	}

	replace := func(body map[string]any) result {
		t.Helper()
		return newcomer.do(http.MethodPost, "/signin/replace", body)
	}
	// The handle alone, or with a wrong password, signs nothing out.
	wantStatus(t, "replace without a password", replace(map[string]any{"email": email, "handle": laptopHandle}), http.StatusBadRequest)
	wantField(t, "replace with a wrong password", replace(map[string]any{"email": email, "password": "guess", "handle": laptopHandle}),
		"status", "WRONG_CREDENTIALS_ERROR")
	// Another user's password with hal's handle: not one of her sessions.
	wantStatus(t, "replace as another user", replace(map[string]any{"email": "ida@example.com", "password": "ida password", "handle": laptopHandle}),
		http.StatusNotFound)
	wantStatus(t, "replace without a handle", replace(map[string]any{"email": email, "password": password}), http.StatusBadRequest)
	wantStatus(t, "replace with another user's handle", replace(map[string]any{"email": email, "password": password, "handle": strangerHandle}), http.StatusNotFound)
	for name, c := range map[string]*client{"laptop": laptop, "phone": phone, "stranger": stranger} {
		wantStatus(t, name+" untouched", c.do(http.MethodGet, "/api/sessions", nil), http.StatusOK)
	}

	r = replace(map[string]any{"email": email, "password": password, "handle": laptopHandle})
	wantStatus(t, "replace", r, http.StatusOK)
	wantField(t, "replace", r, "status", "OK")
	if setCookies(r.header)["sAccessToken"] == nil {
		t.Errorf("no session cookies after replace: %q", r.header.Values("Set-Cookie"))
	}
	wantStatus(t, "the laptop after replace", laptop.do(http.MethodGet, "/api/sessions", nil), http.StatusUnauthorized)
	wantStatus(t, "the laptop's refresh", laptop.refresh(), http.StatusUnauthorized)
	r = newcomer.do(http.MethodGet, "/api/sessions", nil)
	wantStatus(t, "newcomer's list", r, http.StatusOK)
	if l := r.body["sessions"].([]any); len(l) != 2 || l[0].(map[string]any)["handle"] != phoneHandle {
		t.Errorf("newcomer's list: %s", r.raw)
	}
	// The same handle again: gone.
	wantStatus(t, "replace twice", newClient(t, base, "cookie").do(http.MethodPost, "/signin/replace",
		map[string]any{"email": email, "password": password, "handle": laptopHandle}), http.StatusNotFound)
}

// The control under evict-oldest: a sign-in at the cap succeeds and signs
// out the oldest device; /signin never answers 409.
func TestSignInAtSessionCapEvictOldest(t *testing.T) {
	_, base := startApp(t, Options{MaxSessionsPerUser: 2})
	const email, password = "jo@example.com", "jo password"
	first := newClient(t, base, "cookie")
	wantField(t, "signup", first.signUp(email, password), "status", "OK")
	second, third := newClient(t, base, "header"), newClient(t, base, "cookie")
	wantField(t, "signin", second.signIn(email, password), "status", "OK")
	wantField(t, "signin at the cap", third.signIn(email, password), "status", "OK")
	wantStatus(t, "the oldest device", first.do(http.MethodGet, "/api/sessions", nil), http.StatusUnauthorized)
	wantStatus(t, "the second device", second.do(http.MethodGet, "/api/sessions", nil), http.StatusOK)
}
