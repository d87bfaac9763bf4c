package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/internal/mysqltest"
	"github.com/ginsession/ginsession/internal/pgtest"
)

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		// A process a test started to run the example itself
		// (process_test.go): main with the command-line flags.
		waitStartGate()
		main()
		os.Exit(0)
	}
	gin.SetMode(gin.TestMode)
	code := m.Run()
	// Stop the servers the Postgres and MariaDB tests may have started.
	pgtest.Shutdown()
	mysqltest.Shutdown()
	os.Exit(code)
}

// startApp runs the app on a real listener with a fresh SQLite file. The
// API domain is the server's own URL, as in production.
func startApp(t *testing.T, opts Options) (*App, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	if opts.DB == "" {
		opts.DB = filepath.Join(t.TempDir(), "example.db")
	}
	if opts.APIDomain == "" {
		opts.APIDomain = base
	}
	opts.BcryptCost = bcrypt.MinCost
	app, err := NewApp(opts)
	if err != nil {
		srv.Close()
		t.Fatalf("NewApp: %v", err)
	}
	srv.Config.Handler = app.Handler()
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		if err := app.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return app, base
}

// client is one browser (or device): its own cookie jar and auth mode.
type client struct {
	t      *testing.T
	base   string
	hc     *http.Client
	mode   string // st-auth-mode sent on every request
	access string // header mode: the access token
	fresh  string // header mode: the refresh token
}

func newClient(t *testing.T, base, mode string) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: base, hc: &http.Client{Jar: jar}, mode: mode}
}

type result struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends one request with the headers the frontend SDK sends (rid,
// st-auth-mode) plus extra, and decodes a JSON answer.
func (c *client) do(method, path string, body any, extra ...string) result {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("rid", "anti-csrf")
	if c.mode != "" {
		req.Header.Set("st-auth-mode", c.mode)
	}
	if c.access != "" {
		req.Header.Set("Authorization", "Bearer "+c.access)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := result{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			c.t.Fatalf("%s %s: bad JSON %q: %v", method, path, raw, err)
		}
	}
	if c.mode == "header" {
		if v, ok := resp.Header["St-Access-Token"]; ok {
			c.access = v[0]
		}
		if v, ok := resp.Header["St-Refresh-Token"]; ok {
			c.fresh = v[0]
		}
	}
	return r
}

// refresh calls the refresh endpoint as the SDK does: no body, rid: session.
func (c *client) refresh() result {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+"/auth/session/refresh", nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("rid", "session")
	req.Header.Set("fdi-version", "4.1")
	if c.mode != "" {
		req.Header.Set("st-auth-mode", c.mode)
	}
	if c.fresh != "" {
		req.Header.Set("Authorization", "Bearer "+c.fresh)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	if c.mode == "header" && resp.StatusCode == http.StatusOK {
		c.access = resp.Header.Get("st-access-token")
		c.fresh = resp.Header.Get("st-refresh-token")
	}
	return r
}

func (c *client) signUp(email, password string) result {
	c.t.Helper()
	return c.do(http.MethodPost, "/signup", map[string]string{"email": email, "password": password})
}

func (c *client) signIn(email, password string) result {
	c.t.Helper()
	return c.do(http.MethodPost, "/signin", map[string]string{"email": email, "password": password})
}

// me returns the user id and session handle of the client's session.
func (c *client) me() (userID, handle string) {
	c.t.Helper()
	r := c.do(http.MethodGet, "/api/me", nil)
	if r.status != http.StatusOK {
		c.t.Fatalf("GET /api/me: %d %s", r.status, r.raw)
	}
	return r.body["userId"].(string), r.body["sessionHandle"].(string)
}

func wantStatus(t *testing.T, what string, r result, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.status, status, r.raw)
	}
}

func wantField(t *testing.T, what string, r result, key, want string) {
	t.Helper()
	if got, _ := r.body[key].(string); got != want {
		t.Fatalf("%s: %s = %q, want %q; body %s", what, key, got, want, r.raw)
	}
}

// setCookies returns the named cookies of a response's Set-Cookie headers.
func setCookies(h http.Header) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, line := range h.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(line); err == nil {
			out[c.Name] = c
		}
	}
	return out
}

// frontToken decodes the front-token header (standard base64 JSON).
func frontToken(t *testing.T, h http.Header) map[string]any {
	t.Helper()
	v := h.Get("front-token")
	if v == "" {
		t.Fatal("no front-token header")
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatalf("front-token %q: %v", v, err)
	}
	var ft map[string]any
	if err := json.Unmarshal(b, &ft); err != nil {
		t.Fatalf("front-token %s: %v", b, err)
	}
	return ft
}

