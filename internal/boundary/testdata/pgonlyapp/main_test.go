package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/postgresstore"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	pgtest.Main(m)
}

// TestSignInRefresh signs in over HTTP in header mode, refreshes, and uses
// the new access token, on Postgres.
func TestSignInRefresh(t *testing.T) {
	st, err := postgresstore.Open(pgtest.NewDatabase(t), gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	router, err := newRouter(st, "http://localhost:8080")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(router)
	defer srv.Close()

	do := func(method, path, bearer string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("st-auth-mode", "header")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}

	res, body := do("POST", "/signin?user=alice", "")
	access, refresh := res.Header.Get("st-access-token"), res.Header.Get("st-refresh-token")
	if res.StatusCode != 200 || access == "" || refresh == "" {
		t.Fatalf("sign-in: %d %s, tokens %t %t", res.StatusCode, body, access != "", refresh != "")
	}
	before := generation(t, st)
	res, body = do("POST", "/auth/session/refresh", refresh)
	newAccess, newRefresh := res.Header.Get("st-access-token"), res.Header.Get("st-refresh-token")
	if res.StatusCode != 200 || newAccess == "" || newRefresh == "" || newRefresh == refresh {
		t.Fatalf("refresh: %d %s, new tokens %t %t", res.StatusCode, body, newAccess != "", newRefresh != "" && newRefresh != refresh)
	}
	res, body = do("GET", "/me", newAccess)
	var me struct {
		UserID string `json:"userId"`
	}
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &me) != nil || me.UserID != "alice" {
		t.Fatalf("/me with the refreshed access token: %d %s", res.StatusCode, body)
	}
	if after := generation(t, st); after != before+1 {
		t.Fatalf("generation %d after one refresh from %d", after, before)
	}
}

// generation returns the generation of alice's only session.
func generation(t *testing.T, st store.Store) int64 {
	t.Helper()
	rows, err := st.ListUserSessions(t.Context(), "alice", time.Now())
	if err != nil || len(rows) != 1 {
		t.Fatalf("alice's sessions = %+v, %v; want one", rows, err)
	}
	return rows[0].Generation
}
