package ginsession_test

// SECURITY.md D, faults and crashes (issue 6, item 5): the database goes
// away during refresh, sign-out and a database-checked verify; crashes
// before and after the refresh commits; signing-key rotation under load.
// The safe outcome everywhere: 503 with Retry-After, nothing cleared,
// nobody logged out, and full recovery without a restart.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

// faultStore wraps a GORM store (keeping its revocation log) and runs a hook
// around the calls a test wants to break. A before hook runs before the
// call reaches the database and may fail it; an after hook runs once the
// database has answered and may replace the result (a crash after commit).
type faultStore struct {
	*gormstore.GORMStore
	mu     sync.Mutex
	before map[string]func() error
	after  map[string]func(error) error
}

func newFaultStore(gs *gormstore.GORMStore) *faultStore {
	return &faultStore{GORMStore: gs, before: map[string]func() error{}, after: map[string]func(error) error{}}
}

// once arms a hook for the next call of op only.
func (f *faultStore) once(op string, before func() error, after func(error) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if before != nil {
		f.before[op] = before
	}
	if after != nil {
		f.after[op] = after
	}
}

func (f *faultStore) hooks(op string) (func() error, func(error) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, a := f.before[op], f.after[op]
	delete(f.before, op)
	delete(f.after, op)
	return b, a
}

func (f *faultStore) run(op string, call func() error) error {
	before, after := f.hooks(op)
	if before != nil {
		if err := before(); err != nil {
			return err
		}
	}
	err := call()
	if after != nil {
		err = after(err)
	}
	return err
}

func (f *faultStore) GetSession(ctx context.Context, h string, now time.Time) (s *store.Session, err error) {
	err = f.run("GetSession", func() error { s, err = f.GORMStore.GetSession(ctx, h, now); return err })
	return s, err
}

// RotateSession is the rotation write: one guarded statement.
func (f *faultStore) RotateSession(ctx context.Context, h string, current []byte, r store.Rotation) (s *store.Session, err error) {
	err = f.run("RotateSession", func() error { s, err = f.GORMStore.RotateSession(ctx, h, current, r); return err })
	return s, err
}

func (f *faultStore) DeleteSession(ctx context.Context, h string) (ok bool, err error) {
	err = f.run("DeleteSession", func() error { ok, err = f.GORMStore.DeleteSession(ctx, h); return err })
	return ok, err
}

// faultExpect503 asserts the storage-failure answer: 503, Retry-After, a
// message, and the frontend's session left alone.
func faultExpect503(t *testing.T, what string, r *resp) {
	t.Helper()
	if r.status != 503 || r.header.Get("Retry-After") == "" || r.message() == "" {
		t.Errorf("%s: %d %s (Retry-After %q), want 503 with Retry-After", what, r.status, r.raw, r.header.Get("Retry-After"))
	}
	expectTokensUntouched(t, r)
}

// faultUser is a signed-in client and what it holds.
type faultUser struct {
	c               *client
	handle          string
	access, refresh string
}

func faultSignIn(t *testing.T, e *env, mode, user string) *faultUser {
	t.Helper()
	c := e.newClient(mode)
	handle, _ := c.signIn(user).body["handle"].(string)
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "") // generation 1
	return &faultUser{c: c, handle: handle, access: c.accessToken(), refresh: c.refreshToken()}
}

// unchanged asserts the client still holds exactly its tokens.
func (u *faultUser) unchanged(t *testing.T) {
	t.Helper()
	if u.c.accessToken() != u.access || u.c.refreshToken() != u.refresh {
		t.Errorf("%s client: its tokens changed during the outage", u.c.mode)
	}
}

