package ginsession_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
)

// Duplicate session cookies: an older cookie domain leaves them, and a page
// on a sibling subdomain can plant them (cookie tossing: evil.example.test
// may set cookies for example.test, which the browser then sends to
// api.example.test beside ours). These tests pin the rule of candidates.go:
// only token-shaped candidates count, they must all name one session, and a
// stale refresh token is theft whatever else the request carries.

// tossEnv is an engine whose API sits on a subdomain, so that parent
// domains exist for strays to sit on.
func tossEnv(t *testing.T) *env {
	return newEnv(t, func(cfg *ginsession.Config) { cfg.APIDomain = "http://api.example.test" })
}

// refreshCookies sends a cookie-mode refresh carrying exactly cookie.
func refreshCookies(t *testing.T, e *env, cookie string) *resp {
	t.Helper()
	return sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session", "st-auth-mode", "cookie", "Cookie", cookie)
}

// A stale refresh token is theft even when a planted second sRefreshToken
// comes with it: junk, a well-shaped forgery, or the thief's own session.
func TestDuplicatesStaleRefreshTokenIsTheftWhateverComesWithIt(t *testing.T) {
	cases := map[string]func(t *testing.T, e *env) string{
		"junk":                func(*testing.T, *env) string { return "x" },
		"shaped like a token": func(*testing.T, *env) string { return strings.Repeat("A", 98) },
		"the thief's own session": func(t *testing.T, e *env) string {
			tk, _ := rawSignIn(t, e.server.URL, "cookie", "thief", "")
			return tk.refresh
		},
		"an empty cookie, a quote": func(*testing.T, *env) string { return `""` },
	}
	for name, other := range cases {
		for _, order := range []string{"planted first", "planted last"} {
			t.Run(name+"/"+order, func(t *testing.T) {
				e := tossEnv(t)
				t0, _ := rawSignIn(t, e.server.URL, "cookie", "victim", "")
				r := sendWithToken(t, e.server.URL, "cookie", "POST", refreshPath, "sRefreshToken", t0.refresh)
				expectStatus(t, r, 200, "")
				t1 := tokensIn(t, r, "cookie")
				r = sendWithToken(t, e.server.URL, "cookie", "POST", refreshPath, "sRefreshToken", t1.refresh)
				expectStatus(t, r, 200, "")
				thief := tokensIn(t, r, "cookie") // the thief holds the newest token
				e.clock.Advance(time.Minute)      // past the grace window

				planted := other(t, e)
				pair := []string{"sRefreshToken", t0.refresh, "sRefreshToken", planted}
				if order == "planted first" {
					pair = []string{"sRefreshToken", planted, "sRefreshToken", t0.refresh}
				}
				r = refreshCookies(t, e, cookieHeader(pair...))
				expectStatusAndBody(t, r, 401, bodyTheft)
				expectSessionGone(t, e, t0.handle)
				if n := e.events.count(&e.events.theft); n != 1 {
					t.Errorf("theft hook ran %d times, want 1", n)
				}
				r = sendWithToken(t, e.server.URL, "cookie", "POST", refreshPath, "sRefreshToken", thief.refresh)
				expectStatusAndBody(t, r, 401, bodyUnauthorised)
			})
		}
	}
}

// Two current refresh tokens of different sessions: nothing is rotated and
// neither session is lost (neither token is stale); the strays are cleared.
func TestDuplicatesRefreshTokensOfTwoSessionsRotateNothing(t *testing.T) {
	e := tossEnv(t)
	a, _ := rawSignIn(t, e.server.URL, "cookie", "a", "")
	b, _ := rawSignIn(t, e.server.URL, "cookie", "b", "")
	r := refreshCookies(t, e, cookieHeader("sRefreshToken", a.refresh, "sRefreshToken", b.refresh))
	expectStatusAndBody(t, r, 401, bodyUnauthorised)
	if r.header.Get("front-token") != "remove" {
		t.Errorf("front-token %q: an ambiguous cookie jar is cleared", r.header.Get("front-token"))
	}
	expectSessionAlive(t, e, a.handle)
	expectSessionAlive(t, e, b.handle)
	if n := e.events.count(&e.events.refreshed); n != 0 {
		t.Errorf("%d refreshes", n)
	}
	for _, tk := range []issuedTokens{a, b} {
		r := sendWithToken(t, e.server.URL, "cookie", "POST", refreshPath, "sRefreshToken", tk.refresh)
		expectStatus(t, r, 200, "")
	}
}

