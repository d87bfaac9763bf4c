package puresqlite_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/puresqlite"
)

// opener is a store opener BenchmarkRefresh compares.
type opener struct {
	name string
	open func(string, gormstore.Options) (*gormstore.GORMStore, error)
}

// benchOpeners are the stores BenchmarkRefresh runs on: this package's,
// and with cgo store/sqlitestore's too (bench_cgo_test.go).
var benchOpeners = []opener{{"puresqlite", puresqlite.Open}}

// BenchmarkRefresh is the refresh route end to end, in process (no
// network): authenticate the refresh token, read the row, one guarded
// UPDATE through the single writer, sign a new access token.
//
//   - sequential: one client.
//   - parallel: GOMAXPROCS×4 clients, each on a session of its own, so the
//     writer always has work queued.
//
// Without cgo only the puresqlite rows run; with cgo (the default where a C
// compiler is installed) the sqlitestore rows run beside them:
//
//	go test -run '^$' -bench Refresh -benchtime 2s
func BenchmarkRefresh(b *testing.B) {
	for _, o := range benchOpeners {
		b.Run(o.name+"/sequential", func(b *testing.B) {
			h := newBenchHandler(b, o)
			tok, err := benchSignIn(h, "bench")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if tok, err = benchRefresh(h, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(o.name+"/parallel", func(b *testing.B) {
			h := newBenchHandler(b, o)
			var n atomic.Int64
			b.SetParallelism(4)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				// b.Fatal may not be called from these goroutines.
				tok, err := benchSignIn(h, fmt.Sprintf("bench%d", n.Add(1)))
				for err == nil && pb.Next() {
					tok, err = benchRefresh(h, tok)
				}
				if err != nil {
					b.Error(err)
				}
			})
		})
	}
}

func newBenchHandler(b *testing.B, o opener) http.Handler {
	b.Helper()
	st, err := o.open(filepath.Join(b.TempDir(), "sessions.db"), gormstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	router := gin.New()
	sessions, err := ginsession.Register(router, ginsession.Config{Store: st, APIDomain: "http://localhost:8080"})
	if err != nil {
		b.Fatal(err)
	}
	router.POST("/signin", func(c *gin.Context) {
		if _, err := sessions.Create(c, c.Query("user"), nil, nil); err != nil {
			sessions.HandleError(c, err)
			return
		}
		c.Status(http.StatusOK)
	})
	return router
}

// benchSignIn starts a session for user and returns its refresh token.
func benchSignIn(h http.Handler, user string) (string, error) {
	req := httptest.NewRequest(http.MethodPost, "/signin?user="+user, nil)
	req.Header.Set("st-auth-mode", "header")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	tok := rec.Header().Get("st-refresh-token")
	if rec.Code != http.StatusOK || tok == "" {
		return "", fmt.Errorf("sign-in: %d %s", rec.Code, rec.Body)
	}
	return tok, nil
}

// benchRefresh refreshes with tok and returns the next refresh token.
func benchRefresh(h http.Handler, tok string) (string, error) {
	req := httptest.NewRequest(http.MethodPost, "/auth/session/refresh", nil)
	req.Header.Set("st-auth-mode", "header")
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	next := rec.Header().Get("st-refresh-token")
	if rec.Code != http.StatusOK || next == "" {
		return "", fmt.Errorf("refresh: %d %s", rec.Code, rec.Body)
	}
	return next, nil
}

// BenchmarkRotateSession is the store's part of a refresh alone: one
// guarded UPDATE of a session row through the writer, sequentially, with
// no HTTP, token or signature work around it. It shows the drivers'
// difference undiluted.
func BenchmarkRotateSession(b *testing.B) {
	for _, o := range benchOpeners {
		b.Run(o.name, func(b *testing.B) {
			st, err := o.open(filepath.Join(b.TempDir(), "sessions.db"), gormstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			ctx := context.Background()
			now := time.Now().UTC()
			hash := func(i int) []byte { return fmt.Appendf(nil, "refresh hash %d", i) }
			err = st.CreateSession(ctx, &store.Session{
				Handle: "h", UserID: "bench", RefreshHash: hash(0),
				RotatedAt: now, ExpiresAt: now.Add(24 * time.Hour), CreatedAt: now,
				Payload: []byte(`{}`), Data: []byte(`{}`),
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				at := now.Add(time.Duration(i+1) * time.Millisecond)
				r := store.Rotation{NewRefreshHash: hash(i + 1), RotatedAt: at, ExpiresAt: at.Add(24 * time.Hour)}
				if _, err := st.RotateSession(ctx, "h", hash(i), r); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
