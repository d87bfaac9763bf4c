package ginsession

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/wire"
)

// BenchmarkGetSessionSeen is the seen-token verify path alone: getSession on
// a prepared gin.Context, without routing, response writing or the
// gin.Context map, on the engine's default clock. bench/'s
// BenchmarkVerifySeen measures the whole route against its floor; this one
// isolates what ginsession itself spends, so a change of a few nanoseconds
// shows through the machine's noise.
func BenchmarkGetSessionSeen(b *testing.B) {
	gin.SetMode(gin.TestMode)
	e, _ := fuzzEngine(b, func(c *Config) { c.Now = nil })
	access := signInOn(b, e, "bench-user", "header").Header().Get(wire.HeaderAccessToken)
	if access == "" {
		b.Fatal("sign-in issued no access token")
	}
	for _, tc := range []struct {
		name   string
		header http.Header
	}{
		{"header", http.Header{"Authorization": {"Bearer " + access}}},
		{"cookie", http.Header{"Cookie": {wire.AccessCookie + "=" + access}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			c.Request = httptest.NewRequest("GET", "/api/me", nil)
			c.Request.Header = tc.header
			o := resolveVerifyOptions(nil, e.cfg.validators)
			b.ReportAllocs()
			for b.Loop() {
				s, err := e.getSession(c, o)
				if err != nil || s == nil {
					b.Fatalf("getSession: %v", err)
				}
			}
		})
	}
}