// Cookie tossing on verify: several access tokens that do not all name one
// session authenticate nobody, whichever of them verifies.
func TestDuplicatesAccessTokensOfTwoSessionsAreNobodys(t *testing.T) {
	e := tossEnv(t)
	a, _ := rawSignIn(t, e.server.URL, "cookie", "a", "")
	e.clock.Advance(30 * time.Minute)
	b, _ := rawSignIn(t, e.server.URL, "cookie", "b", "")
	e.clock.Advance(30*time.Minute + time.Second) // A's token has expired, B's has not
	for name, cookie := range map[string]string{
		"A expired, B valid":          cookieHeader("sAccessToken", a.access, "sAccessToken", b.access),
		"B valid, A expired":          cookieHeader("sAccessToken", b.access, "sAccessToken", a.access),
		"junk, A expired, B valid":    cookieHeader("sAccessToken", "x", "sAccessToken", a.access, "sAccessToken", b.access),
		"A with a flipped sig, B":     cookieHeader("sAccessToken", flipSignatureChar(t, a.access), "sAccessToken", b.access),
		"both valid":                  "",
		"A expired, B valid, on POST": cookieHeader("sAccessToken", a.access, "sAccessToken", b.access),
		"B valid, then four junk cookies": cookieHeader("sAccessToken", b.access, "sAccessToken", "x", "sAccessToken", "y",
			"sAccessToken", "z", "sAccessToken", a.access),
	} {
		t.Run(name, func(t *testing.T) {
			if name == "both valid" {
				// Only B's token lives now: mint a fresh one for A.
				a2, _ := rawSignIn(t, e.server.URL, "cookie", "a", "")
				cookie = cookieHeader("sAccessToken", a2.access, "sAccessToken", b.access)
			}
			method := "GET"
			if strings.HasSuffix(name, "on POST") {
				method = "POST"
			}
			r := sendRaw(t, e.server.URL, method, "/api/me", "", "rid", "anti-csrf", "Cookie", cookie)
			if r.status == 200 {
				t.Fatalf("answered as %v: %s", r.body["userId"], r.raw)
			}
			expectStatusAndBody(t, r, 401, bodyTryRefresh)
		})
	}
}

// flipSignatureChar changes one character of a token's signature.
func flipSignatureChar(t *testing.T, tok string) string {
	h, p, s := splitJWT(t, tok)
	return h + "." + p + "." + flipChar(s, len(s)/2)
}

// After a tossed access token sent the frontend to refresh, the refresh
// (with the user's own refresh token) succeeds as that user and expires the
// strays on every domain they can sit on: host-only and each parent domain
// of the API host down to the registrable domain.
func TestDuplicatesRefreshClearsTossedCookies(t *testing.T) {
	e := tossEnv(t)
	a, _ := rawSignIn(t, e.server.URL, "cookie", "a", "")
	b, _ := rawSignIn(t, e.server.URL, "cookie", "b", "")
	r := refreshCookies(t, e, cookieHeader("sAccessToken", b.access, "sAccessToken", a.access, "sRefreshToken", a.refresh))
	expectStatus(t, r, 200, "")
	if got := tokensIn(t, r, "cookie"); got.refresh == "" {
		t.Fatal("no new refresh token")
	}
	cleared := map[string]bool{}
	var set []string
	for _, ck := range setCookies(r.header) {
		if ck.Value == "" && ck.Name == "sAccessToken" {
			cleared[ck.Domain] = true
		}
		if ck.Value != "" {
			set = append(set, ck.Name+"@"+ck.Domain)
		}
	}
	for _, d := range []string{"", "api.example.test", "example.test"} {
		// The host-only cookie is the one ginsession sets here, so it is
		// overwritten rather than cleared.
		if d == "" {
			continue
		}
		if !cleared[d] {
			t.Errorf("sAccessToken not expired on %q (cleared on %v)", d, cleared)
		}
	}
	if cleared["test"] {
		t.Error("expired on a public suffix")
	}
	if strings.Join(set, ",") != "sAccessToken@,sRefreshToken@" {
		t.Errorf("new cookies %v, want both host-only, written after the clearing", set)
	}
	// The user is still A.
	tk := tokensIn(t, r, "cookie")
	me := sendWithToken(t, e.server.URL, "cookie", "GET", "/api/me", "sAccessToken", tk.access)
	expectStatus(t, me, 200, "")
	if me.body["userId"] != "a" {
		t.Errorf("after refresh: %s", me.raw)
	}
}

