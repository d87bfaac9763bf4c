package bench

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	ginjwt "github.com/appleboy/gin-jwt/v2"
	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/ginsession/ginsession/ginsession"
)

// Every route below is GET /api/me answering 200 with the user id as a
// short text body, through gin.New() (no logger, no recovery). The peers
// read their one identity key in the handler, as ginsession's handler reads
// FromContext(c).UserID(); a missing identity answers 401, so a benchmark
// whose session silently failed to load stops with an error instead of
// measuring the failure path.

// bareEngine is the floor: the same route with no session at all.
func bareEngine() *gin.Engine {
	r := gin.New()
	r.GET("/api/me", func(c *gin.Context) { c.String(http.StatusOK, benchUser) })
	return r
}

func BenchmarkBareRoute(b *testing.B) {
	runRoute(b, bareEngine(), newGET("/api/me", nil))
}

func BenchmarkBareRouteParallel(b *testing.B) {
	runRouteParallel(b, bareEngine(), newGET("/api/me", nil))
}

// handoffEngine is the bare route plus the least any middleware does to
// hand a value to its handler the way Gin documents it: allocate a small
// struct, c.Set it, c.Get it in the handler. gin.Context.Keys is nil at the
// start of every request, so the first c.Set allocates the map. It is a
// second floor: what ginsession's Verify (or gin-jwt, or
// gin-contrib/sessions) cannot avoid while FromContext reads c.Keys.
func handoffEngine() *gin.Engine {
	type identity struct {
		user, handle string
		payload      map[string]any
		exp          time.Time
	}
	type key struct{}
	r := gin.New()
	r.GET("/api/me", func(c *gin.Context) {
		c.Set(key{}, &identity{user: benchUser})
		c.Next()
	}, func(c *gin.Context) {
		v, _ := c.Get(key{})
		id, _ := v.(*identity)
		if id == nil {
			c.Status(http.StatusUnauthorized)
			return
		}
		c.String(http.StatusOK, id.user)
	})
	return r
}

// BenchmarkContextHandoff is handoffEngine's route: the floor for any
// middleware that passes a value to the handler through the gin.Context.
func BenchmarkContextHandoff(b *testing.B) {
	runRoute(b, handoffEngine(), newGET("/api/me", nil))
}

// BenchmarkContextHandoffBesideStore is BenchmarkContextHandoff's route in a
// process that also holds what an app using ginsession holds: an open
// SQLite store and a ginsession engine beside it, set up as VerifySeen's
// are. The route and its engine are the same; what differs is the
// work every garbage collection does walking that longer-lived heap (GORM's
// parsed models are most of it), which BenchmarkContextHandoff, run
// without it, never pays. So VerifySeen over this row is the cost of the
// middleware alone, and this row over ContextHandoff is the cost of the
// store being in the process.
func BenchmarkContextHandoffBesideStore(b *testing.B) {
	env := newGS(b, b.TempDir(), ginsession.Config{})
	env.signIn(b, benchUser)
	runRoute(b, handoffEngine(), newGET("/api/me", nil))
}

// BenchmarkVerifySeen is the common path: the access token was verified
// before, so Verify answers from the token cache.
func BenchmarkVerifySeen(b *testing.B) {
	setup := func(b *testing.B) (*gsEnv, string) {
		env := newGS(b, b.TempDir(), ginsession.Config{})
		access, _ := env.signIn(b, benchUser)
		return env, access
	}
	b.Run("header", func(b *testing.B) {
		env, access := setup(b)
		runRoute(b, env.engine, newGET("/api/me", http.Header{"Authorization": {"Bearer " + access}}))
	})
	b.Run("cookie", func(b *testing.B) {
		env, access := setup(b)
		runRoute(b, env.engine, newGET("/api/me", http.Header{"Cookie": {"sAccessToken=" + access}}))
	})
	b.Run("header-parallel", func(b *testing.B) {
		env, access := setup(b)
		runRouteParallel(b, env.engine, newGET("/api/me", http.Header{"Authorization": {"Bearer " + access}}))
	})
	// Metrics recorded by the OpenTelemetry SDK (the default records
	// nothing, through the API's no-op provider).
	b.Run("header-metrics-sdk", func(b *testing.B) {
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		env := newGS(b, b.TempDir(), ginsession.Config{MeterProvider: mp})
		access, _ := env.signIn(b, benchUser)
		runRoute(b, env.engine, newGET("/api/me", http.Header{"Authorization": {"Bearer " + access}}))
	})
}

