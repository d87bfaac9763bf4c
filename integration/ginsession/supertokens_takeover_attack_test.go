package ginsession_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/internal/stcore/stcoretest"
	"github.com/ginsession/ginsession/migrate/supertokens"
	"github.com/ginsession/ginsession/store"
)

// Attacks on the take-over of a SuperTokens core's sessions, from outside:
// real HTTP against the engine serving an imported store.

// refreshRaw posts to the refresh route as the SDK would in cookie mode,
// with the Cookie header (and any other header) exactly as given.
func (tk *takeover) refreshRaw(t *testing.T, hdr ...string) *resp {
	t.Helper()
	base := []string{"rid", "session", "fdi-version", "4.1", "st-auth-mode", "cookie"}
	return sendRaw(t, tk.env.server.URL, "POST", refreshPath, "", append(base, hdr...)...)
}

// expectNoTheft asserts that no theft was detected so far.
func (tk *takeover) expectNoTheft(t *testing.T) {
	t.Helper()
	if n := tk.env.events.count(&tk.env.events.theft); n != 0 {
		t.Fatalf("%d theft events, want none", n)
	}
}

// issuedRefresh is the refresh cookie a response set ("" when none, or
// when it was cleared).
func issuedRefresh(r *resp) string {
	for _, ck := range setCookies(r.header) {
		if ck.Name == "sRefreshToken" && ck.Value != "" {
			return ck.Value
		}
	}
	return ""
}

// coreNonce is a nonce of the core's form (64 hex characters).
func coreNonce(g *stcoretest.Gen) string {
	h := sha256.Sum256([]byte(g.UUID()))
	return fmt.Sprintf("%x", h[:])
}

// TestSuperTokensTakeOverForgedRefreshTokensSignNobodyOut: core refresh
// tokens that are forged, tampered with or mangled in transit are refused
// with 401, revoke nothing, detect no theft and leave the session's row as
// it was: the genuine token still refreshes afterwards.
func TestSuperTokensTakeOverForgedRefreshTokensSignNobodyOut(t *testing.T) {
	tk := newTakeover(t, func(c *ginsession.Config) { c.AntiCSRF = ginsession.AntiCSRFViaCustomHeader }, stcoretest.SessionOptions{Rotations: 1}, stcoretest.SessionOptions{})
	s, first := tk.sessions[0], tk.sessions[1]
	otherKey := tk.gen.RefreshKey()
	iv := tk.gen.Bytes(12)
	nonce := coreNonce(tk.gen)
	foreign := stcoretest.SealRefreshToken(otherKey, stcoretest.RefreshPayload{SessionHandle: s.Handle, UserID: s.UserID, Nonce: nonce}, iv)
	parts := strings.Split(s.Refresh, ".")
	flip := func(tok string, i int) string {
		b := []byte(tok)
		b[i] ^= 0x01
		return string(b)
	}
	cases := []struct{ name, cookie string }{
		{"another refresh key", url.QueryEscape(foreign)},
		{"bit flip in the IV", url.QueryEscape(flip(s.Refresh, 3))},
		{"bit flip in the tag", url.QueryEscape(flip(s.Refresh, len(parts[0])-4))},
		{"bit flip in the nonce", url.QueryEscape(flip(s.Refresh, len(parts[0])+5))},
		{"truncated", url.QueryEscape(s.Refresh[:len(s.Refresh)/2])},
		{"truncated sealed part", url.QueryEscape(parts[0][:len(parts[0])-8] + "." + parts[1] + ".V2")},
		{"type V0", url.QueryEscape(parts[0] + "." + parts[1] + ".V0")},
		{"type V3", url.QueryEscape(parts[0] + "." + parts[1] + ".V3")},
		{"four parts", url.QueryEscape(s.Refresh + ".V2")},
		{"another session's nonce", url.QueryEscape(parts[0] + "." + nonce + ".V2")},
		{"huge", url.QueryEscape(strings.Repeat(parts[0], 60) + "." + parts[1] + ".V2")},
		{"double percent-encoded", url.QueryEscape(url.QueryEscape(s.Refresh))},
		{"invalid percent escape", url.QueryEscape(s.Refresh)[:20] + "%zz" + url.QueryEscape(s.Refresh)[20:]},
		{"percent at the end", url.QueryEscape(s.Refresh) + "%"},
		{"plus for space", strings.ReplaceAll(url.QueryEscape(s.Refresh), "%2B", " ")},
		{"empty", ""},
		{"only dots", ".."},
		{"nul byte", url.QueryEscape(parts[0]) + "%00." + parts[1] + ".V2"},
	}
	for _, c := range cases {
		r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+c.cookie)
		if r.status != 401 {
			t.Fatalf("%s: %d %s, want 401", c.name, r.status, r.raw)
		}
		if issuedRefresh(r) != "" {
			t.Fatalf("%s: tokens were issued", c.name)
		}
	}
	// The same in header mode.
	for _, c := range cases {
		// The cookie's text as the bearer value: no decoding step undoes
		// the forgery.
		v := c.cookie
		r := sendRaw(t, tk.env.server.URL, "POST", refreshPath, "", "rid", "session", "fdi-version", "4.1", "st-auth-mode", "header", "Authorization", "Bearer "+v)
		if r.status != 401 {
			t.Fatalf("header mode, %s: %d %s, want 401", c.name, r.status, r.raw)
		}
	}
	// The genuine token in a cross-site form (no rid header, under
	// VIA_CUSTOM_HEADER): refused, nothing cleared, nothing rotated.
	r := sendRaw(t, tk.env.server.URL, "POST", refreshPath, "", "Cookie", "sRefreshToken="+url.QueryEscape(first.Refresh))
	if r.status != 401 || len(r.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("the genuine token without rid: %d %s %q", r.status, r.raw, r.header.Values("Set-Cookie"))
	}
	tk.expectNoTheft(t)
	expectSessionAlive(t, tk.env, s.Handle)
	expectSessionAlive(t, tk.env, first.Handle)
	// Nothing was changed: both genuine tokens still refresh.
	for _, x := range []*stcoretest.Session{s, first} {
		if r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(x.Refresh)); r.status != 200 {
			t.Fatalf("the genuine token after the forgeries: %d %s", r.status, r.raw)
		}
	}
	tk.expectNoTheft(t)
}

