package ginsession_test

import (
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

// benchEngine returns a router with a protected route and a header-mode
// access token for it.
func benchEngine(b *testing.B, mutate func(*ginsession.Config)) (*gin.Engine, string) {
	b.Helper()
	st, err := sqlitestore.Open(filepath.Join(b.TempDir(), "bench.db"), gormstore.Options{CleanupInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	r := gin.New()
	cfg := ginsession.Config{Store: st, APIDomain: "http://localhost:8080"}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := ginsession.Register(r, cfg)
	if err != nil {
		b.Fatal(err)
	}
	r.POST("/signin", func(c *gin.Context) {
		if _, err := s.Create(c, "bench-user", map[string]any{"role": "user"}, nil); err != nil {
			s.HandleError(c, err)
		}
	})
	r.GET("/api", s.Verify(), func(c *gin.Context) { c.String(200, "ok") })
	w := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/signin", nil)
	req.Header.Set("st-auth-mode", "header")
	r.ServeHTTP(w, req)
	return r, w.Header().Get("st-access-token")
}

func benchVerify(b *testing.B, mutate func(*ginsession.Config)) {
	r, tok := benchEngine(b, mutate)
	req := httptest.NewRequest("GET", "/api", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != 200 {
		b.Fatalf("status %d", w.Code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
	}
}

// BenchmarkVerifySeen: a token seen before, revocation propagation on
// (the default) and off; and with the cache off (a signature check each
// time).
func BenchmarkVerifySeen(b *testing.B) {
	b.Run("propagation=on", func(b *testing.B) { benchVerify(b, nil) })
	b.Run("propagation=off", func(b *testing.B) {
		benchVerify(b, func(c *ginsession.Config) { c.RevocationPollInterval = -1 })
	})
	b.Run("cache=off", func(b *testing.B) {
		benchVerify(b, func(c *ginsession.Config) { c.VerifyCacheSize = -1 })
	})
	// Metrics recorded by the OpenTelemetry SDK: bench/'s
	// BenchmarkVerifySeen/header-metrics-sdk (the SDK is no dependency of
	// the library's module).
}

// BenchmarkBareRoute is the floor the verify benchmarks compare to.
func BenchmarkBareRoute(b *testing.B) {
	r := gin.New()
	r.GET("/api", func(c *gin.Context) { c.String(200, "ok") })
	req := httptest.NewRequest("GET", "/api", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
	}
}