// BenchmarkVerifySeenOverFloor is BenchmarkVerifySeen's ratio to
// BenchmarkContextHandoff measured in one loop: the seen-token route and
// the hand-off floor serve alternating blocks of 1000 requests, each block
// timed, and the row reports both times per request and their ratio
// (seen/floor). On a shared machine whose speed drifts from one second to
// the next, two benchmarks run seconds apart can differ by more than the
// whole verify path costs; blocks a millisecond apart see the same machine.
// Which route goes first alternates, so neither always pays for the
// other's garbage.
func BenchmarkVerifySeenOverFloor(b *testing.B) {
	for _, tc := range []struct {
		name   string
		header func(access string) http.Header
	}{
		{"header", func(a string) http.Header { return http.Header{"Authorization": {"Bearer " + a}} }},
		{"cookie", func(a string) http.Header { return http.Header{"Cookie": {"sAccessToken=" + a}} }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			env := newGS(b, b.TempDir(), ginsession.Config{})
			access, _ := env.signIn(b, benchUser)
			seen, seenReq := env.engine, newGET("/api/me", tc.header(access))
			floor, floorReq := handoffEngine(), newGET("/api/me", nil)
			rec := newRecorder()
			serve := func(h http.Handler, req *http.Request, n int) time.Duration {
				start := time.Now()
				for i := 0; i < n; i++ {
					serveOnce(h, rec, req)
					if rec.code != http.StatusOK {
						b.Fatalf("answered %d", rec.code)
					}
				}
				return time.Since(start)
			}
			serve(seen, seenReq, 1) // a seen-before token is seen here
			serve(floor, floorReq, 1)
			const block = 1000
			var inSeen, inFloor time.Duration
			b.ReportAllocs()
			resetTimers(b)
			for done, i := 0, 0; done < b.N; i++ {
				n := min(block, b.N-done)
				if i%2 == 0 {
					inFloor += serve(floor, floorReq, n)
					inSeen += serve(seen, seenReq, n)
				} else {
					inSeen += serve(seen, seenReq, n)
					inFloor += serve(floor, floorReq, n)
				}
				done += n
			}
			b.ReportMetric(float64(inSeen)/float64(b.N), "seen-ns/op")
			b.ReportMetric(float64(inFloor)/float64(b.N), "floor-ns/op")
			b.ReportMetric(float64(inSeen)/float64(inFloor), "seen/floor")
		})
	}
}

// BenchmarkVerifyUnseen presents a never-seen token on every op: b.N
// distinct tokens are signed before the timer starts (with ginsession's own
// key and claim set, see tokenMinter), so no op is a cache hit.
//
//   - cache-default: the default config (VerifyCacheSize 10000). Each op is a
//     signature check plus a cache insert; past 10 000 ops the cache is full
//     of live tokens and every insert also evicts. This is what an app sees.
//   - cache-off: VerifyCacheSize -1, the signature check alone.
func BenchmarkVerifyUnseen(b *testing.B) {
	for _, c := range []struct {
		name string
		size int
	}{{"cache-default", 0}, {"cache-off", -1}} {
		b.Run(c.name, func(b *testing.B) {
			env := newGS(b, b.TempDir(), ginsession.Config{VerifyCacheSize: c.size})
			access, _ := env.signIn(b, benchUser)
			minted := newTokenMinter(b, env.st, access).mintMany(b, b.N)
			bearers := make([]string, b.N)
			for i, t := range minted {
				bearers[i] = "Bearer " + t
			}
			minted = nil
			tmpl := newGET("/api/me", http.Header{"Authorization": {""}})
			auth := tmpl.Header["Authorization"]
			rec := newRecorder()
			b.ReportAllocs()
			resetTimers(b)
			for i := 0; i < b.N; i++ {
				auth[0] = bearers[i]
				serveOnce(env.engine, rec, tmpl)
				if rec.code != http.StatusOK {
					b.Fatalf("op %d answered %d", i, rec.code)
				}
			}
		})
	}
}

