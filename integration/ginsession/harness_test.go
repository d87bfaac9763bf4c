package ginsession_test

import (
	"bytes"
	"errors"
	"fmt"
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
	"github.com/ginsession/ginsession/internal/mysqltest"
	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/mysqlstore"
	"github.com/ginsession/ginsession/store/postgresstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
	"os"
)

func init() { gin.SetMode(gin.TestMode) }

// TestMain runs the tests through pgtest.Main, which stops the Postgres
// server pgtest started for them (if any) when they are done.
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Shutdown()
	mysqltest.Shutdown()
	os.Exit(code)
}

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

// openSQLite opens a store on a new SQLite file in the test's directory,
// closed when the test ends.
func openSQLite(t testing.TB) *gormstore.GORMStore {
	t.Helper()
	st, err := sqlitestore.Open(filepath.Join(t.TempDir(), "sessions.db"), gormstore.Options{CleanupInterval: -1})
	if err != nil {
		t.Fatalf("sqlitestore.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openPostgres opens a store of its own (its own connection pool, as one
// app instance has) on the Postgres database dsn, closed when the test
// ends. Call it twice on one dsn for two instances of one app.
func openPostgres(t testing.TB, dsn string) *gormstore.GORMStore {
	t.Helper()
	st, err := postgresstore.Open(dsn, gormstore.Options{CleanupInterval: -1})
	if err != nil {
		t.Fatalf("postgresstore.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openMariaDB is openPostgres on the MariaDB database dsn.
func openMariaDB(t testing.TB, dsn string) *gormstore.GORMStore {
	t.Helper()
	st, err := mysqlstore.Open(dsn, gormstore.Options{CleanupInterval: -1})
	if err != nil {
		t.Fatalf("mysqlstore.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// sharedDatabase is a database several app instances share: newDB makes a
// fresh one, open opens one instance's store on it.
type sharedDatabase struct {
	name  string
	newDB func(testing.TB) string
	open  func(testing.TB, string) *gormstore.GORMStore
}

// sharedDatabases are the databases of multi-instance deployments.
var sharedDatabases = []sharedDatabase{
	{"Postgres", pgtest.NewDatabase, openPostgres},
	{"MariaDB", mysqltest.NewDatabase, openMariaDB},
}

// onSharedDatabases runs f once per shared database, as a subtest.
func onSharedDatabases(t *testing.T, f func(t *testing.T, db sharedDatabase)) {
	for _, db := range sharedDatabases {
		t.Run(db.name, func(t *testing.T) { f(t, db) })
	}
}

// twoInstancesOn returns two engines, each with its own store on one
// fresh database of db, sharing clk (nil: the real clock) and an API
// domain: two instances of one app.
func twoInstancesOn(t *testing.T, db sharedDatabase, clk *clock) (*env, *env) {
	t.Helper()
	dsn := db.newDB(t)
	same := func(cfg *ginsession.Config) { cfg.APIDomain = "http://api.example.test" }
	return newEnvOn(t, db.open(t, dsn), clk, same), newEnvOn(t, db.open(t, dsn), clk, same)
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
	mountSignIn(r, s)
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

// mountSignIn adds POST /signin: {"user", "payload", "data", "label",
// "sessionOnly"} creates a session and answers its handle.
func mountSignIn(r *gin.Engine, s *ginsession.Sessions) {
	r.POST("/signin", func(c *gin.Context) {
		var in struct {
			User        string         `json:"user"`
			Payload     map[string]any `json:"payload"`
			Data        map[string]any `json:"data"`
			Label       string         `json:"label"`
			SessionOnly bool           `json:"sessionOnly"`
		}
		if err := c.BindJSON(&in); err != nil {
			return
		}
		var opts []ginsession.CreateOption
		if in.Label != "" {
			opts = append(opts, ginsession.WithDeviceLabel(in.Label))
		}
		if in.SessionOnly {
			opts = append(opts, ginsession.BrowserSessionOnly())
		}
		sess, err := s.Create(c, in.User, in.Payload, in.Data, opts...)
		if err != nil {
			s.HandleError(c, err)
			return
		}
		c.JSON(200, gin.H{"status": "OK", "handle": sess.Handle()})
	})
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

// do sends a request the way the SDK would (rid, fdi-version, st-auth-mode,
// anti-csrf, tokens) and records what it gets back. extra are name/value
// pairs that replace the SDK's headers (an empty value removes one).
func (c *client) do(method, path, body string, extra ...string) *resp {
	c.t.Helper()
	r, err := c.tryDo(method, path, body, extra...)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// tryDo is do that returns a transport error instead of failing the test,
// for worker goroutines (t.Fatal must not be called there).
func (c *client) tryDo(method, path, body string, extra ...string) (*resp, error) {
	req, err := http.NewRequest(method, c.env.server.URL+path, strings.NewReader(body))
	if err != nil {
		return nil, err
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
		if path == refreshPath {
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
	out, err := roundTrip(c.http, req)
	if err != nil {
		return nil, err
	}
	if v, ok := out.header["St-Access-Token"]; ok {
		c.access = v[0]
	}
	if v, ok := out.header["St-Refresh-Token"]; ok {
		c.refresh = v[0]
	}
	if v := out.header.Get("front-token"); v != "" {
		c.front = v
	}
	if v := out.header.Get("anti-csrf"); v != "" {
		c.csrf = v
	}
	return out, nil
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

var modes = []string{"cookie", "header"}

// accessToken returns the client's current access token (the header it
// keeps in header mode, the jar's cookie in cookie mode).
func (c *client) accessToken() string {
	if c.mode == "header" {
		return c.access
	}
	return c.cookie("sAccessToken", "/")
}

// expectSessionAlive asserts the stored session still exists.
func expectSessionAlive(t *testing.T, e *env, handle string) {
	t.Helper()
	if _, err := e.sessions.GetSessionInfo(t.Context(), handle); err != nil {
		t.Fatalf("session %s should still exist: %v", handle, err)
	}
}

// expectSessionGone asserts the stored session was revoked.
func expectSessionGone(t *testing.T, e *env, handle string) {
	t.Helper()
	if _, err := e.sessions.GetSessionInfo(t.Context(), handle); !errors.Is(err, ginsession.ErrSessionNotFound) {
		t.Fatalf("session %s should be gone, GetSessionInfo: %v", handle, err)
	}
}

// miniServer is an engine on its own router, for tests that need middleware in
// front of the session routes or a Config the harness presets differently.
type miniServer struct {
	url      string
	sessions *ginsession.Sessions
	router   *gin.Engine
}

// startMiniServer starts a server with mws in front of everything, registers an
// engine (Store and APIDomain preset to a fresh SQLite file and the server
// URL unless mutate sets them) and the routes /signin and /api/me.
func startMiniServer(t *testing.T, mutate func(*ginsession.Config), mws ...gin.HandlerFunc) *miniServer {
	t.Helper()
	r := gin.New()
	for _, mw := range mws {
		r.Use(mw)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	cfg := ginsession.Config{Store: openSQLite(t), APIDomain: srv.URL}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := ginsession.Register(r, cfg)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	mountSignIn(r, s)
	me := func(c *gin.Context) {
		sess := ginsession.FromContext(c)
		c.JSON(200, gin.H{"userId": sess.UserID(), "handle": sess.Handle()})
	}
	r.GET("/api/me", s.Verify(), me)
	r.POST("/api/me", s.Verify(), me)
	return &miniServer{url: srv.URL, sessions: s, router: r}
}

// onSQLiteAndPostgres runs f on SQLite and on Postgres.
func onSQLiteAndPostgres(t *testing.T, f func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) { f(t, openSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, openPostgres(t, pgtest.NewDatabase(t))) })
}

// dumpStore returns every stored value of every table as text and hex.
func dumpStore(t *testing.T, st store.Store) string {
	t.Helper()
	gs, ok := st.(*gormstore.GORMStore)
	if !ok {
		t.Fatal("not a GORM store")
	}
	var tables []string
	if err := gs.DB().Raw("SELECT name FROM sqlite_master WHERE type = 'table'").Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, table := range tables {
		var rows []map[string]any
		if err := gs.DB().Raw("SELECT * FROM " + table).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			for col, v := range row {
				fmt.Fprintf(&b, "%s.%s=%s|%x\n", table, col, v, v)
			}
		}
	}
	if !strings.Contains(b.String(), "signing_keys") {
		t.Fatal("the dump found no signing keys: the scan is broken")
	}
	return b.String()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
