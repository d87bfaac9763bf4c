package ginsession_test

// Sessions a user can see and control: metadata (devices), the caller's
// own session marked, RevokeOtherSessions, the absolute maximum age, the
// per-user cap (both policies, and concurrently across two engines on one
// database), and "remember me" off.

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// mountDevices adds GET /api/devices (the caller's sessions) and
// POST /api/revoke-others to an env.
func mountDevices(e *env) {
	e.router.GET("/api/devices", e.sessions.Verify(), func(c *gin.Context) {
		list, err := ginsession.FromContext(c).ListSessions(c)
		if err != nil {
			e.sessions.HandleError(c, err)
			return
		}
		out := []gin.H{}
		for _, s := range list {
			out = append(out, gin.H{"handle": s.Handle, "current": s.Current, "label": s.DeviceLabel,
				"createdUA": s.CreatedUserAgent, "createdIP": s.CreatedIP, "lastUA": s.LastUserAgent, "lastIP": s.LastIP,
				"createdAt": s.CreatedAt.Unix(), "lastActiveAt": s.LastActiveAt.Unix(), "expiresAt": s.ExpiresAt.Unix(),
				"sessionOnly": s.BrowserSessionOnly})
		}
		c.JSON(200, gin.H{"sessions": out})
	})
	e.router.POST("/api/revoke-others", e.sessions.Verify(), func(c *gin.Context) {
		handles, err := ginsession.FromContext(c).RevokeOtherSessions(c)
		if err != nil {
			e.sessions.HandleError(c, err)
			return
		}
		c.JSON(200, gin.H{"revoked": len(handles), "handles": handles})
	})
}