func TestSignUpAndSignIn(t *testing.T) {
	_, base := startApp(t, Options{})
	c := newClient(t, base, "cookie")

	r := c.signUp("  Alice@Example.COM ", "correct horse")
	wantStatus(t, "signup", r, http.StatusOK)
	wantField(t, "signup", r, "status", "OK")
	u, _ := r.body["user"].(map[string]any)
	id, _ := u["id"].(string)
	if len(id) != 36 || strings.Count(id, "-") != 4 {
		t.Fatalf("user id %q is not UUID-like", id)
	}
	if u["email"] != "alice@example.com" {
		t.Fatalf("email %v was not normalised", u["email"])
	}
	cookies := setCookies(r.header)
	if cookies["sAccessToken"] == nil || cookies["sAccessToken"].Value == "" || !cookies["sAccessToken"].HttpOnly {
		t.Fatalf("no HttpOnly sAccessToken cookie: %v", r.header.Values("Set-Cookie"))
	}
	if rc := cookies["sRefreshToken"]; rc == nil || rc.Value == "" || rc.Path != "/auth/session/refresh" {
		t.Fatalf("bad sRefreshToken cookie: %v", r.header.Values("Set-Cookie"))
	}
	if r.header.Get("st-access-token") != "" {
		t.Fatal("cookie mode also sent st-access-token")
	}
	ft := frontToken(t, r.header)
	if ft["uid"] != id {
		t.Fatalf("front-token uid %v, want %s", ft["uid"], id)
	}
	if up, _ := ft["up"].(map[string]any); up["email"] != "alice@example.com" {
		t.Fatalf("front-token payload %v lacks the email", ft["up"])
	}
	if ate, _ := ft["ate"].(float64); time.UnixMilli(int64(ate)).Before(time.Now().Add(50 * time.Minute)) {
		t.Fatalf("front-token ate %v: want about an hour ahead", ft["ate"])
	}
	if got, _ := c.me(); got != id {
		t.Fatalf("/api/me user %s, want %s", got, id)
	}

	// Same email, differently written: taken.
	other := newClient(t, base, "cookie")
	r = other.signUp("ALICE@example.com", "another password")
	wantStatus(t, "second signup", r, http.StatusOK)
	wantField(t, "second signup", r, "status", "EMAIL_ALREADY_EXISTS_ERROR")
	if len(r.header.Values("Set-Cookie")) != 0 || r.header.Get("front-token") != "" {
		t.Fatal("a refused signup issued tokens")
	}

	// Wrong password and unknown email: 200 (never 401), no tokens.
	for _, tc := range []struct{ email, password string }{
		{"alice@example.com", "wrong password"},
		{"nobody@example.com", "correct horse"},
	} {
		r = other.signIn(tc.email, tc.password)
		wantStatus(t, "signin "+tc.email, r, http.StatusOK)
		wantField(t, "signin "+tc.email, r, "status", "WRONG_CREDENTIALS_ERROR")
		if len(r.header.Values("Set-Cookie")) != 0 || r.header.Get("front-token") != "" {
			t.Fatalf("failed signin %s issued tokens", tc.email)
		}
	}
	wantStatus(t, "me without session", other.do(http.MethodGet, "/api/me", nil), http.StatusUnauthorized)

	// The right password, email in another case: a session for the same user.
	r = other.signIn(" alice@EXAMPLE.com", "correct horse")
	wantField(t, "signin", r, "status", "OK")
	if got, _ := other.me(); got != id {
		t.Fatalf("signin gave user %s, want %s", got, id)
	}
}