// faultOutage runs the outage checks while the database is unusable for
// writes (and, when readsFail, for reads): refresh, sign-out and sign-in
// answer 503 and leave the tokens alone; database-checked verify answers 503
// when reads fail and 200 when only writes do; stateless verify keeps
// working with the keys in memory.
func faultOutage(t *testing.T, e *env, users []*faultUser, readsFail bool) {
	t.Helper()
	for _, u := range users {
		faultExpect503(t, u.c.mode+" refresh", u.c.do("POST", "/auth/session/refresh", ""))
		faultExpect503(t, u.c.mode+" sign-out", u.c.do("POST", "/auth/signout", ""))
		r := u.c.do("GET", "/api/checked", "")
		if readsFail {
			faultExpect503(t, u.c.mode+" database-checked verify", r)
		} else {
			expectStatus(t, r, 200, "")
		}
		expectStatus(t, u.c.do("GET", "/api/me", ""), 200, "")
		u.unchanged(t)
	}
	faultExpect503(t, "sign-in", users[0].c.env.newClient("header").do("POST", "/signin", `{"user":"newcomer"}`))
	// The periodic key reload and the revocation poll fail too: verification
	// goes on with what is in memory.
	e.clock.Advance(2 * time.Minute)
	for _, u := range users {
		expectStatus(t, u.c.do("POST", "/api/me", ""), 200, "")
	}
}

// faultRecovered asserts everything works again, on the same engine: each
// user refreshes with the token it held, its lineage continues, and
// sign-in, database-checked verify and sign-out work.
func faultRecovered(t *testing.T, e *env, users []*faultUser) {
	t.Helper()
	for _, u := range users {
		r := u.c.do("POST", "/auth/session/refresh", "")
		if r.status != 200 {
			t.Fatalf("%s: refresh after recovery: %d %s", u.c.mode, r.status, r.raw)
		}
		expectStatus(t, u.c.do("GET", "/api/checked", ""), 200, "")
		expectSessionAlive(t, e, u.handle)
	}
	n := e.newClient("cookie")
	n.signIn("after-recovery")
	expectStatus(t, n.do("POST", "/auth/signout", ""), 200, "")
	if th := e.events.count(&e.events.theft); th != 0 {
		t.Fatalf("%d thefts reported", th)
	}
}

// TestFaultPostgresDown stops a private Postgres server between requests
// and at the exact moment of each operation (after the refresh read the
// session, before it writes the rotation; before sign-out deletes; before a
// database-checked verify reads), then starts it again: the same engine
// recovers without a restart.
func TestFaultPostgresDown(t *testing.T) {
	srv := pgtest.StartServer(t)
	fs := newFaultStore(openPostgres(t, srv.NewDatabase(t)))
	e := newEnvOn(t, fs, newClock(), nil)
	users := []*faultUser{faultSignIn(t, e, "cookie", "pg-cookie"), faultSignIn(t, e, "header", "pg-header")}

	t.Run("between requests", func(t *testing.T) {
		srv.Stop(t)
		faultOutage(t, e, users, true)
		srv.Start(t)
		faultRecovered(t, e, users)
	})
	for _, u := range users {
		u.access, u.refresh = u.c.accessToken(), u.c.refreshToken()
	}

	stop := func() error { srv.Stop(t); return nil }
	t.Run("during refresh, before the rotation is written", func(t *testing.T) {
		for _, u := range users {
			fs.once("RotateSession", stop, nil)
			faultExpect503(t, u.c.mode+" refresh", u.c.do("POST", "/auth/session/refresh", ""))
			u.unchanged(t)
			srv.Start(t)
			// Nothing was rotated: the token the client holds is still the
			// current one.
			before := e.events.count(&e.events.refreshed)
			expectStatus(t, u.c.do("POST", "/auth/session/refresh", ""), 200, "")
			if e.events.count(&e.events.refreshed) != before+1 {
				t.Error("no refresh recorded after recovery")
			}
			u.access, u.refresh = u.c.accessToken(), u.c.refreshToken()
		}
	})
	t.Run("during sign-out", func(t *testing.T) {
		u := users[0]
		fs.once("DeleteSession", stop, nil)
		faultExpect503(t, "sign-out", u.c.do("POST", "/auth/signout", ""))
		u.unchanged(t)
		srv.Start(t)
		expectSessionAlive(t, e, u.handle)
		expectStatus(t, u.c.do("GET", "/api/checked", ""), 200, "")
		r := u.c.do("POST", "/auth/signout", "")
		expectStatusAndBody(t, r, 200, `{"status":"OK"}`)
		expectSessionGone(t, e, u.handle)
	})
	t.Run("during a database-checked verify", func(t *testing.T) {
		u := users[1]
		fs.once("GetSession", stop, nil)
		faultExpect503(t, "database-checked verify", u.c.do("GET", "/api/checked", ""))
		u.unchanged(t)
		srv.Start(t)
		expectStatus(t, u.c.do("GET", "/api/checked", ""), 200, "")
		expectStatus(t, u.c.do("POST", "/auth/session/refresh", ""), 200, "")
	})
}