// TestSuperTokensTakeOverCookieEncodings: the genuine core token refreshes
// whether the core's SDK percent-encoded its cookie or a proxy passed it
// raw or quoted; every form continues the same lineage, so a second tab
// sending another form inside the grace window gets the same tokens.
func TestSuperTokensTakeOverCookieEncodings(t *testing.T) {
	tk := newTakeover(t, nil, stcoretest.SessionOptions{Rotations: 2})
	s := tk.sessions[0]
	forms := []string{
		url.QueryEscape(s.Refresh),
		s.Refresh,
		`"` + s.Refresh + `"`,
		url.PathEscape(s.Refresh),
		strings.ReplaceAll(url.QueryEscape(s.Refresh), "%2B", "%2b"),
	}
	var issued string
	for i, f := range forms {
		r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+f)
		if r.status != 200 {
			t.Fatalf("form %d (%.40q): %d %s", i, f, r.status, r.raw)
		}
		got := issuedRefresh(r)
		if issued == "" {
			issued = got
		} else if got != issued {
			t.Fatalf("form %d continued another lineage: %q, first %q", i, got, issued)
		}
	}
	tk.expectNoTheft(t)
	// Our token refreshes on; after the grace window every form is theft.
	if r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+issued); r.status != 200 {
		t.Fatalf("our token: %d %s", r.status, r.raw)
	}
	tk.env.clock.Advance(time.Minute)
	if r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+s.Refresh); r.status != 401 {
		t.Fatalf("raw core token after the window: %d %s", r.status, r.raw)
	}
	expectSessionGone(t, tk.env, s.Handle)
}

// TestSuperTokensTakeOverConcurrentTabs: tabs refreshing the same core
// token at once all get the same tokens; nobody is signed out, the lineage
// does not fork, and the issued token refreshes on.
func TestSuperTokensTakeOverConcurrentTabs(t *testing.T) {
	for _, o := range []struct {
		name string
		opt  stcoretest.SessionOptions
	}{{"first token", stcoretest.SessionOptions{}}, {"unpromoted child", stcoretest.SessionOptions{Rotations: 1}}} {
		t.Run(o.name, func(t *testing.T) {
			tk := newTakeover(t, nil, o.opt)
			s := tk.sessions[0]
			const tabs = 8
			var wg sync.WaitGroup
			got := make([]string, tabs)
			status := make([]int, tabs)
			errs := make([]error, tabs)
			start := make(chan struct{})
			for i := range tabs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := tk.browser(s, s.Refresh)
					<-start
					r, err := c.tryDo("POST", refreshPath, "")
					if err != nil {
						errs[i] = err
						return
					}
					status[i], got[i] = r.status, c.refreshToken()
				}()
			}
			close(start)
			wg.Wait()
			for i := range tabs {
				if errs[i] != nil || status[i] != 200 {
					t.Fatalf("tab %d: %d %v", i, status[i], errs[i])
				}
				if got[i] != got[0] || strings.Contains(got[i], ".V2") {
					t.Fatalf("tab %d got %q, tab 0 %q: the lineage forked", i, got[i], got[0])
				}
			}
			tk.expectNoTheft(t)
			expectSessionAlive(t, tk.env, s.Handle)
			if r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+got[0]); r.status != 200 {
				t.Fatalf("the issued token: %d %s", r.status, r.raw)
			}
		})
	}
}