func devicesOf(t *testing.T, c *client) []map[string]any {
	t.Helper()
	r := c.do("GET", "/api/devices", "")
	expectStatus(t, r, 200, "")
	var out []map[string]any
	for _, v := range r.body["sessions"].([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

func TestDevicesMetadata(t *testing.T) {
	e := newEnv(t, nil)
	mountDevices(e)
	laptop := e.newClient("cookie")
	r := laptop.do("POST", "/signin", `{"user":"ann","label":"Ann's laptop"}`, "User-Agent", "Firefox/140")
	expectStatus(t, r, 200, "")
	created := e.clock.Now()
	e.clock.Advance(time.Second) // oldest first: the laptop, then the phone
	phone := e.newClient("header")
	phone.do("POST", "/signin", `{"user":"ann"}`, "User-Agent", "MobileApp/2.1")

	e.clock.Advance(10 * time.Minute)
	expectStatus(t, laptop.do("POST", refreshPath, "", "User-Agent", "Firefox/141"), 200, "")

	list := devicesOf(t, laptop)
	if len(list) != 2 {
		t.Fatalf("%d sessions: %v", len(list), list)
	}
	own, other := list[0], list[1] // oldest first: the laptop signed in first
	if own["current"] != true || other["current"] != false {
		t.Errorf("current: %v / %v", own["current"], other["current"])
	}
	for k, want := range map[string]any{
		"label": "Ann's laptop", "createdUA": "Firefox/140", "lastUA": "Firefox/141",
		"createdIP": "127.0.0.1", "lastIP": "127.0.0.1", "sessionOnly": false,
		"createdAt": float64(created.Unix()), "lastActiveAt": float64(created.Add(time.Second + 10*time.Minute).Unix()),
	} {
		if own[k] != want {
			t.Errorf("laptop %s = %v, want %v", k, own[k], want)
		}
	}
	// Before its first refresh a session's last activity is its creation.
	for k, want := range map[string]any{"label": "", "createdUA": "MobileApp/2.1", "lastUA": "MobileApp/2.1",
		"lastActiveAt": float64(created.Add(time.Second).Unix())} {
		if other[k] != want {
			t.Errorf("phone %s = %v, want %v", k, other[k], want)
		}
	}
	// The phone sees the same list with itself marked.
	if l := devicesOf(t, phone); l[1]["current"] != true || l[0]["current"] != false {
		t.Errorf("phone's list: %v", l)
	}
}

// A User-Agent is the client's text: invalid UTF-8, control and format
// characters and length are cleaned, never a reason to fail a sign-in or a
// refresh.
func TestDevicesHostileUserAgent(t *testing.T) {
	e := newEnv(t, nil)
	mountDevices(e)
	c := e.newClient("header")
	ua := "Evil\xff\xfe/1.0\t" + strings.Repeat("é", 600) // (Go's client sends no other control bytes)
	expectStatus(t, c.do("POST", "/signin", `{"user":"eve"}`, "User-Agent", ua), 200, "")
	expectStatus(t, c.do("POST", refreshPath, "", "User-Agent", ua), 200, "")
	got := devicesOf(t, c)[0]["lastUA"].(string)
	if len(got) > 512 || !strings.HasPrefix(got, "Evil\uFFFD/1.0 é") || strings.ContainsAny(got, "\t") {
		t.Errorf("stored user agent %q (%d bytes)", got[:min(40, len(got))], len(got))
	}
	// A label is the app's own text: bad ones are refused (400), nothing
	// created. C1 controls (U+009B is a terminal's CSI), bidi overrides and
	// zero-width characters could make one label pass for another.
	for _, bad := range []string{strings.Repeat("x", 256), `control\u0001`, `new\nline`,
		`csi\u009b31m`, `Phone\u202eenohPi`, `zero\u200bwidth`, `isolate\u2066x\u2069`, `line\u2028sep`} {
		r := c.do("POST", "/signin", `{"user":"eve","label":"`+bad+`"}`)
		if r.status != 400 || !strings.Contains(r.message(), "device label") {
			t.Errorf("label %q: %d %s", bad, r.status, r.raw)
		}
	}
	if n := len(devicesOf(t, c)); n != 1 {
		t.Errorf("%d sessions after refused labels", n)
	}
}

// C1 controls and invisible format characters (bidi overrides, isolates,
// zero-width characters) are not stored: a User-Agent with U+202E could
// show one device as another in "Your devices".
func TestDevicesUserAgentFormatCharacters(t *testing.T) {
	e := newEnv(t, nil)
	mountDevices(e)
	c := e.newClient("header")
	ua := "Chrome\u009b31m on \u202eLinux\u202c\u200b\u2066x\u2069\ufeff\u00ad\u2028."
	expectStatus(t, c.do("POST", "/signin", `{"user":"uma"}`, "User-Agent", ua), 200, "")
	got := devicesOf(t, c)[0]["createdUA"].(string)
	if want := "Chrome 31m on Linuxx."; got != want {
		t.Errorf("stored user agent %+q, want %+q", got, want)
	}
}

func TestDevicesOmitClientIP(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) { cfg.OmitClientIP = true })
	mountDevices(e)
	c := e.newClient("header")
	c.signIn("ida")
	expectStatus(t, c.do("POST", refreshPath, ""), 200, "")
	if d := devicesOf(t, c)[0]; d["createdIP"] != "" || d["lastIP"] != "" || d["createdUA"] == "" {
		t.Errorf("with OmitClientIP: %v", d)
	}
}

func TestDevicesRevokeOtherSessions(t *testing.T) {
	e := newEnv(t, nil)
	mountDevices(e)
	a, b, c := e.newClient("cookie"), e.newClient("header"), e.newClient("header")
	a.signIn("bo")
	b.signIn("bo")
	c.signIn("bo")
	other := e.newClient("header")
	other.signIn("someone-else")

	r := a.do("POST", "/api/revoke-others", "")
	expectStatus(t, r, 200, "")
	if r.body["revoked"] != float64(2) {
		t.Fatalf("revoked %v", r.body)
	}
	// The others are signed out: refresh tokens at once, access tokens as
	// soon as the revocation is known (at once on this instance).
	for _, x := range []*client{b, c} {
		expectStatus(t, x.do("GET", "/api/me", ""), 401, "unauthorised")
		expectStatus(t, x.do("POST", refreshPath, ""), 401, "unauthorised")
	}
	expectStatus(t, a.do("GET", "/api/me", ""), 200, "")
	expectStatus(t, a.do("POST", refreshPath, ""), 200, "")
	expectStatus(t, other.do("GET", "/api/me", ""), 200, "")
	if l := devicesOf(t, a); len(l) != 1 || l[0]["current"] != true {
		t.Errorf("after: %v", l)
	}
}

// MaxSessionAge ends a session however often it is refreshed: the last
// access token expires at the end, the refresh after it is unauthorised
// and clears the tokens, and the lists leave the session out.
func TestMaxSessionAge(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.MaxSessionAge = 2 * time.Hour
		cfg.AccessTokenTTL = time.Hour
	})
	mountDevices(e)
	c := e.newClient("cookie")
	c.signIn("max")
	start := e.clock.Now()
	ck := onlySetCookie(t, c.do("POST", refreshPath, "").header, "sRefreshToken")
	if !ck.Expires.Equal(start.Add(2 * time.Hour)) {
		t.Errorf("refresh cookie expires %v, want the session's end %v", ck.Expires, start.Add(2*time.Hour))
	}
	e.clock.Advance(90 * time.Minute)
	r := c.do("POST", refreshPath, "")
	expectStatus(t, r, 200, "")
	front := decodeFront(t, r.header.Get("front-token"))
	if ate := int64(front["ate"].(float64)); ate != start.Add(2*time.Hour).UnixMilli() {
		t.Errorf("access token expires at %d, want the session's end %d", ate, start.Add(2*time.Hour).UnixMilli())
	}
	if l := devicesOf(t, c); int64(l[0]["expiresAt"].(float64)) != start.Add(2*time.Hour).Unix() {
		t.Errorf("listed expiry %v", l[0]["expiresAt"])
	}
	e.clock.Advance(30*time.Minute + time.Second)
	expectStatus(t, c.do("GET", "/api/me", ""), 401, "try refresh token")
	r = c.do("POST", refreshPath, "")
	expectStatus(t, r, 401, "unauthorised")
	expectCookiesCleared(t, r.header, "")
	if n := len(e.events.refreshed); n != 2 {
		t.Errorf("%d refreshes succeeded, want 2", n)
	}
	// A session never used again after its end lingers in the store until
	// cleanup, but is not listed.
	d := e.newClient("header")
	d.signIn("max")
	e.clock.Advance(2*time.Hour - time.Minute)
	expectStatus(t, d.do("POST", refreshPath, ""), 200, "")
	if l := devicesOf(t, d); len(l) != 1 {
		t.Errorf("listed %d sessions; the first one is past its end", len(l))
	}
}