// Junk cookies of the name do not count as candidates: however many come
// first, the real token is found.
func TestDuplicatesJunkDoesNotPushOutTheRealCookie(t *testing.T) {
	e := tossEnv(t)
	a, _ := rawSignIn(t, e.server.URL, "cookie", "a", "")
	junk := []string{}
	for _, v := range []string{"x", "deleted", "null", "%00", "a.b", "eyJ", "1", "undefined"} {
		junk = append(junk, "sAccessToken", v)
	}
	r := sendRaw(t, e.server.URL, "GET", "/api/me", "", "Cookie", cookieHeader(append(junk, "sAccessToken", a.access)...))
	expectStatus(t, r, 200, "")
	if r.body["userId"] != "a" {
		t.Errorf("%s", r.raw)
	}
	rjunk := []string{}
	for _, v := range []string{"x", "deleted", "null", "AAAA", "1", "undefined"} {
		rjunk = append(rjunk, "sRefreshToken", v)
	}
	r = refreshCookies(t, e, cookieHeader(append(rjunk, "sRefreshToken", a.refresh)...))
	expectStatus(t, r, 200, "")
}

// A cross-site form POST to the refresh route carries no cookie under
// SameSite lax (a top-level navigation the browser follows): it must clear
// nothing, or any site could sign the user out.
func TestDuplicatesCrossSiteFormCannotSignOut(t *testing.T) {
	e := tossEnv(t)
	req, err := http.NewRequest("POST", e.server.URL+refreshPath, strings.NewReader("a=b"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := plainHTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	r := &resp{status: res.StatusCode, header: res.Header}
	if r.status != 401 {
		t.Fatalf("status %d", r.status)
	}
	expectTokensUntouched(t, r)
}

// More refresh candidates than are considered do not hide a stale token:
// neither shaped junk (it does not authenticate, so it is no candidate) nor
// authentic tokens of the thief's own sessions, before or after the
// victim's (up to maxMixedCandidates authentic cookies are looked at).
func TestDuplicatesOverflowDoesNotHideTheft(t *testing.T) {
	for _, planted := range []string{"shaped junk", "the thief's own sessions", "the thief's own sessions, sent first"} {
		t.Run(planted, func(t *testing.T) {
			e := tossEnv(t)
			t0, _ := rawSignIn(t, e.server.URL, "cookie", "victim", "")
			r := sendWithToken(t, e.server.URL, "cookie", "POST", refreshPath, "sRefreshToken", t0.refresh)
			expectStatus(t, r, 200, "")
			thief := tokensIn(t, r, "cookie")
			e.clock.Advance(time.Minute)
			pairs := []string{"sRefreshToken", t0.refresh}
			for i := 0; i < 6; i++ {
				v := strings.Repeat(string(rune('A'+i)), 98)
				if planted != "shaped junk" {
					own, _ := rawSignIn(t, e.server.URL, "cookie", "thief", "")
					v = own.refresh
				}
				pairs = append(pairs, "sRefreshToken", v)
			}
			if strings.HasSuffix(planted, "sent first") {
				pairs = append(pairs[2:], pairs[:2]...) // the victim's stale token last
			}
			r = refreshCookies(t, e, cookieHeader(pairs...))
			expectStatusAndBody(t, r, 401, bodyTheft)
			expectSessionGone(t, e, t0.handle)
			r = sendWithToken(t, e.server.URL, "cookie", "POST", refreshPath, "sRefreshToken", thief.refresh)
			expectStatusAndBody(t, r, 401, bodyUnauthorised)
		})
	}
}

// A bearer header cannot shadow a stale refresh cookie: whether the bearer
// is forged or a real token of the thief's own session, the stale cookie is
// theft.
func TestDuplicatesBearerDoesNotShadowStaleCookie(t *testing.T) {
	for _, kind := range []string{"forged bearer", "the thief's own bearer"} {
		t.Run(kind, func(t *testing.T) {
			e := tossEnv(t)
			t0, _ := rawSignIn(t, e.server.URL, "cookie", "victim", "")
			r := sendWithToken(t, e.server.URL, "cookie", "POST", refreshPath, "sRefreshToken", t0.refresh)
			expectStatus(t, r, 200, "")
			e.clock.Advance(time.Minute)
			b := strings.Repeat("A", 98)
			if kind != "forged bearer" {
				own, _ := rawSignIn(t, e.server.URL, "header", "thief", "")
				b = own.refresh
			}
			r = sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session", "Authorization", "Bearer "+b, "Cookie", "sRefreshToken="+t0.refresh)
			expectStatusAndBody(t, r, 401, bodyTheft)
			expectSessionGone(t, e, t0.handle)
		})
	}
}

// VIA_TOKEN: a cookie refresh without the anti-csrf token touches nothing,
// duplicates or not (the strays are expired only once the request proved
// itself).
func TestDuplicatesViaTokenRefusalClearsNothing(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.APIDomain = "http://api.example.test"
		cfg.AntiCSRF = ginsession.AntiCSRFViaToken
	})
	a, _ := rawSignIn(t, e.server.URL, "cookie", "a", "")
	b, _ := rawSignIn(t, e.server.URL, "cookie", "b", "")
	for _, pair := range [][]string{{"sRefreshToken", a.refresh, "sRefreshToken", b.refresh}, {"sRefreshToken", a.refresh, "sRefreshToken", a.refresh}} {
		r := refreshCookies(t, e, cookieHeader(pair...))
		expectStatusAndBody(t, r, 401, bodyUnauthorised)
		expectTokensUntouched(t, r)
	}
}