// TestSuperTokensTakeOverOlderTokenAfterChildIsTheft: the core's rule is
// that once a session's unpromoted child is used, the token before it (the
// one the row held) is stolen. Sent after the child was taken over, it is
// refused and, after the grace window, revokes the session; it never gets
// tokens of its own.
func TestSuperTokensTakeOverOlderTokenAfterChildIsTheft(t *testing.T) {
	tk := newTakeover(t, nil, stcoretest.SessionOptions{Rotations: 1}, stcoretest.SessionOptions{Rotations: 1})
	s, late := tk.sessions[0], tk.sessions[1]
	r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(s.Refresh))
	if r.status != 200 {
		t.Fatalf("the child: %d %s", r.status, r.raw)
	}
	ours := issuedRefresh(r)
	if r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(s.Parent)); r.status != 401 || issuedRefresh(r) != "" {
		t.Fatalf("the parent inside the grace window: %d %s, want 401 without tokens", r.status, r.raw)
	}
	if r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+ours); r.status != 200 {
		t.Fatalf("our token after the parent's attempt: %d %s", r.status, r.raw)
	}
	// After the window, the parent is theft.
	if r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(late.Refresh)); r.status != 200 {
		t.Fatalf("the second session's child: %d %s", r.status, r.raw)
	}
	tk.env.clock.Advance(time.Minute)
	if r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(late.Parent)); r.status != 401 {
		t.Fatalf("the parent after the window: %d %s", r.status, r.raw)
	}
	expectSessionGone(t, tk.env, late.Handle)
	expectSessionAlive(t, tk.env, s.Handle)
}

// TestSuperTokensTakeOverMixedTokens: a core token beside one of ours
// (a cookie the browser kept on another domain or path) does not count;
// ours decides, as it would alone, and a stale token of ours is still
// theft whatever core token comes with it.
func TestSuperTokensTakeOverMixedTokens(t *testing.T) {
	tk := newTakeover(t, nil, stcoretest.SessionOptions{}, stcoretest.SessionOptions{}, stcoretest.SessionOptions{})
	a, b, c := tk.sessions[0], tk.sessions[1], tk.sessions[2]
	r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(a.Refresh))
	if r.status != 200 {
		t.Fatalf("a: %d %s", r.status, r.raw)
	}
	oursA := issuedRefresh(r)

	// Our current token with the core's (already used) token of the same
	// session, either order: ours rotates, no theft.
	r = tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(a.Refresh)+"; sRefreshToken="+oursA)
	if r.status != 200 {
		t.Fatalf("core token first, ours second: %d %s", r.status, r.raw)
	}
	oursA2 := issuedRefresh(r)
	tk.expectNoTheft(t)

	// Our current token of a with b's untouched core token: ours counts, b
	// is neither rotated nor revoked.
	r = tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(b.Refresh)+"; sRefreshToken="+oursA2)
	if r.status != 200 {
		t.Fatalf("b's core token beside a's ours: %d %s", r.status, r.raw)
	}
	if issuedRefresh(r) == "" {
		t.Fatal("no refresh token issued for a")
	}
	if r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(b.Refresh)); r.status != 200 {
		t.Fatalf("b's core token afterwards: %d %s", r.status, r.raw)
	}

	// A stale token of ours (a thief replaying oursA, rotated away long
	// ago) with c's genuine core token in front: still theft of a.
	tk.env.clock.Advance(time.Minute)
	r = tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(c.Refresh)+"; sRefreshToken="+oursA)
	if r.status != 401 {
		t.Fatalf("a stale token of ours behind a core token: %d %s", r.status, r.raw)
	}
	expectSessionGone(t, tk.env, a.Handle)
	expectSessionAlive(t, tk.env, c.Handle)

	// Header mode: a bearer core token with a cookie of ours beside it.
	// The request's transfer method decides which one counts; nobody is
	// signed out for it.
	r = sendRaw(t, tk.env.server.URL, "POST", refreshPath, "", "rid", "session", "fdi-version", "4.1", "st-auth-mode", "header",
		"Authorization", "Bearer "+c.Refresh)
	if r.status != 200 {
		t.Fatalf("c by bearer: %d %s", r.status, r.raw)
	}
	expectSessionAlive(t, tk.env, c.Handle)
}