// The per-user cap, evicting the oldest: the evicted session is signed
// out everywhere (refresh token and access token).
func TestSessionCapEvictOldest(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) { cfg.MaxSessionsPerUser = 2 })
	mountDevices(e)
	first, second, third := e.newClient("header"), e.newClient("header"), e.newClient("header")
	first.signIn("cap")
	e.clock.Advance(time.Second)
	second.signIn("cap")
	e.clock.Advance(time.Second)
	third.signIn("cap")
	expectStatus(t, first.do("GET", "/api/me", ""), 401, "unauthorised")
	expectStatus(t, first.do("POST", refreshPath, ""), 401, "unauthorised")
	for _, c := range []*client{second, third} {
		expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
	}
	if l := devicesOf(t, third); len(l) != 2 {
		t.Errorf("%d sessions listed", len(l))
	}
	if n := len(e.events.revoked); n != 1 {
		t.Errorf("%d Revoked events, want 1", n)
	}
	// Another user is not counted.
	other := e.newClient("header")
	other.signIn("someone-else")
	expectStatus(t, second.do("GET", "/api/me", ""), 200, "")
}

func TestSessionCapRefuseNew(t *testing.T) {
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.MaxSessionsPerUser = 2
		cfg.SessionLimitPolicy = ginsession.SessionLimitRefuseNew
	})
	a, b, c := e.newClient("cookie"), e.newClient("header"), e.newClient("cookie")
	a.signIn("ref")
	b.signIn("ref")
	r := c.do("POST", "/signin", `{"user":"ref"}`)
	expectStatus(t, r, 409, "session limit reached")
	expectNoSessionCookies(t, r.header)
	for _, x := range []*client{a, b} {
		expectStatus(t, x.do("GET", "/api/me", ""), 200, "")
	}
	// One signs out: there is room again.
	expectStatus(t, b.do("POST", "/auth/signout", ""), 200, "")
	expectStatus(t, c.do("POST", "/signin", `{"user":"ref"}`), 200, "")
}

