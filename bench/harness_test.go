package bench

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	code := m.Run()
	closeScaleEnvs()
	closeRevokeStores()
	os.Exit(code)
}

// benchUser is the user every benchmark route answers with.
const benchUser = "user-1"

// recorder is a reusable http.ResponseWriter: reset clears it without
// allocating, so a benchmark op pays only for what the route itself does.
// httptest.NewRecorder per op would add the same few allocations to every
// row, floor included, and blur the ratios.
type recorder struct {
	h    http.Header
	code int
	n    int
}

func newRecorder() *recorder { return &recorder{h: http.Header{}} }

func (r *recorder) Header() http.Header { return r.h }

func (r *recorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	r.n += len(p)
	return len(p), nil
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) reset() {
	clear(r.h)
	r.code = 0
	r.n = 0
}

// newGET builds a request template for the benchmark routes.
func newGET(path string, header http.Header) *http.Request {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	return r
}

// serveOnce serves a fresh shallow copy of tmpl: every op gets its own
// *http.Request, as net/http gives every request its own, so middleware that
// caches state on the request (gorilla's registry does) cannot carry it from
// one op to the next. The copy is one allocation, the same on every row.
func serveOnce(h http.Handler, rec *recorder, tmpl *http.Request) {
	rec.reset()
	req := new(http.Request)
	*req = *tmpl
	h.ServeHTTP(rec, req)
}