// TestSuperTokensTakeOverCoreTokensOfTwoSessions: a request carrying the
// core refresh tokens of two different sessions (a planted cookie of the
// attacker's own session beside the victim's) must not swap the victim into
// the attacker's session, nor let a stale token of either go unnoticed.
func TestSuperTokensTakeOverCoreTokensOfTwoSessions(t *testing.T) {
	tk := newTakeover(t, nil, stcoretest.SessionOptions{Rotations: 2}, stcoretest.SessionOptions{})
	victim, attacker := tk.sessions[0], tk.sessions[1]
	r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(attacker.Refresh)+"; sRefreshToken="+url.QueryEscape(victim.Refresh))
	if r.status == 200 {
		t.Fatalf("two sessions' core tokens were answered 200 (%s): the browser would be switched to one of them", r.raw)
	}
	tk.expectNoTheft(t)
	expectSessionAlive(t, tk.env, victim.Handle)
	expectSessionAlive(t, tk.env, attacker.Handle)
	// A stale core token of the victim's behind the attacker's current
	// one: theft of the victim's session, as it would be alone.
	r = tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(attacker.Refresh)+"; sRefreshToken="+url.QueryEscape(victim.Stale[0]))
	if r.status != 401 {
		t.Fatalf("a stale core token behind another session's: %d %s", r.status, r.raw)
	}
	expectSessionGone(t, tk.env, victim.Handle)
}

// coreJWT signs header and claims as a JWS with sign.
func coreJWT(header, claims map[string]any, sign func(string) string) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	text := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	return text + "." + sign(text)
}