// Concurrent sign-ins of one user through two engines on one database:
// the cap holds exactly, under both policies.
func TestSessionCapConcurrentAcrossEngines(t *testing.T) {
	onSharedDatabases(t, func(t *testing.T, db sharedDatabase) {
		for _, policy := range []ginsession.SessionLimitPolicy{ginsession.SessionLimitEvictOldest, ginsession.SessionLimitRefuseNew} {
			t.Run(string(policy)+"_", func(t *testing.T) {
				dsn := db.newDB(t)
				cfg := func(cfg *ginsession.Config) {
					cfg.APIDomain = "http://api.example.test"
					cfg.MaxSessionsPerUser = 3
					cfg.SessionLimitPolicy = policy
				}
				engines := []*env{newEnvOn(t, db.open(t, dsn), nil, cfg), newEnvOn(t, db.open(t, dsn), nil, cfg)}
				const signIns = 12
				statuses := make([]int, signIns)
				var wg sync.WaitGroup
				for i := range signIns {
					wg.Add(1)
					go func() {
						defer wg.Done()
						c := engines[i%2].newClient("header")
						r, err := c.tryDo("POST", "/signin", `{"user":"racer"}`)
						if err == nil {
							statuses[i] = r.status
						}
					}()
				}
				wg.Wait()
				ok, refused := 0, 0
				for _, s := range statuses {
					switch s {
					case 200:
						ok++
					case 409:
						refused++
					default:
						t.Errorf("sign-in answered %d", s)
					}
				}
				list, err := engines[0].sessions.ListSessions(t.Context(), "racer")
				if err != nil {
					t.Fatal(err)
				}
				if len(list) != 3 {
					t.Errorf("%d sessions remain, want 3", len(list))
				}
				if policy == ginsession.SessionLimitRefuseNew && (ok != 3 || refused != signIns-3) {
					t.Errorf("refuse-new: %d signed in, %d refused", ok, refused)
				}
				if policy == ginsession.SessionLimitEvictOldest && ok != signIns {
					t.Errorf("evict-oldest: %d of %d signed in", ok, signIns)
				}
			})
		}
	})
}

// "Remember me" off: the cookies carry no Expires, at sign-in, at every
// refresh and when the payload changes.
func TestBrowserSessionOnly(t *testing.T) {
	e := newEnv(t, nil)
	mountDevices(e)
	c := e.newClient("cookie")
	r := c.do("POST", "/signin", `{"user":"sol","sessionOnly":true}`)
	expectStatus(t, r, 200, "")
	noExpires := func(what string, h http.Header, names ...string) {
		t.Helper()
		for _, name := range names {
			ck := onlySetCookie(t, h, name)
			if !ck.Expires.IsZero() || ck.MaxAge != 0 || strings.Contains(ck.Raw, "Expires") {
				t.Errorf("%s: %s", what, ck.Raw)
			}
		}
	}
	noExpires("sign-in", r.header, "sAccessToken", "sRefreshToken")
	r = c.do("POST", refreshPath, "")
	expectStatus(t, r, 200, "")
	noExpires("refresh", r.header, "sAccessToken", "sRefreshToken")
	r = c.do("POST", "/api/merge", `{"theme":"dark"}`)
	expectStatus(t, r, 200, "")
	noExpires("payload merge", r.header, "sAccessToken")
	if devicesOf(t, c)[0]["sessionOnly"] != true {
		t.Error("not listed as browser-session-only")
	}
	// The control: remembered sessions keep Expires.
	d := e.newClient("cookie")
	r = d.do("POST", "/signin", `{"user":"sol"}`)
	for _, name := range []string{"sAccessToken", "sRefreshToken"} {
		if ck := onlySetCookie(t, r.header, name); ck.Expires.IsZero() {
			t.Errorf("remembered %s without Expires: %s", name, ck.Raw)
		}
	}
}

func TestLifetimePolicyRejected(t *testing.T) {
	st := openSQLite(t)
	for name, cfg := range map[string]ginsession.Config{
		"MaxSessionAge":      {MaxSessionAge: 30 * time.Second},
		"MaxSessionsPerUser": {MaxSessionsPerUser: -1},
		"SessionLimitPolicy": {SessionLimitPolicy: "drop-newest"},
	} {
		cfg.Store, cfg.APIDomain = st, "https://api.example.com"
		if _, err := newWithoutPanic(t, cfg); err == nil || !strings.Contains(err.Error(), "Config."+name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