func TestSignUpRejectsMalformedInput(t *testing.T) {
	_, base := startApp(t, Options{})
	c := newClient(t, base, "cookie")
	for _, tc := range []struct {
		name, path string
		body       any
	}{
		{"bad JSON", "/signup", `{"email": "a@example.com", "password": `},
		{"not an object", "/signup", `["a@example.com"]`},
		{"empty body", "/signin", ""},
		{"missing email", "/signup", map[string]string{"password": "long enough"}},
		{"invalid email", "/signup", map[string]string{"email": "not-an-email", "password": "long enough"}},
		{"display name", "/signup", map[string]string{"email": "Al <a@example.com>", "password": "long enough"}},
		{"short password", "/signup", map[string]string{"email": "a@example.com", "password": "short"}},
		{"long password", "/signup", map[string]string{"email": "a@example.com", "password": strings.Repeat("x", 73)}},
		{"empty password on signin", "/signin", map[string]string{"email": "a@example.com", "password": ""}},
		{"invalid email on signin", "/signin", map[string]string{"email": "not-an-email", "password": "long enough"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(http.MethodPost, tc.path, tc.body)
			wantStatus(t, tc.name, r, http.StatusBadRequest)
			if msg, _ := r.body["message"].(string); msg == "" {
				t.Fatalf("no message: %s", r.raw)
			}
			if len(r.header.Values("Set-Cookie")) != 0 {
				t.Fatal("tokens issued for bad input")
			}
		})
	}
	// Nothing was created: the address is still free.
	wantField(t, "signup after bad input", c.signUp("a@example.com", "long enough"), "status", "OK")
}

// TestSignInIgnoresPasswordPolicy: the password policy (at least 8
// characters, at most 72 bytes) is sign-up's. A sign-in with a password that
// breaks it is just a wrong password: 200 WRONG_CREDENTIALS_ERROR (the
// SuperTokens emailpassword answer), never a 400 that tells the policy, and
// no tokens.
func TestSignInIgnoresPasswordPolicy(t *testing.T) {
	_, base := startApp(t, Options{})
	wantField(t, "signup", newClient(t, base, "cookie").signUp("olga@example.com", "olga password"), "status", "OK")
	long := "olga password" + strings.Repeat("x", maxPasswordBytes-len("olga password")) // 72 bytes: allowed
	wantField(t, "signup long", newClient(t, base, "cookie").signUp("long@example.com", long), "status", "OK")
	for _, tc := range []struct{ name, email, password string }{
		{"short wrong password", "olga@example.com", "1234567"},
		{"one character", "olga@example.com", "x"},
		{"short password, unknown email", "nobody@example.com", "short"},
		// bcrypt reads only the first 72 bytes: the right password plus a
		// tail must not pass for the right one.
		{"right 72-byte password plus a tail", "long@example.com", long + "tail"},
		{"longer than 72 bytes, unknown email", "nobody@example.com", strings.Repeat("y", 100)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, base, "cookie")
			r := c.signIn(tc.email, tc.password)
			wantStatus(t, "signin", r, http.StatusOK)
			wantField(t, "signin", r, "status", "WRONG_CREDENTIALS_ERROR")
			if len(r.header.Values("Set-Cookie")) != 0 || r.header.Get("front-token") != "" {
				t.Fatal("a failed sign-in issued tokens")
			}
		})
	}
	// The policy still holds at sign-up.
	r := newClient(t, base, "cookie").signUp("short@example.com", "1234567")
	wantStatus(t, "short password at signup", r, http.StatusBadRequest)
	wantField(t, "short password at signup", r, "message", "password must be at least 8 characters")
}

func TestHeaderMode(t *testing.T) {
	_, base := startApp(t, Options{})
	setup := newClient(t, base, "cookie")
	wantField(t, "signup", setup.signUp("bob@example.com", "bob's password"), "status", "OK")

	c := newClient(t, base, "header")
	r := c.signIn("bob@example.com", "bob's password")
	wantField(t, "signin", r, "status", "OK")
	if c.access == "" || c.fresh == "" {
		t.Fatalf("header mode: st-access-token %q, st-refresh-token %q", c.access, c.fresh)
	}
	if cookies := setCookies(r.header); cookies["sAccessToken"] != nil {
		t.Fatal("header mode set cookies")
	}
	frontToken(t, r.header)

	userID, handle := c.me() // Authorization: Bearer
	if userID != r.body["user"].(map[string]any)["id"] || handle == "" {
		t.Fatalf("/api/me: user %s handle %s", userID, handle)
	}

	// Without the bearer token the same client has no session.
	access := c.access
	c.access = ""
	wantStatus(t, "me without bearer", c.do(http.MethodGet, "/api/me", nil), http.StatusUnauthorized)

	// Refresh by header: a new pair, the session goes on.
	rr := c.refresh()
	wantStatus(t, "header refresh", rr, http.StatusOK)
	if c.access == "" || c.access == access {
		t.Fatal("refresh did not issue a new access token")
	}
	if _, h := c.me(); h != handle {
		t.Fatalf("refresh changed the session handle: %s -> %s", handle, h)
	}
}

