package bench

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

// refreshParallelism is b.SetParallelism for the parallel refresh and
// guarded-update rows: GOMAXPROCS×4 concurrent clients, each on its own
// session, so the single SQLite writer always has work queued.
const refreshParallelism = 4

// refresher drives POST /auth/session/refresh in header mode for one
// session, chaining each answer's st-refresh-token into the next request,
// the way the frontend SDK does.
type refresher struct {
	h       http.Handler
	tmpl    *http.Request
	auth    []string
	rec     *recorder
	refresh string
}

func newRefresher(h http.Handler, refresh string) *refresher {
	tmpl := httptest.NewRequest(http.MethodPost, "/auth/session/refresh", nil)
	tmpl.Header["Authorization"] = []string{""}
	return &refresher{h: h, tmpl: tmpl, auth: tmpl.Header["Authorization"], rec: newRecorder(), refresh: refresh}
}

func (f *refresher) step() error {
	f.auth[0] = "Bearer " + f.refresh
	serveOnce(f.h, f.rec, f.tmpl)
	next := f.rec.h.Get("st-refresh-token")
	if f.rec.code != http.StatusOK || next == "" {
		return fmt.Errorf("refresh answered %d without a new refresh token", f.rec.code)
	}
	f.refresh = next
	return nil
}

// BenchmarkRefresh is the refresh route end to end on SQLite (a real file,
// OpenSQLite's settings): parse and authenticate the refresh token, read the
// row, one guarded UPDATE, sign a new access token, write the headers.
//
//   - sequential: one client, ES256 (the default).
//   - parallel: GOMAXPROCS×4 clients, each on its own session.
//   - sequential-EdDSA, sequential-RS256: the other algorithms, to show how
//     much of a refresh is the signature.
func BenchmarkRefresh(b *testing.B) {
	for _, alg := range []string{"ES256", "EdDSA", "RS256"} {
		name := "sequential"
		if alg != "ES256" {
			name += "-" + alg
		}
		b.Run(name, func(b *testing.B) {
			env := newGS(b, b.TempDir(), ginsession.Config{SigningAlgorithm: alg})
			_, refresh := env.signIn(b, benchUser)
			f := newRefresher(env.engine, refresh)
			if err := f.step(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			resetTimers(b)
			for i := 0; i < b.N; i++ {
				if err := f.step(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "refresh/s")
		})
	}
	b.Run("parallel", func(b *testing.B) {
		env := newGS(b, b.TempDir(), ginsession.Config{})
		clients := make([]*refresher, runtime.GOMAXPROCS(0)*refreshParallelism)
		for i := range clients {
			_, refresh := env.signIn(b, fmt.Sprintf("user-%d", i))
			clients[i] = newRefresher(env.engine, refresh)
		}
		var next atomic.Int64
		b.SetParallelism(refreshParallelism)
		b.ReportAllocs()
		resetTimers(b)
		b.RunParallel(func(pb *testing.PB) {
			f := clients[int(next.Add(1)-1)%len(clients)]
			for pb.Next() {
				if err := f.step(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "refresh/s")
	})
}

// BenchmarkGuardedUpdateRaw is the storage floor of a refresh: the store's
// RotateSession (UPDATE … SET … WHERE handle = ? AND refresh_hash = ? AND
// expires_at > ? RETURNING …) on the same SQLite settings, with nothing
// around it.
func BenchmarkGuardedUpdateRaw(b *testing.B) {
	open := func(b *testing.B, sessions int) (*gormstore.GORMStore, []string) {
		st, err := sqlitestore.Open(filepath.Join(b.TempDir(), "sessions.db"), gormstore.Options{CleanupInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = st.Close() })
		now := time.Now()
		handles := make([]string, sessions)
		for i := range handles {
			handles[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
			err := st.CreateSession(context.Background(), &store.Session{
				Handle: handles[i], UserID: fmt.Sprintf("user-%d", i), RefreshHash: genHash(handles[i], 0),
				RotatedAt: now, ExpiresAt: now.Add(100 * 24 * time.Hour), CreatedAt: now,
				Payload: []byte(`{"role":"editor"}`), Data: []byte(`{}`),
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		return st, handles
	}
	rotate := func(st *gormstore.GORMStore, handle string, gen int64) error {
		now := time.Now()
		_, err := st.RotateSession(context.Background(), handle, genHash(handle, gen), store.Rotation{
			NewRefreshHash: genHash(handle, gen+1), RotatedAt: now, ExpiresAt: now.Add(100 * 24 * time.Hour),
		})
		return err
	}
	b.Run("sequential", func(b *testing.B) {
		st, handles := open(b, 1)
		b.ReportAllocs()
		resetTimers(b)
		for i := 0; i < b.N; i++ {
			if err := rotate(st, handles[0], int64(i)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "update/s")
	})
	b.Run("parallel", func(b *testing.B) {
		st, handles := open(b, runtime.GOMAXPROCS(0)*refreshParallelism)
		var next atomic.Int64
		b.SetParallelism(refreshParallelism)
		b.ReportAllocs()
		resetTimers(b)
		b.RunParallel(func(pb *testing.PB) {
			handle := handles[int(next.Add(1)-1)%len(handles)]
			var gen int64
			for pb.Next() {
				if err := rotate(st, handle, gen); err != nil {
					b.Error(err)
					return
				}
				gen++
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "update/s")
	})
}

// genHash is the refresh-token hash of handle at generation gen in
// BenchmarkGuardedUpdateRaw.
func genHash(handle string, gen int64) []byte {
	h := sha256.Sum256(fmt.Appendf(nil, "%s/%d", handle, gen))
	return h[:]
}

// hashOf is a fixed 32-byte value standing in for a refresh-token hash.
func hashOf(i int) []byte {
	h := sha256.Sum256([]byte(fmt.Sprint(i)))
	return h[:]
}

// BenchmarkSign is access-token signing per algorithm, as
// internal/accesstoken's Tokens.Mint does it: a jwt.MapClaims of the app
// payload plus sub, iat, exp, sessionHandle and iss, kid in the header, SignedString with the private
// key ginsession generated and stored for that algorithm. Tokens.Mint is not
// exported, and measuring it through Create or refresh would add a database
// write to every op; tokenMinter takes its template from a token Create
// issued, so the claims and header are the ones ginsession signs.
func BenchmarkSign(b *testing.B) {
	for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) {
			env := newGS(b, b.TempDir(), ginsession.Config{SigningAlgorithm: alg})
			access, _ := env.signIn(b, benchUser)
			m := newTokenMinter(b, env.st, access)
			if got := m.method.Alg(); got != alg {
				b.Fatalf("ginsession signed with %s, want %s", got, alg)
			}
			b.ReportAllocs()
			resetTimers(b)
			for i := 0; i < b.N; i++ {
				if _, err := m.mint("", ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