// TestFaultSQLiteReadOnly makes the SQLite database refuse every write
// (SQLITE_READONLY, the error an unwritable file gives; set with PRAGMA
// query_only on the store's single writer connection, since the tests run as
// root and file permissions would not stop root), then lifts it.
func TestFaultSQLiteReadOnly(t *testing.T) {
	gs, err := sqlitestore.Open(filepath.Join(t.TempDir(), "ro.db"), gormstore.Options{CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gs.Close() })
	e := newEnvOn(t, gs, newClock(), nil)
	users := []*faultUser{faultSignIn(t, e, "cookie", "ro-cookie"), faultSignIn(t, e, "header", "ro-header")}
	if err := gs.DB().Exec("PRAGMA query_only = ON").Error; err != nil {
		t.Fatal(err)
	}
	// The fault is real: a plain write fails.
	if err := gs.DB().Exec("DELETE FROM ginsession_sessions WHERE handle = 'x'").Error; err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Fatalf("writes still work: %v", err)
	}
	faultOutage(t, e, users, false)
	if err := gs.DB().Exec("PRAGMA query_only = OFF").Error; err != nil {
		t.Fatal(err)
	}
	faultRecovered(t, e, users)
}

// TestFaultSQLiteLocked has another process's connection hold the SQLite
// write lock (BEGIN EXCLUSIVE) past the store's busy timeout: the refresh
// waits, then answers 503 (never SQLITE_BUSY as a 401), and works once the
// lock is released.
func TestFaultSQLiteLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.db")
	gs, err := sqlitestore.Open(path, gormstore.Options{CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gs.Close() })
	e := newEnvOn(t, gs, newClock(), nil)
	u := faultSignIn(t, e, "header", "locked")
	other, err := sql.Open("sqlite3", path+"?_busy_timeout=100")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	faultExpect503(t, "refresh while another process holds the write lock", u.c.do("POST", "/auth/session/refresh", ""))
	t.Logf("the refresh gave up after %v", time.Since(start).Round(time.Millisecond))
	expectStatus(t, u.c.do("GET", "/api/checked", ""), 200, "") // reads go on under WAL
	u.unchanged(t)
	if _, err := conn.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, u.c.do("POST", "/auth/session/refresh", ""), 200, "")
	expectStatus(t, u.c.do("POST", "/auth/signout", ""), 200, "")
}

var errCrash = errors.New("injected crash")

// TestFaultCrashBeforeCommit: the refresh dies before its rotation is
// written. Nothing changed; retrying with the old token works.
func TestFaultCrashBeforeCommit(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			fs := newFaultStore(openSQLite(t))
			e := newEnvOn(t, fs, newClock(), nil)
			u := faultSignIn(t, e, mode, "crash")
			row, _ := fs.GetSession(t.Context(), u.handle, e.clock.Now())
			fs.once("RotateSession", func() error { return errCrash }, nil)
			faultExpect503(t, "refresh", u.c.do("POST", "/auth/session/refresh", ""))
			u.unchanged(t)
			after, _ := fs.GetSession(t.Context(), u.handle, e.clock.Now())
			if after.Generation != row.Generation || string(after.RefreshHash) != string(row.RefreshHash) {
				t.Fatal("the crashed refresh changed the session")
			}
			e.clock.Advance(time.Minute) // even long after: it is still the current token
			expectStatus(t, u.c.do("POST", "/auth/session/refresh", ""), 200, "")
			expectStatus(t, u.c.do("POST", "/auth/session/refresh", ""), 200, "")
			expectStatus(t, u.c.do("GET", "/api/checked", ""), 200, "")
		})
	}
}

