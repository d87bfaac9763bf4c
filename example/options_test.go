package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
)

// The flags the real-browser suite (e2e/) needs: cookie domain and its
// migration, Secure, anti-CSRF mode, a static directory; and the test hooks'
// request headers and invalid-claim route.

func TestParseFlagsCookiesCSRFStatic(t *testing.T) {
	noEnv := func(string) string { return "" }
	opts, err := parseFlags(nil, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if opts.CookieDomain != "" || opts.OlderCookieDomain != "" || opts.AntiCSRF != ginsession.AntiCSRFAuto ||
		opts.CookieSecure != nil || opts.StaticDir != "" {
		t.Fatalf("defaults: %+v", opts)
	}

	dir := t.TempDir()
	opts, err = parseFlags([]string{"-cookie-domain", ".example.test", "-older-cookie-domain", "host-only",
		"-anti-csrf", "via_token", "-cookie-secure", "true", "-static-dir", dir}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if opts.CookieDomain != ".example.test" || opts.OlderCookieDomain != ginsession.HostOnly ||
		opts.AntiCSRF != ginsession.AntiCSRFViaToken || opts.CookieSecure == nil || !*opts.CookieSecure || opts.StaticDir != dir {
		t.Fatalf("flags: %+v", opts)
	}

	opts, err = parseFlags([]string{"-older-cookie-domain", ".old.example.test", "-anti-csrf", "NONE", "-cookie-secure", "false"}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if opts.OlderCookieDomain != ".old.example.test" || opts.AntiCSRF != ginsession.AntiCSRFNone || opts.CookieSecure == nil || *opts.CookieSecure {
		t.Fatalf("flags: %+v", opts)
	}

	file := filepath.Join(dir, "file.txt")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-anti-csrf", "sometimes"},
		{"-cookie-secure", "maybe"},
		{"-static-dir", filepath.Join(dir, "missing")},
		{"-static-dir", file},
	} {
		if _, err := parseFlags(args, noEnv); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}

	// Port 0: the API domain waits for the listener's port (run sets it).
	if opts, err := parseFlags([]string{"-addr", "127.0.0.1:0"}, noEnv); err != nil || opts.APIDomain != "" {
		t.Fatalf("-addr 127.0.0.1:0: APIDomain %q, %v", opts.APIDomain, err)
	}

	// A bad cookie domain is ginsession's to refuse, with its own message.
	if _, err := NewApp(Options{DB: filepath.Join(t.TempDir(), "x.db"), CookieDomain: "localhost"}); err == nil ||
		!strings.Contains(err.Error(), "CookieDomain") {
		t.Fatalf("NewApp with cookie domain localhost: %v", err)
	}
}

func TestCookieOptionsReachGinsession(t *testing.T) {
	yes := true
	_, base := startApp(t, Options{
		APIDomain:         "http://api.example.test:8080",
		CookieDomain:      ".example.test",
		OlderCookieDomain: ginsession.HostOnly,
		CookieSecure:      &yes,
	})
	c := newClient(t, base, "cookie")
	r := c.signUp("kim@example.com", "kim password")
	wantField(t, "signup", r, "status", "OK")
	ck := setCookies(r.header)
	for _, name := range []string{"sAccessToken", "sRefreshToken"} {
		if ck[name] == nil || ck[name].Domain != "example.test" || !ck[name].Secure {
			t.Fatalf("%s: %v", name, r.header.Values("Set-Cookie"))
		}
	}

	// Duplicates from before the change: the host-only ones are cleared.
	access := ck["sAccessToken"].Value
	r = c.do(http.MethodGet, "/api/me", nil, "Cookie", "sAccessToken=stale-host-only-token; sAccessToken="+access)
	wantStatus(t, "me with duplicate cookies", r, http.StatusOK)
	// Each is cleared in both kinds, unpartitioned and partitioned (a
	// stray may be either).
	cleared := 0
	for _, line := range r.header.Values("Set-Cookie") {
		if strings.Contains(line, "Max-Age=0") || strings.Contains(line, "1970") {
			if strings.Contains(strings.ToLower(line), "domain=") {
				t.Fatalf("cleared the new domain's cookie: %s", line)
			}
			cleared++
		}
	}
	if cleared != 4 {
		t.Fatalf("host-only duplicates cleared %d times, want 4 (2 cookies x 2 kinds): %v", cleared, r.header.Values("Set-Cookie"))
	}
}

func TestAntiCSRFViaTokenOption(t *testing.T) {
	_, base := startApp(t, Options{AntiCSRF: ginsession.AntiCSRFViaToken})
	c := newClient(t, base, "cookie")
	r := c.signUp("lee@example.com", "lee password")
	wantField(t, "signup", r, "status", "OK")
	token := r.header.Get("anti-csrf")
	if token == "" {
		t.Fatal("VIA_TOKEN: no anti-csrf header on sign-up")
	}
	note := map[string]string{"text": "hello"}
	r = c.do(http.MethodPost, "/api/notes", note)
	wantStatus(t, "POST without anti-csrf", r, http.StatusUnauthorized)
	wantField(t, "POST without anti-csrf", r, "message", "try refresh token")
	wantStatus(t, "POST with anti-csrf", c.do(http.MethodPost, "/api/notes", note, "anti-csrf", token), http.StatusCreated)
	wantStatus(t, "GET without anti-csrf", c.do(http.MethodGet, "/api/notes", nil), http.StatusOK)
}

func TestStaticDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "page.html"), []byte("<p>static page</p>"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, base := startApp(t, Options{StaticDir: dir})
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	if status, body := get(base + "/static/page.html"); status != http.StatusOK || body != "<p>static page</p>" {
		t.Fatalf("GET /static/page.html: %d %q", status, body)
	}
	if _, body := get(base + "/static/"); strings.Contains(body, "page.html") {
		t.Fatalf("/static/ lists the directory: %q", body)
	}

	_, plain := startApp(t, Options{})
	if status, _ := get(plain + "/static/page.html"); status != http.StatusNotFound {
		t.Fatalf("without StaticDir: GET /static/page.html %d", status)
	}
}

func TestTestHooksHeadersAndInvalidClaim(t *testing.T) {
	_, base := startApp(t, Options{TestHooks: true})
	c := newClient(t, base, "cookie")
	wantStatus(t, "invalid-claim without a session", c.do(http.MethodGet, "/test/invalid-claim", nil), http.StatusUnauthorized)
	wantField(t, "signup", c.signUp("max@example.com", "max password"), "status", "OK")

	r := c.do(http.MethodGet, "/test/invalid-claim", nil)
	wantStatus(t, "invalid-claim", r, http.StatusForbidden)
	wantField(t, "invalid-claim", r, "message", "invalid claim")
	errs, _ := r.body["claimValidationErrors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["id"] != "e2e-never-holds" {
		t.Fatalf("claimValidationErrors: %s", r.raw)
	}

	wantStatus(t, "refresh", c.refresh(), http.StatusOK)
	h := newClient(t, base, "header")
	wantField(t, "header signup", h.signUp("nia@example.com", "nia password"), "status", "OK")
	wantStatus(t, "header me", h.do(http.MethodGet, "/api/me", nil, "Origin", "http://localhost:3000"), http.StatusOK)

	var st struct {
		Requests map[string]struct {
			Last requestHeaders `json:"last"`
		} `json:"requests"`
	}
	r = c.do(http.MethodGet, "/test/stats", nil)
	if err := json.Unmarshal([]byte(r.raw), &st); err != nil {
		t.Fatal(err)
	}
	ref := st.Requests["/auth/session/refresh"].Last
	if ref.RID != "session" || ref.FDIVersion != "4.1" || ref.AuthMode != "cookie" || ref.Bearer || ref.HasBody ||
		ref.ContentType != "" || strings.Join(ref.CookieNames, ",") != "sAccessToken,sRefreshToken" {
		t.Fatalf("refresh headers as seen: %+v", ref)
	}
	me := st.Requests["/api/me"].Last
	if me.RID != "anti-csrf" || me.AuthMode != "header" || !me.Bearer || me.Origin != "http://localhost:3000" || len(me.CookieNames) != 0 {
		t.Fatalf("header-mode /api/me as seen: %+v", me)
	}
	if strings.Contains(r.raw, h.access) || strings.Contains(r.raw, h.fresh) {
		t.Fatal("/test/stats leaks a token")
	}
}

// logRecords is a slog.Handler that keeps every record's message and
// attributes, for tests that look at what the app logs.
type logRecords struct {
	mu   sync.Mutex
	recs []map[string]string // "msg" plus each attribute, as text
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecords) WithGroup(string) slog.Handler            { return l }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	m := map[string]string{"msg": r.Message}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.String()
		return true
	})
	l.mu.Lock()
	l.recs = append(l.recs, m)
	l.mu.Unlock()
	return nil
}