// resetTimers is b.ResetTimer plus a process CPU clock: when the benchmark
// function returns, the CPU time (user + system, every thread: GC included)
// spent since is reported per op as cpu-ns/op. On a shared machine wall time
// per op swings with other people's load; CPU time per op far less, so the
// report shows both.
func resetTimers(b *testing.B) {
	start := processCPU()
	b.Cleanup(func() {
		if b.N > 0 {
			b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
		}
	})
	b.ResetTimer()
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runRoute serves tmpl b.N times and fails on any answer but 200.
func runRoute(b *testing.B, h http.Handler, tmpl *http.Request) {
	b.Helper()
	rec := newRecorder()
	serveOnce(h, rec, tmpl) // warm: a seen-before token is seen here
	if rec.code != http.StatusOK {
		b.Fatalf("warm-up answered %d", rec.code)
	}
	b.ReportAllocs()
	resetTimers(b)
	for i := 0; i < b.N; i++ {
		serveOnce(h, rec, tmpl)
		if rec.code != http.StatusOK {
			b.Fatalf("op %d answered %d", i, rec.code)
		}
	}
}

// runRouteParallel is runRoute with b.RunParallel (GOMAXPROCS goroutines).
func runRouteParallel(b *testing.B, h http.Handler, tmpl *http.Request) {
	b.Helper()
	rec := newRecorder()
	serveOnce(h, rec, tmpl)
	if rec.code != http.StatusOK {
		b.Fatalf("warm-up answered %d", rec.code)
	}
	b.ReportAllocs()
	resetTimers(b)
	b.RunParallel(func(pb *testing.PB) {
		rec := newRecorder()
		for pb.Next() {
			serveOnce(h, rec, tmpl)
			if rec.code != http.StatusOK {
				b.Errorf("answered %d", rec.code)
				return
			}
		}
	})
}

// gsEnv is a ginsession engine on a real SQLite file with the benchmark
// routes mounted:
//
//	GET  /api/me      Verify()
//	GET  /api/me-db   Verify(CheckDatabase())
//	POST /signin      Create(c, ?user=, {"role":"editor"}, nil)
//	POST /auth/session/refresh (and the other ginsession routes)
type gsEnv struct {
	st       *gormstore.GORMStore
	sessions *ginsession.Sessions
	engine   *gin.Engine
}

// newGS opens dir/sessions.db and registers ginsession with cfg (Store and
// APIDomain are filled in). The store's cleanup loop is off: it would
// compete with the measured work at an arbitrary moment.
func newGS(tb testing.TB, dir string, cfg ginsession.Config) *gsEnv {
	tb.Helper()
	st, err := sqlitestore.Open(filepath.Join(dir, "sessions.db"), gormstore.Options{CleanupInterval: -1})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	return newGSOnStore(tb, st, cfg)
}

func newGSOnStore(tb testing.TB, st *gormstore.GORMStore, cfg ginsession.Config) *gsEnv {
	tb.Helper()
	cfg.Store = st
	if cfg.APIDomain == "" {
		cfg.APIDomain = "http://localhost:8080"
	}
	r := gin.New()
	s, err := ginsession.Register(r, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	me := func(c *gin.Context) {
		c.String(http.StatusOK, ginsession.FromContext(c).UserID())
	}
	r.GET("/api/me", s.Verify(), me)
	r.GET("/api/me-db", s.Verify(ginsession.CheckDatabase()), me)
	r.POST("/signin", func(c *gin.Context) {
		user := c.Query("user")
		if user == "" {
			user = benchUser
		}
		if _, err := s.Create(c, user, map[string]any{"role": "editor"}, nil); err != nil {
			s.HandleError(c, err)
			return
		}
		c.String(http.StatusOK, "ok")
	})
	return &gsEnv{st: st, sessions: s, engine: r}
}

// signIn creates a session in header mode through POST /signin and returns
// its access and refresh tokens.
func (e *gsEnv) signIn(tb testing.TB, user string) (access, refresh string) {
	tb.Helper()
	req := httptest.NewRequest(http.MethodPost, "/signin?user="+user, nil)
	req.Header.Set("st-auth-mode", "header")
	rec := httptest.NewRecorder()
	e.engine.ServeHTTP(rec, req)
	access, refresh = rec.Header().Get("st-access-token"), rec.Header().Get("st-refresh-token")
	if rec.Code != http.StatusOK || access == "" || refresh == "" {
		tb.Fatalf("sign-in answered %d %q without tokens", rec.Code, rec.Body.String())
	}
	return access, refresh
}

// tokenMinter signs access tokens exactly as internal/accesstoken's
// Tokens.Mint does (same private key taken from the store, same header with kid, same claim
// set encoded from jwt.MapClaims), so benchmarks can make many distinct
// tokens, or tokens for seeded sessions, without a database write each.
// The template comes from a token Create issued, so the shape cannot drift
// from what ginsession really signs.
type tokenMinter struct {
	method jwt.SigningMethod
	key    crypto.Signer
	public crypto.PublicKey
	kid    string
	claims jwt.MapClaims
}

func newTokenMinter(tb testing.TB, st store.Store, issued string) *tokenMinter {
	tb.Helper()
	claims := jwt.MapClaims{}
	tok, _, err := jwt.NewParser(jwt.WithJSONNumber()).ParseUnverified(issued, claims)
	if err != nil {
		tb.Fatal(err)
	}
	kid, _ := tok.Header["kid"].(string)
	keys, err := st.SigningKeys(context.Background(), time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	for _, k := range keys {
		if k.ID != kid {
			continue
		}
		priv, err := x509.ParsePKCS8PrivateKey(k.PrivateKey)
		if err != nil {
			tb.Fatalf("signing key %s: %v (a MasterKey would encrypt it)", kid, err)
		}
		signer, ok := priv.(crypto.Signer)
		if !ok {
			tb.Fatalf("signing key %s is a %T", kid, priv)
		}
		return &tokenMinter{method: tok.Method, key: signer, public: signer.Public(), kid: kid, claims: claims}
	}
	tb.Fatalf("kid %q not in the store", kid)
	return nil
}

// mint signs the template claims with sub and sessionHandle replaced (empty
// keeps the template's). ECDSA signatures are randomised, so two ES256
// tokens with equal claims still differ.
func (m *tokenMinter) mint(sub, handle string) (string, error) {
	claims := make(jwt.MapClaims, len(m.claims))
	for k, v := range m.claims {
		claims[k] = v
	}
	if sub != "" {
		claims["sub"] = sub
	}
	if handle != "" {
		claims["sessionHandle"] = handle
	}
	t := jwt.NewWithClaims(m.method, claims)
	t.Header["kid"] = m.kid
	return t.SignedString(m.key)
}

// mintMany signs n tokens of the template on every core.
func (m *tokenMinter) mintMany(tb testing.TB, n int) []string {
	tb.Helper()
	out := make([]string, n)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				t, err := m.mint("", "")
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = t
			}
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	if n > 1 && out[0] == out[1] {
		tb.Fatal("minted tokens are not distinct")
	}
	return out
}

// rssKB reads VmRSS from /proc/self/status (Linux), in kB.
func rssKB() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	var kb int64
	for _, line := range strings.Split(string(b), "\n") {
		if n, _ := fmt.Sscanf(line, "VmRSS: %d kB", &kb); n == 1 {
			return kb, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS line in /proc/self/status")
}
