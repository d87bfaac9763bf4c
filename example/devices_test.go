package main

import (
	"net/http"
	"testing"
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