// find returns the records whose message is msg.
func (l *logRecords) find(msg string) []map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]string
	for _, m := range l.recs {
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// TestClientIPTrustsNoProxyByDefault: the client_ip of ginsession's security
// events is Gin's ClientIP. The example trusts no proxy unless
// -trusted-proxies names it, so an X-Forwarded-For from a direct client is
// ignored; from a trusted proxy it is the client's address.
func TestClientIPTrustsNoProxyByDefault(t *testing.T) {
	// A refresh with a forged refresh token (a real one with one character
	// changed: its shape is right, its MAC is not): ginsession logs "refresh
	// token failed authentication" with the client's IP.
	const event = "ginsession: refresh token failed authentication"
	forgedRefresh := func(t *testing.T, opts Options) string {
		t.Helper()
		logs := &logRecords{}
		opts.Logger = slog.New(logs)
		_, base := startApp(t, opts)
		r := newClient(t, base, "cookie").signUp("proxy@example.com", "a good password")
		wantField(t, "signup", r, "status", "OK")
		rc := setCookies(r.header)["sRefreshToken"]
		if rc == nil || len(rc.Value) < 2 {
			t.Fatalf("no refresh token: %v", r.header.Values("Set-Cookie"))
		}
		forged := []byte(rc.Value)
		if i := len(forged) / 2; forged[i] == 'A' {
			forged[i] = 'B'
		} else {
			forged[i] = 'A'
		}
		req, err := http.NewRequest(http.MethodPost, base+"/auth/session/refresh", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("rid", "session")
		req.Header.Set("st-auth-mode", "cookie")
		req.Header.Set("X-Forwarded-For", "6.6.6.6")
		req.AddCookie(&http.Cookie{Name: "sRefreshToken", Value: string(forged)})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forged refresh: status %d, want 401", resp.StatusCode)
		}
		recs := logs.find(event)
		if len(recs) != 1 {
			t.Fatalf("%d %q log records, want 1: %v", len(recs), event, logs.recs)
		}
		return recs[0]["client_ip"]
	}

	t.Run("no proxy trusted", func(t *testing.T) {
		if ip := forgedRefresh(t, Options{}); ip != "127.0.0.1" {
			t.Fatalf("client_ip %q, want the peer 127.0.0.1 (X-Forwarded-For: 6.6.6.6 must not be believed)", ip)
		}
	})
	t.Run("-trusted-proxies 127.0.0.1", func(t *testing.T) {
		opts, err := parseFlags([]string{"-trusted-proxies", "127.0.0.1"}, func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		if ip := forgedRefresh(t, Options{TrustedProxies: opts.TrustedProxies}); ip != "6.6.6.6" {
			t.Fatalf("client_ip %q, want 6.6.6.6 from the trusted proxy's X-Forwarded-For", ip)
		}
	})
}

func TestParseFlagsTrustedProxies(t *testing.T) {
	noEnv := func(string) string { return "" }
	opts, err := parseFlags(nil, noEnv)
	if err != nil || opts.TrustedProxies != nil {
		t.Fatalf("default: %q %v, want none trusted", opts.TrustedProxies, err)
	}
	opts, err = parseFlags([]string{"-trusted-proxies", " 10.0.0.0/8, 127.0.0.1 ,::1,fd00::/8,"}, noEnv)
	if err != nil || strings.Join(opts.TrustedProxies, "|") != "10.0.0.0/8|127.0.0.1|::1|fd00::/8" {
		t.Fatalf("-trusted-proxies: %q %v", opts.TrustedProxies, err)
	}
	for _, bad := range []string{"proxy.example.com", "10.0.0.0/33", "127.0.0.1:8080", "*"} {
		if _, err := parseFlags([]string{"-trusted-proxies", bad}, noEnv); err == nil {
			t.Errorf("-trusted-proxies %q accepted", bad)
		}
	}
	// The help lists it.
	fs, _ := newFlagSet(&Options{}, new(string))
	if f := fs.Lookup("trusted-proxies"); f == nil || !strings.Contains(f.Usage, "X-Forwarded-For") {
		t.Fatalf("-h: no -trusted-proxies with its meaning: %+v", f)
	}
	// NewApp refuses what Gin cannot parse, for callers that skip the flags.
	if _, err := NewApp(Options{DB: filepath.Join(t.TempDir(), "x.db"), TrustedProxies: []string{"nonsense"}}); err == nil {
		t.Fatal("NewApp accepted the trusted proxy \"nonsense\"")
	}
}

// -listen-dsn and -key-rotation, which the fleet harness (internal/fleet)
// needs: LISTEN straight to Postgres behind pgbouncer, and key turns within
// a run of minutes.
func TestParseFlagsListenDSNKeyRotation(t *testing.T) {
	noEnv := func(string) string { return "" }
	opts, err := parseFlags(nil, noEnv)
	if err != nil || opts.ListenDSN != "" || opts.KeyRotation != 0 {
		t.Fatalf("defaults: listen %q, rotation %v, %v", opts.ListenDSN, opts.KeyRotation, err)
	}
	const direct = "postgres://app@db:5432/app"
	opts, err = parseFlags([]string{"-listen-dsn", direct, "-key-rotation", "2m"}, noEnv)
	if err != nil || opts.ListenDSN != direct || opts.KeyRotation != 2*time.Minute {
		t.Fatalf("flags: listen %q, rotation %v, %v", opts.ListenDSN, opts.KeyRotation, err)
	}
	for _, bad := range []string{"30s", "-1m", "soon"} {
		if _, err := parseFlags([]string{"-key-rotation", bad}, noEnv); err == nil {
			t.Errorf("-key-rotation %q accepted", bad)
		}
	}
	// The rotation reaches ginsession, which refuses less than a minute
	// from callers that skip the flags.
	if _, err := NewApp(Options{DB: filepath.Join(t.TempDir(), "x.db"), KeyRotation: 30 * time.Second}); err == nil {
		t.Fatal("NewApp accepted a 30 s key rotation")
	}
	_, base := startApp(t, Options{KeyRotation: time.Minute})
	wantField(t, "signup with a one-minute rotation", newClient(t, base, "header").signUp("rot@example.com", "rot password"), "status", "OK")
}

// -refresh-grace reaches ginsession's RefreshGracePeriod: inside it a
// rotated-away refresh token gets the same new tokens, after it the same
// token is theft. The browser suite shortens it to replay an old token.
func TestRefreshGraceFlag(t *testing.T) {
	noEnv := func(string) string { return "" }
	opts, err := parseFlags([]string{"-refresh-grace", "1s"}, noEnv)
	if err != nil || opts.RefreshGrace != time.Second {
		t.Fatalf("-refresh-grace 1s: %v, %v", opts.RefreshGrace, err)
	}
	if opts, err := parseFlags(nil, noEnv); err != nil || opts.RefreshGrace != 0 {
		t.Fatalf("default: %v, %v", opts.RefreshGrace, err)
	}
	for _, bad := range []string{"-1s", "soon"} {
		if _, err := parseFlags([]string{"-refresh-grace", bad}, noEnv); err == nil {
			t.Errorf("-refresh-grace %q accepted", bad)
		}
	}

	const grace = 300 * time.Millisecond
	_, base := startApp(t, Options{RefreshGrace: grace})
	c := newClient(t, base, "header")
	wantField(t, "signup", c.signUp("grace@example.com", "grace password"), "status", "OK")
	old := c.fresh
	wantStatus(t, "refresh", c.refresh(), http.StatusOK)
	rotated := time.Now()
	next := c.fresh
	replay := newClient(t, base, "header")
	replay.fresh = old
	if r := replay.refresh(); r.status != http.StatusOK || replay.fresh != next {
		if time.Since(rotated) < grace {
			t.Fatalf("inside the grace window: %d, same token %v", r.status, replay.fresh == next)
		}
		t.Skipf("the machine took %v between two requests; the grace window had passed", time.Since(rotated))
	}
	time.Sleep(grace + 100*time.Millisecond)
	replay.fresh = old
	r := replay.refresh()
	wantStatus(t, "the old token after the grace window", r, http.StatusUnauthorized)
	wantField(t, "the old token after the grace window", r, "message", "token theft detected")
}