// TestFaultCrashAfterCommit: the rotation is committed, then the request
// dies before the response (the client never sees the new tokens). The
// retry with the old token inside the grace window gets the very child the
// committed rotation stored: no fork, no theft. The same for sign-out.
func TestFaultCrashAfterCommit(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			fs := newFaultStore(openSQLite(t))
			e := newEnvOn(t, fs, newClock(), nil)
			u := faultSignIn(t, e, mode, "crash")
			fs.once("RotateSession", nil, func(err error) error {
				if err != nil {
					t.Errorf("the rotation itself failed: %v", err)
				}
				return errCrash
			})
			faultExpect503(t, "refresh", u.c.do("POST", "/auth/session/refresh", ""))
			u.unchanged(t)
			row, _ := fs.GetSession(t.Context(), u.handle, e.clock.Now())
			if row.Generation != 2 {
				t.Fatalf("generation %d: the rotation was not committed", row.Generation)
			}
			e.clock.Advance(10 * time.Second) // the client retries a little later
			expectStatus(t, u.c.do("POST", "/auth/session/refresh", ""), 200, "")
			if string(refreshHash(t, u.c.refreshToken())) != string(row.RefreshHash) {
				t.Fatal("the retry got another child than the committed rotation: the lineage forked")
			}
			expectStatus(t, u.c.do("POST", "/auth/session/refresh", ""), 200, "")
			expectStatus(t, u.c.do("GET", "/api/checked", ""), 200, "")
			if n := e.events.count(&e.events.theft); n != 0 {
				t.Fatalf("%d thefts", n)
			}

			fs.once("DeleteSession", nil, func(err error) error { return errCrash })
			faultExpect503(t, "sign-out", u.c.do("POST", "/auth/signout", ""))
			expectSessionGone(t, e, u.handle) // committed
			r := u.c.do("POST", "/auth/signout", "")
			expectStatusAndBody(t, r, 200, `{"status":"OK"}`)
			expectClearedIn(t, r, mode)
		})
	}
}

// TestFaultKeyRotationUnderLoad: signing keys rotate every minute (the
// shortest interval allowed) while clients verify and refresh concurrently,
// the clock moving under in-flight requests. No 5xx, nobody logged out, and
// a token is refused only once its exp has passed. On one SQLite engine and
// on two engines over one Postgres (keys made by one, verified by the
// other).
func TestFaultKeyRotationUnderLoad(t *testing.T) {
	cfg := func(c *ginsession.Config) {
		c.APIDomain = "http://api.example.test"
		c.KeyRotationInterval = time.Minute
		c.AccessTokenTTL = 2 * time.Minute
	}
	t.Run("sqlite", func(t *testing.T) {
		e := newEnvOn(t, openSQLite(t), newClock(), cfg)
		faultRotationLoad(t, []*env{e})
	})
	t.Run("postgres, two engines", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		clk := newClock()
		var engines []*env
		for range 2 {
			engines = append(engines, newEnvOn(t, openPostgres(t, dsn), clk, cfg))
		}
		faultRotationLoad(t, engines)
	})
}