// TestSuperTokensTakeOverForgedAccessTokens: access tokens naming an
// imported key but not signed by it (HS256 keyed with the public key,
// alg none, another RSA key), expired, or of a version the take-over does
// not verify, are refused with 401 ("try refresh", as SECURITY.md A says
// for ours) without touching the browser's cookies, and sign nobody out.
func TestSuperTokensTakeOverForgedAccessTokens(t *testing.T) {
	tk := newTakeover(t, nil, stcoretest.SessionOptions{})
	s := tk.sessions[0]
	now := tk.env.clock.Now()
	der, err := x509.MarshalPKIXPublicKey(&tk.key.Private.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{"sub": s.UserID, "sessionHandle": s.Handle, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"refreshTokenHash1": "00", "parentRefreshTokenHash1": nil, "antiCsrfToken": nil, "role": "admin"}
	hs := func(key []byte) func(string) string {
		return func(text string) string {
			m := hmac.New(sha256.New, key)
			m.Write([]byte(text))
			return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
		}
	}
	b64der := base64.StdEncoding.EncodeToString(der)
	otherKey := tk.gen.DynamicKey(1, now.Add(-time.Hour))
	rsaOther := func(text string) string {
		signed := stcoretest.SignRS256(otherKey.Private, text)
		return signed[strings.LastIndex(signed, ".")+1:]
	}
	forged := map[string]string{
		"HS256 keyed with the public key's DER": coreJWT(map[string]any{"alg": "HS256", "typ": "JWT", "kid": tk.key.ID, "version": "5"}, claims, hs(der)),
		"HS256 keyed with its Base64":           coreJWT(map[string]any{"alg": "HS256", "typ": "JWT", "kid": tk.key.ID, "version": "5"}, claims, hs([]byte(b64der))),
		"alg none":                              coreJWT(map[string]any{"alg": "none", "typ": "JWT", "kid": tk.key.ID, "version": "5"}, claims, func(string) string { return "" }),
		"another RSA key, imported kid":         coreJWT(map[string]any{"alg": "RS256", "typ": "JWT", "kid": tk.key.ID, "version": "5"}, claims, rsaOther),
		"RS256 with version 2 in a JSON header": coreJWT(map[string]any{"alg": "RS256", "typ": "JWT", "kid": tk.key.ID, "version": "2"}, claims, rsaOther),
		"a version 2 token of the genuine key":  tk.gen.AccessToken(2, tk.key, s, now.Add(-time.Minute), now.Add(time.Hour)),
		"expired":                               tk.gen.AccessToken(5, tk.key, s, now.Add(-2*time.Hour), now.Add(-time.Second)),
	}
	for name, tok := range forged {
		for _, mode := range modes {
			r := sendWithToken(t, tk.env.server.URL, mode, "GET", "/api/me", "sAccessToken", tok)
			want := "try refresh token"
			if strings.HasPrefix(name, "a version 2") {
				// Not of the JWS shape (standard Base64 with padding):
				// not found as a token at all, which clears nothing
				// either, and the SDK refreshes on any 401.
				want = "unauthorised"
			}
			if r.status != 401 || r.message() != want {
				t.Fatalf("%s, %s mode: %d %s, want 401 %s", name, mode, r.status, r.raw, want)
			}
			expectTokensUntouched(t, r)
		}
	}
	expectSessionAlive(t, tk.env, s.Handle)
	tk.expectNoTheft(t)
	// The genuine token still works.
	if r := sendWithToken(t, tk.env.server.URL, "cookie", "GET", "/api/me", "sAccessToken", tk.gen.AccessToken(5, tk.key, s, now.Add(-time.Minute), now.Add(time.Hour))); r.status != 200 {
		t.Fatalf("the genuine token: %d %s", r.status, r.raw)
	}
}

// TestSuperTokensTakeOverImportedKeysRetireWhileServing: the imported
// access-token keys verify only until the core's last tokens have expired
// (one validity and a minute after the import). An engine that keeps
// running past that must stop accepting what they sign: a token with an
// exp far in the future, or one signed later with a key that leaked with
// the core's old database.
func TestSuperTokensTakeOverImportedKeysRetireWhileServing(t *testing.T) {
	tk := newTakeover(t, nil, stcoretest.SessionOptions{})
	s := tk.sessions[0]
	now := tk.env.clock.Now()
	longLived := tk.gen.AccessToken(5, tk.key, s, now.Add(-time.Minute), now.Add(10*365*24*time.Hour))
	if r := sendWithToken(t, tk.env.server.URL, "cookie", "GET", "/api/me", "sAccessToken", longLived); r.status != 200 {
		t.Fatalf("before the keys retire: %d %s", r.status, r.raw)
	}
	tk.env.clock.Advance(time.Hour + 2*time.Minute)
	later := tk.env.clock.Now()
	leaked := tk.gen.AccessToken(5, tk.key, s, later.Add(-time.Minute), later.Add(time.Hour))
	for name, tok := range map[string]string{"exp ten years ahead": longLived, "signed after the retirement": leaked} {
		r := sendWithToken(t, tk.env.server.URL, "cookie", "GET", "/api/me", "sAccessToken", tok)
		if r.status != 401 {
			t.Fatalf("%s: %d %s, want 401", name, r.status, r.raw)
		}
	}
	// The session itself is fine: its core refresh token still refreshes.
	if r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(s.Refresh)); r.status != 200 {
		t.Fatalf("refresh after the keys retired: %d %s", r.status, r.raw)
	}
}