func TestNotes(t *testing.T) {
	_, base := startApp(t, Options{})
	alice := newClient(t, base, "cookie")
	wantField(t, "signup", alice.signUp("alice@example.com", "alice password"), "status", "OK")
	bob := newClient(t, base, "cookie")
	wantField(t, "signup", bob.signUp("bob@example.com", "bob password"), "status", "OK")

	r := alice.do(http.MethodPost, "/api/notes", map[string]string{"text": "  buy milk "})
	wantStatus(t, "add note", r, http.StatusCreated)
	wantField(t, "add note", r, "text", "buy milk")
	id, _ := r.body["id"].(string)
	if id == "" || r.body["createdAt"] == nil {
		t.Fatalf("note lacks id or createdAt: %s", r.raw)
	}
	wantStatus(t, "second note", alice.do(http.MethodPost, "/api/notes", map[string]string{"text": "call mum"}), http.StatusCreated)

	r = alice.do(http.MethodGet, "/api/notes", nil)
	wantStatus(t, "list", r, http.StatusOK)
	notes, _ := r.body["notes"].([]any)
	if len(notes) != 2 {
		t.Fatalf("alice has %d notes, want 2: %s", len(notes), r.raw)
	}
	texts := map[string]bool{}
	for _, n := range notes {
		texts[n.(map[string]any)["text"].(string)] = true
	}
	if !texts["buy milk"] || !texts["call mum"] {
		t.Fatalf("notes %s", r.raw)
	}
	if strings.Contains(r.raw, "userId") || strings.Contains(r.raw, "user_id") {
		t.Fatalf("notes expose the owner: %s", r.raw)
	}

	r = bob.do(http.MethodGet, "/api/notes", nil)
	wantStatus(t, "bob list", r, http.StatusOK)
	if notes, ok := r.body["notes"].([]any); !ok || len(notes) != 0 {
		t.Fatalf("bob sees %s, want an empty list", r.raw)
	}

	for name, body := range map[string]any{
		"empty":     map[string]string{"text": "   "},
		"missing":   map[string]string{},
		"oversized": map[string]string{"text": strings.Repeat("é", maxNoteRunes+1)},
		"bad JSON":  `{"text":`,
	} {
		wantStatus(t, "note "+name, alice.do(http.MethodPost, "/api/notes", body), http.StatusBadRequest)
	}
	// Exactly at the limit is fine.
	wantStatus(t, "note at limit", alice.do(http.MethodPost, "/api/notes",
		map[string]string{"text": strings.Repeat("é", maxNoteRunes)}), http.StatusCreated)

	anon := newClient(t, base, "cookie")
	wantStatus(t, "anonymous list", anon.do(http.MethodGet, "/api/notes", nil), http.StatusUnauthorized)
	wantStatus(t, "anonymous add", anon.do(http.MethodPost, "/api/notes", map[string]string{"text": "x"}), http.StatusUnauthorized)
}