func faultRotationLoad(t *testing.T, engines []*env) {
	const workers, steps, perStep = 6, 60, 4
	clk := engines[0].clock
	var mu sync.Mutex
	stats := map[string]int{}
	kids := map[string]bool{}
	record := func(k string) {
		mu.Lock()
		stats[k]++
		mu.Unlock()
	}
	users := make([]*client, workers)
	for i := range users {
		mode := modes[i%2]
		users[i] = engines[i%len(engines)].newClient(mode)
		users[i].signIn(fmt.Sprintf("load-%d", i))
	}
	// do runs on worker goroutines: a transport error is a failed response,
	// not t.Fatal.
	do := func(c *client, method, path string) *resp {
		r, err := c.tryDo(method, path, "")
		if err != nil {
			return &resp{raw: err.Error()}
		}
		return r
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	for step := 0; step < steps; step++ {
		var wg sync.WaitGroup
		for i, c := range users {
			wg.Add(1)
			go func(i int, c *client, seed uint64) {
				defer wg.Done()
				r := rand.New(rand.NewPCG(seed, uint64(i)))
				for n := 0; n < perStep; n++ {
					c.env = engines[r.IntN(len(engines))] // any instance
					tok := c.accessToken()
					res := do(c, "GET", "/api/me")
					switch {
					case res.status == 200:
						record("verify 200")
					case res.status == 401 && res.message() == "try refresh token" && tokenExpired(tok, clk.Now()):
						record("verify 401 expired")
						ref := do(c, "POST", "/auth/session/refresh")
						if ref.status != 200 {
							t.Errorf("refresh after expiry: %d %s", ref.status, ref.raw)
						}
						record(fmt.Sprintf("refresh %d", ref.status))
					default:
						t.Errorf("verify: %d %s (token kid %s, expired %v)", res.status, res.raw, kidForLog(tok), tokenExpired(tok, clk.Now()))
						record(fmt.Sprintf("verify %d %s", res.status, res.message()))
					}
					if r.IntN(10) == 0 {
						ref := do(c, "POST", "/auth/session/refresh")
						if ref.status != 200 {
							t.Errorf("refresh: %d %s", ref.status, ref.raw)
						}
						record(fmt.Sprintf("refresh %d", ref.status))
					}
					mu.Lock()
					kids[kidForLog(c.accessToken())] = true
					mu.Unlock()
				}
			}(i, c, rng.Uint64())
		}
		// The clock moves (and keys come due) while requests are in flight.
		time.Sleep(time.Duration(rng.IntN(2000)) * time.Microsecond)
		clk.Advance(10 * time.Second)
		wg.Wait()
		if t.Failed() {
			t.Fatalf("step %d failed (no retry): %v", step, stats)
		}
	}
	if len(kids) < 5 {
		t.Errorf("only %d signing keys seen over %d minutes of 1-minute rotation", len(kids), steps/6)
	}
	for _, e := range engines {
		if n := e.events.count(&e.events.theft); n != 0 {
			t.Errorf("%d thefts", n)
		}
	}
	t.Logf("%d signing keys used; %v", len(kids), stats)
}

// TestRefreshOneStatementPath: a refresh with the current token is the one
// guarded write (RotateSession) and does not read the row; a retry inside
// the grace window (the token is no longer current) loses that write, reads
// the row once, and gets the same child without writing.
func TestRefreshOneStatementPath(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			fs := newFaultStore(openSQLite(t))
			e := newEnvOn(t, fs, newClock(), nil)
			u := faultSignIn(t, e, mode, "fast")
			reads := 0
			countRead := func() error { reads++; return nil }
			fs.once("GetSession", countRead, nil)
			old := u.c.refreshToken()
			expectStatus(t, u.c.do("POST", "/auth/session/refresh", ""), 200, "")
			if reads != 0 {
				t.Fatalf("a refresh with the current token read the session %d times", reads)
			}
			child := u.c.refreshToken()
			// The same request again with the old token (a lost response).
			fs.once("GetSession", countRead, nil)
			u.c.setRefreshToken(old)
			expectStatus(t, u.c.do("POST", "/auth/session/refresh", ""), 200, "")
			if reads != 1 {
				t.Fatalf("the grace-window retry read the session %d times, want 1", reads)
			}
			if got := u.c.refreshToken(); got != child {
				t.Fatal("the retry got another child: the lineage forked")
			}
		})
	}
}
