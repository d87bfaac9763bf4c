package main

import (
	"net/http"
	"testing"

	"github.com/ginsession/ginsession/internal/pgtest"
)

// TestDatabaseDownAnswers503: while the database is down, the example's own
// handlers that need it (sign-up, sign-in, notes) answer 503 with
// Retry-After, as ginsession's routes do, never 500: a client (the fleet
// harness, a load balancer, the SDK's caller) retries a 503 and treats a
// 500 as a bug. A protected route that needs no database keeps answering
// from memory, and once the database is back everything works again
// without a restart. Before the fix these handlers answered 500 "internal
// error".
func TestDatabaseDownAnswers503(t *testing.T) {
	srv := pgtest.StartServer(t)
	dsn := srv.NewDatabase(t)
	_, base := startApp(t, Options{DB: dsn})

	c := newClient(t, base, "header")
	wantField(t, "signup", c.signUp("down@example.com", "down password"), "status", "OK")
	wantStatus(t, "note", c.do(http.MethodPost, "/api/notes", map[string]string{"text": "before"}), http.StatusCreated)

	srv.Stop(t)
	want503 := func(what string, r result) {
		t.Helper()
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
			t.Errorf("%s with the database down: %d (Retry-After %q) %s, want 503 with Retry-After",
				what, r.status, r.header.Get("Retry-After"), r.raw)
		}
	}
	other := newClient(t, base, "header")
	want503("sign-up", other.signUp("new@example.com", "new password"))
	want503("sign-in", other.signIn("down@example.com", "down password"))
	want503("list notes", c.do(http.MethodGet, "/api/notes", nil))
	want503("add note", c.do(http.MethodPost, "/api/notes", map[string]string{"text": "during"}))
	want503("refresh", c.refresh())
	wantStatus(t, "GET /api/me from memory", c.do(http.MethodGet, "/api/me", nil), http.StatusOK)

	srv.Start(t)
	wantField(t, "sign-in after the restart", other.signIn("down@example.com", "down password"), "status", "OK")
	wantStatus(t, "note after the restart", c.do(http.MethodPost, "/api/notes", map[string]string{"text": "after"}), http.StatusCreated)
	wantStatus(t, "refresh after the restart", c.refresh(), http.StatusOK)
}