// TestSuperTokensTakeOverAccessTokenOfRevokedSession: a core access token
// of a session that was revoked after the import, or never imported, is
// refused where ours would be: with CheckDatabase, and on the revocation
// path ours takes.
func TestSuperTokensTakeOverAccessTokenOfRevokedSession(t *testing.T) {
	tk := newTakeover(t, nil, stcoretest.SessionOptions{}, stcoretest.SessionOptions{})
	s, kept := tk.sessions[0], tk.sessions[1]
	now := tk.env.clock.Now()
	access := tk.gen.AccessToken(5, tk.key, s, now.Add(-time.Minute), now.Add(time.Hour))
	if r := sendWithToken(t, tk.env.server.URL, "cookie", "GET", "/api/checked", "sAccessToken", access); r.status != 200 {
		t.Fatalf("checked, before the revocation: %d %s", r.status, r.raw)
	}
	// One of ours, revoked the same way, for the comparison.
	mine := tk.env.newClient("cookie")
	mine.signIn("someone")
	ourAccess := mine.accessToken()
	ourHandle := fmt.Sprint(mine.do("GET", "/api/me", "").body["handle"])
	for _, h := range []string{s.Handle, ourHandle} {
		if ok, err := tk.env.sessions.RevokeSession(t.Context(), h); err != nil || !ok {
			t.Fatalf("RevokeSession(%s): %v %v", h, ok, err)
		}
	}
	for _, path := range []string{"/api/me", "/api/checked"} {
		ours := sendWithToken(t, tk.env.server.URL, "cookie", "GET", path, "sAccessToken", ourAccess)
		core := sendWithToken(t, tk.env.server.URL, "cookie", "GET", path, "sAccessToken", access)
		if core.status != ours.status {
			t.Fatalf("%s after RevokeSession: core token %d %s, ours %d %s", path, core.status, core.raw, ours.status, ours.raw)
		}
		if path == "/api/checked" && core.status != 401 {
			t.Fatalf("checked core token of a revoked session: %d %s", core.status, core.raw)
		}
	}
	// Never imported: a session the core made after the import (step 2
	// skipped), signed with the imported key.
	ghost := tk.gen.Session(tk.gen.RefreshKey(), stcoretest.SessionOptions{})
	ga := tk.gen.AccessToken(5, tk.key, ghost, now.Add(-time.Minute), now.Add(time.Hour))
	if r := sendWithToken(t, tk.env.server.URL, "cookie", "GET", "/api/checked", "sAccessToken", ga); r.status != 401 {
		t.Fatalf("checked, a session never imported: %d %s", r.status, r.raw)
	}
	expectSessionAlive(t, tk.env, kept.Handle)
	// The revoked session's core refresh token does not bring it back and
	// is not theft.
	if r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(s.Refresh)); r.status != 401 {
		t.Fatalf("refresh of the revoked session: %d %s", r.status, r.raw)
	}
	expectSessionGone(t, tk.env, s.Handle)
	tk.expectNoTheft(t)
}

// TestSuperTokensTakeOverSignOutSticks: a taken-over session signed out
// with the core's access token, or revoked after its first refresh, stays
// gone: its core refresh token is refused, and a second import of the same
// core database does not bring it back.
func TestSuperTokensTakeOverSignOutSticks(t *testing.T) {
	tk := newTakeover(t, nil, stcoretest.SessionOptions{Rotations: 1}, stcoretest.SessionOptions{}, stcoretest.SessionOptions{})
	signedOut, revoked, untouched := tk.sessions[0], tk.sessions[1], tk.sessions[2]

	b := tk.browser(signedOut, signedOut.Refresh)
	if r := b.do("POST", "/auth/signout", ""); r.status != 200 {
		t.Fatalf("sign-out with the core's access token: %d %s", r.status, r.raw)
	}
	expectSessionGone(t, tk.env, signedOut.Handle)
	if r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(signedOut.Refresh)); r.status != 401 {
		t.Fatalf("core refresh token after sign-out: %d %s", r.status, r.raw)
	}

	if r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(revoked.Refresh)); r.status != 200 {
		t.Fatalf("first refresh: %d %s", r.status, r.raw)
	}
	if ok, err := tk.env.sessions.RevokeSession(t.Context(), revoked.Handle); err != nil || !ok {
		t.Fatalf("RevokeSession: %v %v", ok, err)
	}

	rep, err := supertokens.Import(t.Context(), tk.src, tk.store, supertokens.Options{Now: tk.env.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sessions.Imported != 0 {
		t.Fatalf("the second import stored %d sessions: %+v", rep.Sessions.Imported, rep.Sessions)
	}
	for _, h := range []string{signedOut.Handle, revoked.Handle} {
		expectSessionGone(t, tk.env, h)
	}
	for _, x := range []*stcoretest.Session{signedOut, revoked} {
		if r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(x.Refresh)); r.status != 401 {
			t.Fatalf("core refresh token after the second import: %d %s", r.status, r.raw)
		}
	}
	expectSessionAlive(t, tk.env, untouched.Handle)
	if r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(untouched.Refresh)); r.status != 200 {
		t.Fatalf("the untouched session: %d %s", r.status, r.raw)
	}
}

// storeOnly hides every optional capability of a store (Importer among
// them), as an app's own wrapper would.
type storeOnly struct{ store.Store }