// An older cookie domain: a signed-out session's leftover there does not
// sign the user out of the session they made since.
func TestDuplicatesOlderDomainLeftoverOfAGoneSession(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.APIDomain = "http://api.example.test"
		cfg.CookieDomain = ".example.test"
		cfg.OlderCookieDomain = ginsession.HostOnly
	})
	a, _ := rawSignIn(t, e.server.URL, "cookie", "u", "")
	if _, err := e.sessions.RevokeSession(t.Context(), a.handle); err != nil {
		t.Fatal(err)
	}
	b, _ := rawSignIn(t, e.server.URL, "cookie", "u", "")
	for _, pair := range [][]string{{"sRefreshToken", a.refresh, "sRefreshToken", b.refresh}, {"sRefreshToken", b.refresh, "sRefreshToken", a.refresh}} {
		r := refreshCookies(t, e, cookieHeader(pair...))
		expectStatus(t, r, 200, "")
		b = tokensIn(t, r, "cookie")
	}
	// Signing in and out clear the older domain, so leftovers do not linger.
	out := sendRaw(t, e.server.URL, "POST", "/auth/signout", "", "rid", "anti-csrf", "Cookie", "sAccessToken="+b.access)
	expectStatus(t, out, 200, "")
	expectCookiesCleared(t, out.header, "")
	_, in := rawSignIn(t, e.server.URL, "cookie", "u", "")
	expectCookiesCleared(t, in.header, "")
}

// A cookie whose name is ours padded with white space other than ASCII
// space ("\u00a0sAccessToken") is another cookie to the browser and to
// net/http, and to the server too: the user's own session works beside it,
// in verify and refresh. Found by an outside trial: trimmed as Unicode white
// space, a tossed one made every request ambiguous ("try refresh token"),
// and no refresh could clear it, since the refresh clears sAccessToken.
func TestDuplicatesPaddedNamesAreOtherCookies(t *testing.T) {
	e := tossEnv(t)
	victim, _ := rawSignIn(t, e.server.URL, "cookie", "victim", "")
	other, _ := rawSignIn(t, e.server.URL, "cookie", "other", "")
	for _, pad := range []string{"\u00a0", "\u0085", "\u2003"} {
		r := sendRaw(t, e.server.URL, "GET", "/api/me", "", "rid", "anti-csrf", "st-auth-mode", "cookie",
			"Cookie", "sAccessToken="+victim.access+"; "+pad+"sAccessToken="+other.access)
		expectStatus(t, r, 200, "")
		if r.body["userId"] != "victim" {
			t.Errorf("pad %q: verified as %v", pad, r.body["userId"])
		}
		r = refreshCookies(t, e, "sRefreshToken="+victim.refresh+"; "+pad+"sRefreshToken="+other.refresh)
		expectStatus(t, r, 200, "")
		victim = tokensIn(t, r, "cookie")
	}
}

// A refresh looks at up to protocol.MaxWider (32) authentic refresh
// cookies. Past that, copies of one other session's cookie sent first
// would hide the user's own, and the request would become that session's:
// its new tokens written to the user's browser (or a stale cookie of the
// user's, theft, would go unseen). Such a request is nobody's and rotates
// nothing. Found by an outside trial: 32 copies of another live session's
// cookie before the user's answered 200 with the other session's tokens.
func TestDuplicatesTooManyRefreshCookiesAreNobodys(t *testing.T) {
	e := tossEnv(t)
	user, _ := rawSignIn(t, e.server.URL, "cookie", "user", "")
	other, _ := rawSignIn(t, e.server.URL, "cookie", "other", "")
	cookie := strings.Repeat("sRefreshToken="+other.refresh+"; ", 32) + "sRefreshToken=" + user.refresh
	r := refreshCookies(t, e, cookie)
	expectStatusAndBody(t, r, 401, bodyUnauthorised)
	for _, ck := range setCookies(r.header) {
		if ck.Value != "" && (ck.Name == "sAccessToken" || ck.Name == "sRefreshToken") {
			t.Errorf("tokens issued: %s", ck.Raw)
		}
	}
	// Neither session was rotated or revoked: each still refreshes alone.
	for name, tk := range map[string]issuedTokens{"user": user, "other": other} {
		r := refreshCookies(t, e, "sRefreshToken="+tk.refresh)
		expectStatus(t, r, 200, "")
		_ = name
	}
}