func TestSessionsListAndRevoke(t *testing.T) {
	_, base := startApp(t, Options{})
	laptop := newClient(t, base, "cookie")
	wantField(t, "signup", laptop.signUp("carol@example.com", "carol password"), "status", "OK")
	phone := newClient(t, base, "cookie")
	wantField(t, "signin", phone.signIn("carol@example.com", "carol password"), "status", "OK")
	_, laptopHandle := laptop.me()
	_, phoneHandle := phone.me()
	if laptopHandle == phoneHandle {
		t.Fatal("two sign-ins share a session")
	}

	r := laptop.do(http.MethodGet, "/api/sessions", nil)
	wantStatus(t, "list", r, http.StatusOK)
	list, _ := r.body["sessions"].([]any)
	if len(list) != 2 {
		t.Fatalf("%d sessions, want 2: %s", len(list), r.raw)
	}
	current := map[string]bool{}
	for _, e := range list {
		s := e.(map[string]any)
		current[s["handle"].(string)] = s["current"].(bool)
		if s["userAgent"] != "Go-http-client/1.1" || s["ip"] != "127.0.0.1" || s["remembered"] != true {
			t.Errorf("device: %v", s)
		}
		for _, k := range []string{"createdAt", "lastActiveAt", "expiresAt"} {
			if ts, _ := s[k].(string); ts == "" {
				t.Fatalf("session lacks %s: %s", k, r.raw)
			} else if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
				t.Fatalf("%s %q: %v", k, ts, err)
			}
		}
	}
	if !current[laptopHandle] || current[phoneHandle] || len(current) != 2 {
		t.Fatalf("current flags %v (laptop %s, phone %s)", current, laptopHandle, phoneHandle)
	}

	// Another user cannot revoke carol's session, nor learn that it exists.
	dave := newClient(t, base, "cookie")
	wantField(t, "dave signup", dave.signUp("dave@example.com", "dave password"), "status", "OK")
	r = dave.do(http.MethodDelete, "/api/sessions/"+phoneHandle, nil)
	wantStatus(t, "dave revokes carol's session", r, http.StatusNotFound)
	if msg, _ := r.body["message"].(string); msg == "" {
		t.Fatalf("404 without message: %s", r.raw)
	}
	wantStatus(t, "phone still signed in", phone.do(http.MethodGet, "/api/sessions", nil), http.StatusOK)

	// Unknown and junk handles: 404, not 401 (which would log the caller out).
	for _, h := range []string{randomID(), "not-a-handle", "%00", strings.Repeat("a", 200)} {
		wantStatus(t, "revoke "+h, laptop.do(http.MethodDelete, "/api/sessions/"+h, nil), http.StatusNotFound)
	}

	// The laptop signs the phone out.
	r = laptop.do(http.MethodDelete, "/api/sessions/"+phoneHandle, nil)
	wantStatus(t, "revoke phone", r, http.StatusOK)
	wantField(t, "revoke phone", r, "status", "OK")
	if r.header.Get("front-token") == "remove" {
		t.Fatal("revoking another device signed the caller out")
	}

	// The phone: database-checked routes refuse it at once and clear its
	// tokens; its refresh token is dead.
	r = phone.do(http.MethodGet, "/api/sessions", nil)
	wantStatus(t, "phone lists sessions", r, http.StatusUnauthorized)
	if r.header.Get("front-token") != "remove" {
		t.Fatalf("revoked session not cleared: front-token %q", r.header.Get("front-token"))
	}
	r = phone.refresh()
	wantStatus(t, "phone refresh", r, http.StatusUnauthorized)
	wantField(t, "phone refresh", r, "message", "unauthorised")

	// The laptop is unaffected, its list shrank, and it can still refresh.
	r = laptop.do(http.MethodGet, "/api/sessions", nil)
	if list, _ := r.body["sessions"].([]any); len(list) != 1 {
		t.Fatalf("after revoke: %s", r.raw)
	}
	wantStatus(t, "laptop refresh", laptop.refresh(), http.StatusOK)

	// Revoking the current session signs this device out.
	r = laptop.do(http.MethodDelete, "/api/sessions/"+laptopHandle, nil)
	wantStatus(t, "revoke self", r, http.StatusOK)
	if r.body["signedOut"] != true || r.header.Get("front-token") != "remove" {
		t.Fatalf("revoke self: signedOut %v, front-token %q", r.body["signedOut"], r.header.Get("front-token"))
	}
	wantStatus(t, "laptop after self-revoke", laptop.do(http.MethodGet, "/api/me", nil), http.StatusUnauthorized)
}

func TestRefreshAndSignOut(t *testing.T) {
	_, base := startApp(t, Options{AccessTTL: time.Second})
	c := newClient(t, base, "cookie")
	r := c.signUp("erin@example.com", "erin password")
	wantField(t, "signup", r, "status", "OK")
	first := frontToken(t, r.header)
	_, handle := c.me()

	time.Sleep(1100 * time.Millisecond)
	r = c.do(http.MethodGet, "/api/me", nil)
	wantStatus(t, "expired access token", r, http.StatusUnauthorized)
	wantField(t, "expired access token", r, "message", "try refresh token")
	if r.header.Get("front-token") == "remove" {
		t.Fatal("try-refresh answer cleared the session")
	}

	r = c.refresh()
	wantStatus(t, "refresh", r, http.StatusOK)
	second := frontToken(t, r.header)
	if second["ate"].(float64) <= first["ate"].(float64) {
		t.Fatalf("refresh did not extend the access token: %v -> %v", first["ate"], second["ate"])
	}
	if _, h := c.me(); h != handle {
		t.Fatalf("refresh changed the handle")
	}

	r = c.do(http.MethodPost, "/auth/signout", nil, "rid", "session")
	wantStatus(t, "signout", r, http.StatusOK)
	wantField(t, "signout", r, "status", "OK")
	if r.header.Get("front-token") != "remove" {
		t.Fatal("signout without front-token: remove")
	}
	wantStatus(t, "me after signout", c.do(http.MethodGet, "/api/me", nil), http.StatusUnauthorized)
	wantStatus(t, "refresh after signout", c.refresh(), http.StatusUnauthorized)
}