// TestSuperTokensTakeOverEngineWithoutImportedKeys: an engine on a store
// that cannot import, or that holds no imported keys, answers the core's
// tokens as any foreign token: "try refresh" for the access token, an
// ordinary 401 for the refresh token, no panic.
func TestSuperTokensTakeOverEngineWithoutImportedKeys(t *testing.T) {
	tk := newTakeover(t, nil, stcoretest.SessionOptions{Rotations: 1, AntiCSRF: true})
	s := tk.sessions[0]
	now := tk.env.clock.Now()
	access := tk.gen.AccessToken(5, tk.key, s, now.Add(-time.Minute), now.Add(time.Hour))
	for name, st := range map[string]store.Store{
		"a wrapper without Importer":    storeOnly{tk.store},
		"a store with nothing imported": openSQLite(t),
	} {
		logs := &lockedBuffer{}
		e := newEnvOn(t, st, tk.env.clock, func(c *ginsession.Config) {
			c.AntiCSRF = ginsession.AntiCSRFViaToken
			c.Logger = slog.New(slog.NewTextHandler(logs, nil))
		})
		for _, mode := range modes {
			r := sendWithToken(t, e.server.URL, mode, "GET", "/api/me", "sAccessToken", access)
			if r.status != 401 || r.message() != "try refresh token" {
				t.Fatalf("%s, %s mode, core access token: %d %s", name, mode, r.status, r.raw)
			}
		}
		r := sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session", "fdi-version", "4.1", "st-auth-mode", "cookie",
			"anti-csrf", s.AntiCSRF, "Cookie", "sRefreshToken="+url.QueryEscape(s.Refresh))
		if r.status != 401 {
			t.Fatalf("%s, core refresh token: %d %s", name, r.status, r.raw)
		}
		r = sendRaw(t, e.server.URL, "POST", refreshPath, "", "rid", "session", "fdi-version", "4.1", "st-auth-mode", "header",
			"Authorization", "Bearer "+s.Refresh)
		if r.status != 401 {
			t.Fatalf("%s, core refresh token by bearer: %d %s", name, r.status, r.raw)
		}
		if n := e.events.count(&e.events.theft); n != 0 {
			t.Fatalf("%s: %d thefts", name, n)
		}
		// The operator learns why (an import after the start, or none),
		// once a minute however many come.
		if n := strings.Count(logs.String(), "no imported SuperTokens keys were loaded"); n != 1 {
			t.Fatalf("%s: the warning about the core's token was logged %d times, want 1:\n%s", name, n, logs.String())
		}
	}
	expectSessionAlive(t, tk.env, s.Handle)
}

// TestSuperTokensTakeOverStaleCoreTokenBesideTheOneThatCounts: a stale
// core refresh token of another session is theft of that session even when
// another token counts for the request (one of ours in a cookie, or a core
// token by bearer), as a stale token of ours is; a leftover core token of
// the very session that refreshes is not (the browser kept it on another
// domain or path).
func TestSuperTokensTakeOverStaleCoreTokenBesideTheOneThatCounts(t *testing.T) {
	tk := newTakeover(t, nil, stcoretest.SessionOptions{}, stcoretest.SessionOptions{Rotations: 2},
		stcoretest.SessionOptions{}, stcoretest.SessionOptions{Rotations: 2})
	mine, victim, bearer, victim2 := tk.sessions[0], tk.sessions[1], tk.sessions[2], tk.sessions[3]
	r := tk.refreshRaw(t, "Cookie", "sRefreshToken="+url.QueryEscape(mine.Refresh))
	if r.status != 200 {
		t.Fatalf("mine: %d %s", r.status, r.raw)
	}
	ours := issuedRefresh(r)
	tk.env.clock.Advance(time.Minute)
	// The leftover core token of my own session (now stale) beside ours:
	// ours refreshes, nobody is signed out.
	r = tk.refreshRaw(t, "Cookie", "sRefreshToken="+ours+"; sRefreshToken="+url.QueryEscape(mine.Refresh))
	if r.status != 200 {
		t.Fatalf("ours with my own leftover core token: %d %s", r.status, r.raw)
	}
	ours = issuedRefresh(r)
	tk.expectNoTheft(t)
	// The victim's core token the core had rotated away, beside ours.
	r = tk.refreshRaw(t, "Cookie", "sRefreshToken="+ours+"; sRefreshToken="+url.QueryEscape(victim.Stale[0]))
	if r.status != 401 {
		t.Fatalf("a stale core token beside ours: %d %s", r.status, r.raw)
	}
	expectSessionGone(t, tk.env, victim.Handle)
	// A core token by bearer, a stale core token of another session in the
	// cookie.
	r = sendRaw(t, tk.env.server.URL, "POST", refreshPath, "", "rid", "session", "fdi-version", "4.1", "st-auth-mode", "header",
		"Authorization", "Bearer "+bearer.Refresh, "Cookie", "sRefreshToken="+url.QueryEscape(victim2.Stale[0]))
	if r.status != 401 {
		t.Fatalf("a stale core cookie beside a core bearer token: %d %s", r.status, r.raw)
	}
	expectSessionGone(t, tk.env, victim2.Handle)
}

