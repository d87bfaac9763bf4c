package ginsession_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

func init() { gin.SetMode(gin.TestMode) }

// clock is an injectable clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock starts at the real time: cookie jars judge Expires by the real clock.
func newClock() *clock { return &clock{t: time.Now().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one engine on a real store behind a real HTTP server.
type env struct {
	t        *testing.T
	sessions *ginsession.Sessions
	store    store.Store
	clock    *clock
	server   *httptest.Server
	router   *gin.Engine
	events   *events

	propMounted bool
}

type ginContext = gin.Context

// events records hook calls.
type events struct {
	mu                                 sync.Mutex
	created, refreshed, revoked, theft []string
}

func (e *events) add(list *[]string, h string) {
	e.mu.Lock()
	*list = append(*list, h)
	e.mu.Unlock()
}

func (e *events) count(list *[]string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(*list)
}

func openSQLite(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlitestore.Open(filepath.Join(t.TempDir(), "sessions.db"), gormstore.Options{CleanupInterval: -1})
	if err != nil {
		t.Fatalf("sqlitestore.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newEnv starts an engine with test routes on a SQLite file. mutate may
// change the config (the Store, APIDomain and Now are preset).
func newEnv(t *testing.T, mutate func(*ginsession.Config)) *env {
	t.Helper()
	return newEnvOn(t, openSQLite(t), newClock(), mutate)
}

func newEnvOn(t *testing.T, st store.Store, clk *clock, mutate func(*ginsession.Config)) *env {
	t.Helper()
	e := &env{t: t, store: st, clock: clk, events: &events{}}
	r := gin.New()
	e.router = r
	srv := httptest.NewUnstartedServer(r)
	srv.Start()
	t.Cleanup(srv.Close)
	e.server = srv
	var now func() time.Time // nil clock: the real one
	if clk != nil {
		now = clk.Now
	}
	cfg := ginsession.Config{
		Store:     st,
		APIDomain: srv.URL,
		Now:       now,
		Hooks: ginsession.Hooks{
			Created:       func(ev ginsession.SessionEvent) { e.events.add(&e.events.created, ev.Handle) },
			Refreshed:     func(ev ginsession.SessionEvent) { e.events.add(&e.events.refreshed, ev.Handle) },
			Revoked:       func(ev ginsession.SessionEvent) { e.events.add(&e.events.revoked, ev.Handle) },
			TheftDetected: func(ev ginsession.TheftEvent) { e.events.add(&e.events.theft, ev.Handle) },
		},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := ginsession.Register(r, cfg)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	e.sessions = s
	r.POST("/signin", func(c *gin.Context) {
		var in struct {
			User    string         `json:"user"`
			Payload map[string]any `json:"payload"`
			Data    map[string]any `json:"data"`
		}
		if err := c.BindJSON(&in); err != nil {
			return
		}
		sess, err := s.Create(c, in.User, in.Payload, in.Data)
		if err != nil {
			s.HandleError(c, err)
			return
		}
		c.JSON(200, gin.H{"status": "OK", "handle": sess.Handle()})
	})
	me := func(c *gin.Context) {
		sess := ginsession.FromContext(c)
		if sess == nil {
			c.JSON(200, gin.H{"session": false})
			return
		}
		c.JSON(200, gin.H{"userId": sess.UserID(), "handle": sess.Handle(), "payload": sess.Payload()})
	}
	r.GET("/api/me", s.Verify(), me)
	r.POST("/api/me", s.Verify(), me)
	r.GET("/api/optional", s.Verify(ginsession.Optional()), me)
	r.GET("/api/checked", s.Verify(ginsession.CheckDatabase()), me)
	r.POST("/api/merge", s.Verify(), func(c *gin.Context) {
		var update map[string]any
		if err := c.BindJSON(&update); err != nil {
			return
		}
		if err := ginsession.FromContext(c).MergePayload(c, update); err != nil {
			s.HandleError(c, err)
			return
		}
		c.JSON(200, gin.H{"payload": ginsession.FromContext(c).Payload()})
	})
	return e
}

// client behaves like the frontend SDK's transport: a cookie jar, and in
// header mode it keeps the st-access-token / st-refresh-token it is given.
type client struct {
	t       *testing.T
	env     *env
	http    *http.Client
	mode    string // "cookie" or "header"
	access  string
	refresh string
	front   string // last front-token header value
	csrf    string
}

func (e *env) newClient(mode string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: e.t, env: e, http: &http.Client{Jar: jar}, mode: mode}
}

type resp struct {
	status int
	body   map[string]any
	raw    string
	header http.Header
}

func (r *resp) message() string {
	m, _ := r.body["message"].(string)
	return m
}

// do sends a request the way the SDK would (rid, st-auth-mode, tokens) and
// records what it gets back.
func (c *client) do(method, path, body string, extra ...string) *resp {
	c.t.Helper()
	req, err := http.NewRequest(method, c.env.server.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	isSessionRoute := strings.HasPrefix(path, "/auth/")
	if isSessionRoute {
		req.Header.Set("rid", "session")
		req.Header.Set("fdi-version", "4.1")
	} else {
		req.Header.Set("rid", "anti-csrf")
	}
	req.Header.Set("st-auth-mode", c.mode)
	if c.csrf != "" {
		req.Header.Set("anti-csrf", c.csrf)
	}
	if c.mode == "header" {
		tok := c.access
		if path == "/auth/session/refresh" {
			tok = c.refresh
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			req.Header.Del(extra[i])
		} else {
			req.Header.Set(extra[i], extra[i+1])
		}
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &resp{status: res.StatusCode, raw: string(raw), header: res.Header}
	_ = json.Unmarshal(raw, &out.body)
	if v, ok := res.Header["St-Access-Token"]; ok {
		c.access = v[0]
	}
	if v, ok := res.Header["St-Refresh-Token"]; ok {
		c.refresh = v[0]
	}
	if v := res.Header.Get("front-token"); v != "" {
		c.front = v
	}
	if v := res.Header.Get("anti-csrf"); v != "" {
		c.csrf = v
	}
	return out
}

func (c *client) signIn(user string) *resp {
	c.t.Helper()
	r := c.do("POST", "/signin", `{"user":"`+user+`"}`)
	if r.status != 200 {
		c.t.Fatalf("sign-in: %d %s", r.status, r.raw)
	}
	return r
}

// cookie returns the jar's value for a session cookie as the browser would
// send it to path.
func (c *client) cookie(name, path string) string {
	u, _ := url.Parse(c.env.server.URL + path)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func (c *client) refreshToken() string {
	if c.mode == "header" {
		return c.refresh
	}
	return c.cookie("sRefreshToken", "/auth/session/refresh")
}

// setRefreshToken puts a refresh token back (an attacker replaying it).
func (c *client) setRefreshToken(tok string) {
	if c.mode == "header" {
		c.refresh = tok
		return
	}
	u, _ := url.Parse(c.env.server.URL + "/auth/session/refresh")
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "sRefreshToken", Value: tok, Path: "/auth/session/refresh"}})
}

// decodeFront decodes a front-token header (standard base64 JSON).
func decodeFront(t *testing.T, v string) map[string]any {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatalf("front-token %q is not standard base64: %v", v, err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("front-token is not JSON: %v", err)
	}
	return out
}

// setCookies returns the response's Set-Cookie headers parsed.
func setCookies(h http.Header) []*http.Cookie {
	return (&http.Response{Header: h}).Cookies()
}

func findCookie(h http.Header, name string) *http.Cookie {
	for _, c := range setCookies(h) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func expectStatus(t *testing.T, r *resp, status int, message string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d (body %s)", r.status, status, r.raw)
	}
	if message != "" && r.message() != message {
		t.Fatalf("message %q, want %q (body %s)", r.message(), message, r.raw)
	}
}

var modes = []string{"cookie", "header"}