func TestTestHooks(t *testing.T) {
	t.Run("off by default", func(t *testing.T) {
		_, base := startApp(t, Options{})
		c := newClient(t, base, "cookie")
		wantStatus(t, "stats", c.do(http.MethodGet, "/test/stats", nil), http.StatusNotFound)
		wantStatus(t, "revoke-all", c.do(http.MethodPost, "/test/revoke-all", nil), http.StatusNotFound)
	})
	t.Run("on", func(t *testing.T) {
		_, base := startApp(t, Options{TestHooks: true})
		a := newClient(t, base, "cookie")
		wantField(t, "signup", a.signUp("frank@example.com", "frank password"), "status", "OK")
		b := newClient(t, base, "cookie")
		wantField(t, "signup", b.signUp("gina@example.com", "gina password"), "status", "OK")
		wantStatus(t, "refresh", a.refresh(), http.StatusOK)
		wantStatus(t, "bad refresh", newClient(t, base, "cookie").refresh(), http.StatusUnauthorized)

		r := a.do(http.MethodGet, "/test/stats", nil)
		wantStatus(t, "stats", r, http.StatusOK)
		var st struct {
			Requests map[string]struct {
				Count    int            `json:"count"`
				ByStatus map[string]int `json:"byStatus"`
			} `json:"requests"`
			Events map[string]int `json:"events"`
		}
		if err := json.Unmarshal([]byte(r.raw), &st); err != nil {
			t.Fatal(err)
		}
		ref := st.Requests["/auth/session/refresh"]
		if ref.Count != 2 || ref.ByStatus["200"] != 1 || ref.ByStatus["401"] != 1 {
			t.Fatalf("refresh counters %+v; stats %s", ref, r.raw)
		}
		if st.Requests["/signup"].Count != 2 {
			t.Fatalf("signup counter %+v", st.Requests["/signup"])
		}
		if st.Events["created"] != 2 || st.Events["refreshed"] != 1 || st.Events["revoked"] != 0 {
			t.Fatalf("events %v", st.Events)
		}

		r = a.do(http.MethodPost, "/test/revoke-all", nil)
		wantStatus(t, "revoke-all", r, http.StatusOK)
		if r.body["revoked"] != float64(2) {
			t.Fatalf("revoke-all: %s", r.raw)
		}
		for _, c := range []*client{a, b} {
			wantStatus(t, "sessions after revoke-all", c.do(http.MethodGet, "/api/sessions", nil), http.StatusUnauthorized)
			wantStatus(t, "refresh after revoke-all", c.refresh(), http.StatusUnauthorized)
		}
	})
}

func TestCORS(t *testing.T) {
	const front = "http://localhost:3000"
	_, base := startApp(t, Options{Origins: []string{front, "http://localhost:3001"}})
	c := newClient(t, base, "cookie")

	r := c.do(http.MethodOptions, "/api/notes", nil,
		"Origin", front, "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "rid,st-auth-mode,content-type")
	if r.status >= 300 {
		t.Fatalf("preflight: %d", r.status)
	}
	if got := r.header.Get("Access-Control-Allow-Origin"); got != front {
		t.Fatalf("Allow-Origin %q, want %q", got, front)
	}
	if r.header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatal("credentials not allowed")
	}
	if allow := strings.ToLower(r.header.Get("Access-Control-Allow-Headers")); !strings.Contains(allow, "st-auth-mode") || !strings.Contains(allow, "rid") {
		t.Fatalf("Allow-Headers %q", allow)
	}

	r = c.do(http.MethodPost, "/signup", map[string]string{"email": "hal@example.com", "password": "hal password"}, "Origin", front)
	wantField(t, "cross-origin signup", r, "status", "OK")
	if expose := strings.ToLower(r.header.Get("Access-Control-Expose-Headers")); !strings.Contains(expose, "front-token") {
		t.Fatalf("front-token not exposed: %q", expose)
	}

	r = c.do(http.MethodOptions, "/api/notes", nil, "Origin", "http://evil.example", "Access-Control-Request-Method", "POST")
	if got := r.header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("unknown origin allowed: %q", got)
	}

	if _, err := NewApp(Options{DB: filepath.Join(t.TempDir(), "x.db"), Origins: []string{"*"}}); err == nil {
		t.Fatal(`NewApp accepted the origin "*"`)
	}
}