// BenchmarkJWTParseRaw is the library floor for an unseen token: golang-jwt
// v5 ParseWithClaims of the same ginsession ES256 token with its public key,
// the algorithm pinned, no Gin and no cache.
func BenchmarkJWTParseRaw(b *testing.B) {
	env := newGS(b, b.TempDir(), ginsession.Config{})
	access, _ := env.signIn(b, benchUser)
	pub := newTokenMinter(b, env.st, access).public
	keyFunc := func(*jwt.Token) (any, error) { return pub, nil }
	methods := jwt.WithValidMethods([]string{"ES256"})
	b.ReportAllocs()
	resetTimers(b)
	for i := 0; i < b.N; i++ {
		if _, err := jwt.ParseWithClaims(access, jwt.MapClaims{}, keyFunc, methods); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGinJWT: appleboy/gin-jwt v2 with its defaults (HS256, token in
// "Authorization: Bearer"), the identity read from the context.
func BenchmarkGinJWT(b *testing.B) {
	h, tmpl := ginJWTRoute(b)
	runRoute(b, h, tmpl)
}

func ginJWTRoute(tb testing.TB) (http.Handler, *http.Request) {
	tb.Helper()
	mw, err := ginjwt.New(&ginjwt.GinJWTMiddleware{
		Realm:       "bench",
		Key:         []byte("bench-secret-bench-secret-bench-secret!!"),
		Timeout:     time.Hour,
		IdentityKey: "id",
		PayloadFunc: func(data any) ginjwt.MapClaims { return ginjwt.MapClaims{"id": data} },
	})
	if err != nil {
		tb.Fatal(err)
	}
	token, _, err := mw.TokenGenerator(benchUser)
	if err != nil {
		tb.Fatal(err)
	}
	r := gin.New()
	r.GET("/api/me", mw.MiddlewareFunc(), func(c *gin.Context) {
		id, _ := c.Get("id")
		user, _ := id.(string)
		if user == "" {
			c.Status(http.StatusUnauthorized)
			return
		}
		c.String(http.StatusOK, user)
	})
	return r, newGET("/api/me", http.Header{"Authorization": {"Bearer " + token}})
}

// BenchmarkGinContribSessions: gin-contrib/sessions with its cookie store
// (gorilla securecookie: HMAC-authenticated, gob-encoded), reading one key.
func BenchmarkGinContribSessions(b *testing.B) {
	h, tmpl := ginContribRoute(b)
	runRoute(b, h, tmpl)
}

func ginContribRoute(tb testing.TB) (http.Handler, *http.Request) {
	tb.Helper()
	r := gin.New()
	r.Use(sessions.Sessions("benchsession", cookie.NewStore([]byte("bench-auth-key-bench-auth-key-32"))))
	r.GET("/login", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("user", benchUser)
		if err := s.Save(); err != nil {
			c.Status(http.StatusInternalServerError)
			return
		}
		c.String(http.StatusOK, "ok")
	})
	r.GET("/api/me", func(c *gin.Context) {
		user, _ := sessions.Default(c).Get("user").(string)
		if user == "" {
			c.Status(http.StatusUnauthorized)
			return
		}
		c.String(http.StatusOK, user)
	})
	return r, newGET("/api/me", http.Header{"Cookie": {loginCookie(tb, r, "benchsession")}})
}

// BenchmarkSCS: alexedwards/scs v2 with its memstore, reading one
// key. scs is net/http middleware; its documented way to use it with Gin
// is to wrap the whole engine in LoadAndSave, which is what an app does and
// what is measured: cookie read, store find, gob decode, request copy, and
// the commit check before the body is written.
func BenchmarkSCS(b *testing.B) {
	h, tmpl := scsRoute(b)
	runRoute(b, h, tmpl)
}

func scsRoute(tb testing.TB) (http.Handler, *http.Request) {
	tb.Helper()
	sm := scs.New()
	// scs's memstore without its cleanup goroutine: the run is far shorter
	// than a session, and memstore v2.9.0's StopCleanup races with the
	// goroutine's start (the race detector reports it in scs's own code).
	sm.Store = memstore.NewWithCleanupInterval(0)
	r := gin.New()
	r.GET("/login", func(c *gin.Context) {
		sm.Put(c.Request.Context(), "user", benchUser)
		c.String(http.StatusOK, "ok")
	})
	r.GET("/api/me", func(c *gin.Context) {
		user := sm.GetString(c.Request.Context(), "user")
		if user == "" {
			c.Status(http.StatusUnauthorized)
			return
		}
		c.String(http.StatusOK, user)
	})
	h := sm.LoadAndSave(r)
	return h, newGET("/api/me", http.Header{"Cookie": {loginCookie(tb, h, sm.Cookie.Name)}})
}

// loginCookie calls GET /login and returns "name=value" of the session
// cookie it sets.
func loginCookie(tb testing.TB, h http.Handler, name string) string {
	tb.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == name && ck.Value != "" {
			return ck.Name + "=" + ck.Value
		}
	}
	tb.Fatalf("login answered %d without a %s cookie", rec.Code, name)
	return ""
}
