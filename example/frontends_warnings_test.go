package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// tenantOrigin answers "" for a request that names no frontend (documented
// there as "the default frontend"): a same-origin GET from a page served
// with -static-dir (browsers send no Origin on same-origin GETs) or a
// mobile client without X-Tenant. ginsession logs every such answer as a
// warning meant for "a mistake in the function or a request that fooled
// it", so ordinary traffic fills the log with false alarms and buries the
// real ones.
func TestFrontendsNoFrontendNamedIsNotAWarning(t *testing.T) {
	logs := &syncBuf{}
	yes := true
	_, base := startApp(t, Options{Origins: []string{"http://localhost:3000", "http://*.apps.example.test:3000"},
		CookieSecure: &yes, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	c := newClient(t, base, "header")
	wantField(t, "signup", c.signUp("plain@example.com", "plain password"), "status", "OK")
	for i := 0; i < 3; i++ {
		wantStatus(t, "GET /api/me", c.do(http.MethodGet, "/api/me", nil), http.StatusOK)
	}
	if n := strings.Count(logs.String(), "GetOrigin answered an origin that is not configured"); n > 0 {
		t.Errorf("%d warnings for requests that name no frontend (tenantOrigin answered \"\", its documented 'default'):\n%s", n, logs.String())
	}
}