// TestSuperTokensTakeOverAccessTokenStateChanges: under VIA_TOKEN, sign-out
// with the core's access token but another anti-csrf value is refused and
// signs nobody out; a core access token beside one of ours naming another
// session (a tossed cookie) is nobody's.
func TestSuperTokensTakeOverAccessTokenStateChanges(t *testing.T) {
	tk := newTakeover(t, func(c *ginsession.Config) { c.AntiCSRF = ginsession.AntiCSRFViaToken },
		stcoretest.SessionOptions{Rotations: 1, AntiCSRF: true}, stcoretest.SessionOptions{})
	s, other := tk.sessions[0], tk.sessions[1]
	b := tk.browser(s, s.Refresh)
	b.csrf = "someone else's token"
	if r := b.do("POST", "/auth/signout", ""); r.status != 401 {
		t.Fatalf("sign-out with the wrong anti-csrf token: %d %s", r.status, r.raw)
	}
	expectSessionAlive(t, tk.env, s.Handle)
	b.csrf = ""
	if r := b.do("POST", "/auth/signout", "", "anti-csrf", ""); r.status != 401 {
		t.Fatalf("sign-out without an anti-csrf token: %d %s", r.status, r.raw)
	}
	expectSessionAlive(t, tk.env, s.Handle)

	mine := tk.env.newClient("cookie")
	mine.signIn("tossed")
	now := tk.env.clock.Now()
	core := tk.gen.AccessToken(5, tk.key, other, now.Add(-time.Minute), now.Add(time.Hour))
	r := sendRaw(t, tk.env.server.URL, "GET", "/api/me", "", "rid", "anti-csrf", "st-auth-mode", "cookie",
		"Cookie", "sAccessToken="+core+"; sAccessToken="+mine.accessToken())
	if r.status != 401 || r.message() != "try refresh token" {
		t.Fatalf("a core access token beside ours of another session: %d %s", r.status, r.raw)
	}
	expectSessionAlive(t, tk.env, other.Handle)

	ok := tk.browser(s, s.Refresh)
	if r := ok.do("POST", "/auth/signout", ""); r.status != 200 {
		t.Fatalf("sign-out with the core's anti-csrf token: %d %s", r.status, r.raw)
	}
	expectSessionGone(t, tk.env, s.Handle)
}

// TestSuperTokensTakeOverOverflowDoesNotHideCoreTokens: more core refresh
// cookies than the candidates kept (four copies of the attacker's own
// before the victim's) do not push the victim's out of view: two live
// sessions are nobody's, and a stale token is theft.
func TestSuperTokensTakeOverOverflowDoesNotHideCoreTokens(t *testing.T) {
	tk := newTakeover(t, nil, stcoretest.SessionOptions{Rotations: 2}, stcoretest.SessionOptions{})
	victim, attacker := tk.sessions[0], tk.sessions[1]
	four := strings.Repeat("sRefreshToken="+url.QueryEscape(attacker.Refresh)+"; ", 4)
	r := tk.refreshRaw(t, "Cookie", four+"sRefreshToken="+url.QueryEscape(victim.Refresh))
	if r.status == 200 {
		t.Fatalf("the victim's core token behind four of the attacker's was answered 200 (%s)", r.raw)
	}
	expectSessionAlive(t, tk.env, victim.Handle)
	tk.expectNoTheft(t)
	r = tk.refreshRaw(t, "Cookie", four+"sRefreshToken="+url.QueryEscape(victim.Stale[0]))
	if r.status != 401 {
		t.Fatalf("a stale core token behind four of another session's: %d %s", r.status, r.raw)
	}
	expectSessionGone(t, tk.env, victim.Handle)
	expectSessionAlive(t, tk.env, attacker.Handle)
}