func TestDemoPage(t *testing.T) {
	_, base := startApp(t, Options{})
	get := func(path string) (*http.Response, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, page := get("/")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`<form id="auth-form"`, `id="email"`, `id="password"`, `data-action="/signin"`,
		`data-action="/signup"`, `id="me-button"`, `id="signout-button"`, `id="note-form"`, `id="remember"`, `Your devices`, `id="sessions"`, `id="revoke-others"`, `id="log"`, `src="/app.js"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, "https://") {
		t.Error("the page references the network")
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}

	resp, js := get("/app.js")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("GET /app.js: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// The page's client speaks the SDK's protocol, in both modes (e2e
	// scenario 17 drives it in a browser).
	for _, want := range []string{`headers["st-auth-mode"] = MODE`, `"rid": "anti-csrf"`, `"rid": "session"`,
		`"fdi-version": "4.1"`, `credentials: "include"`, `credentials: "omit"`, `"Bearer "`, `st-access-token`,
		`st-refresh-token`, `/auth/session/refresh`, `/auth/signout`, `front-token`, `atob(`,
		// "Your devices" (e2e scenario 23).
		`"/api/sessions/revoke-others"`, `rememberMe: $("remember").checked`, `"This device"`} {
		if !strings.Contains(js, want) {
			t.Errorf("app.js lacks %s", want)
		}
	}
	// Server data (notes, User-Agents) reaches the page as text only.
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
	if resp, _ := get("/style.css"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("GET /style.css: %d", resp.StatusCode)
	}
}

func TestParseFlags(t *testing.T) {
	env := func(m map[string]string) func(string) string {
		return func(k string) string { return m[k] }
	}
	noEnv := env(nil)

	opts, err := parseFlags(nil, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Addr != ":8080" || opts.DB != DefaultDB || opts.AccessTTL != time.Hour ||
		opts.APIDomain != "http://localhost:8080" || len(opts.Origins) != 0 || opts.TestHooks {
		t.Fatalf("defaults: %+v", opts)
	}

	opts, err = parseFlags([]string{"-addr", "127.0.0.1:9090", "-db", "postgres://u:p@db/app", "-access-ttl", "5s",
		"-origins", " http://localhost:3000, https://app.example.com ,", "-test-hooks"}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if opts.DB != "postgres://u:p@db/app" || !isPostgresURL(opts.DB) || opts.AccessTTL != 5*time.Second ||
		opts.APIDomain != "http://localhost:9090" || !opts.TestHooks ||
		strings.Join(opts.Origins, "|") != "http://localhost:3000|https://app.example.com" {
		t.Fatalf("flags: %+v", opts)
	}
	if describeDB(opts.DB) != "postgres" || strings.Contains(describeDB(opts.DB), "u:p") {
		t.Fatalf("describeDB leaks the DSN: %q", describeDB(opts.DB))
	}

	// DATABASE_URL when -db is absent; -db wins when both are given.
	const url = "postgresql://app@localhost:5432/app?sslmode=disable"
	opts, err = parseFlags(nil, env(map[string]string{"DATABASE_URL": url}))
	if err != nil || opts.DB != url || !isPostgresURL(opts.DB) {
		t.Fatalf("DATABASE_URL: %+v %v", opts, err)
	}
	opts, err = parseFlags([]string{"-db", "local.db"}, env(map[string]string{"DATABASE_URL": url}))
	if err != nil || opts.DB != "local.db" || isPostgresURL(opts.DB) {
		t.Fatalf("-db over DATABASE_URL: %+v %v", opts, err)
	}

	opts, err = parseFlags([]string{"-api-domain", "https://api.example.com"}, noEnv)
	if err != nil || opts.APIDomain != "https://api.example.com" {
		t.Fatalf("-api-domain: %+v %v", opts, err)
	}

	opts, err = parseFlags([]string{"-max-sessions", "3", "-session-limit-policy", "refuse-new"}, noEnv)
	if err != nil || opts.MaxSessionsPerUser != 3 || opts.SessionLimitPolicy != ginsession.SessionLimitRefuseNew {
		t.Fatalf("-max-sessions, -session-limit-policy: %+v %v", opts, err)
	}
	opts, err = parseFlags([]string{"-session-limit-policy", "evict-oldest"}, noEnv)
	if err != nil || opts.SessionLimitPolicy != ginsession.SessionLimitEvictOldest {
		t.Fatalf("-session-limit-policy evict-oldest: %+v %v", opts, err)
	}

	for _, args := range [][]string{
		{"-max-sessions", "-1"},
		{"-session-limit-policy", "drop-newest"},
		{"-access-ttl", "soon"},
		{"-access-ttl", "500ms"},
		{"-access-ttl", "-1h"},
		{"-addr", "8080"},
		{"-no-such-flag"},
		{"extra-argument"},
	} {
		if _, err := parseFlags(args, noEnv); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	if _, err := parseFlags([]string{"-h"}, noEnv); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
}

// TestFlagsToApp runs the whole path main takes, minus the signal handling:
// flags, NewApp, a real listener, a request.
func TestFlagsToApp(t *testing.T) {
	dir := t.TempDir()
	opts, err := parseFlags([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "flags.db")}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	opts.BcryptCost = bcrypt.MinCost
	app, err := NewApp(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: app.Handler()}
	go srv.Serve(ln)
	c := newClient(t, "http://"+ln.Addr().String(), "cookie")
	wantField(t, "signup", c.signUp("ivy@example.com", "ivy password"), "status", "OK")
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "flags.db")); err != nil {
		t.Fatalf("SQLite file: %v", err)
	}
	if _, err := NewApp(Options{}); err == nil {
		t.Fatal("NewApp without DB succeeded")
	}
}

// TestPostgres runs the main flows on Postgres (a private server started by
// pgtest, or GINSESSION_TEST_POSTGRES_DSN; skipped when neither exists).
func TestPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	_, base := startApp(t, Options{DB: dsn})
	a := newClient(t, base, "cookie")
	r := a.signUp("Pat@Example.com", "pat password")
	wantField(t, "signup", r, "status", "OK")
	wantField(t, "duplicate signup", newClient(t, base, "cookie").signUp("pat@example.com", "x password"), "status", "EMAIL_ALREADY_EXISTS_ERROR")
	wantField(t, "wrong password", newClient(t, base, "cookie").signIn("pat@example.com", "bad password"), "status", "WRONG_CREDENTIALS_ERROR")
	b := newClient(t, base, "header")
	wantField(t, "signin", b.signIn("pat@example.com", "pat password"), "status", "OK")
	wantStatus(t, "note", a.do(http.MethodPost, "/api/notes", map[string]string{"text": "on postgres"}), http.StatusCreated)
	r = b.do(http.MethodGet, "/api/notes", nil)
	if notes, _ := r.body["notes"].([]any); len(notes) != 1 {
		t.Fatalf("notes on the second device: %s", r.raw)
	}
	_, bHandle := b.me()
	// A handle Postgres cannot store as text must be a 404, not a 503.
	wantStatus(t, "NUL handle", a.do(http.MethodDelete, "/api/sessions/%00", nil), http.StatusNotFound)
	wantStatus(t, "revoke b", a.do(http.MethodDelete, "/api/sessions/"+bHandle, nil), http.StatusOK)
	wantStatus(t, "b refresh", b.refresh(), http.StatusUnauthorized)
	wantStatus(t, "a refresh", a.refresh(), http.StatusOK)
}

// TestAnonymousCartSurvivesSignIn: a visitor fills a cart without an
// account, signs up, and the cart is in the user's session; the anonymous
// session is gone.
func TestAnonymousCartSurvivesSignIn(t *testing.T) {
	_, base := startApp(t, Options{})
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	post := func(path, body string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("st-auth-mode", "cookie")
		req.Header.Set("rid", "anti-csrf")
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	get := func(path string) (int, map[string]any) {
		res, err := hc.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	if code, body := get("/cart"); code != 200 || len(body["cart"].([]any)) != 0 {
		t.Fatalf("empty cart: %d %v", code, body)
	}
	if code, body := post("/cart", `{"item":"apple"}`); code != 201 || body["anonymous"] != true {
		t.Fatalf("first item: %d %v", code, body)
	}
	if code, body := post("/cart", `{"item":"pear"}`); code != 201 || len(body["cart"].([]any)) != 2 {
		t.Fatalf("second item: %d %v", code, body)
	}
	if code, _ := post("/cart", `{"item":""}`); code != 400 {
		t.Fatalf("empty item: %d", code)
	}
	if code, body := post("/signup", `{"email":"cart@example.com","password":"correct horse"}`); code != 200 || body["status"] != "OK" {
		t.Fatalf("signup: %d %v", code, body)
	}
	code, body := get("/cart")
	if code != 200 || body["anonymous"] != false {
		t.Fatalf("cart after sign-up: %d %v", code, body)
	}
	if items := body["cart"].([]any); len(items) != 2 || items[0] != "apple" || items[1] != "pear" {
		t.Fatalf("cart lost at sign-up: %v", items)
	}
}
