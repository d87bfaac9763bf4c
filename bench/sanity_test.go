package bench

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ginsession/ginsession/ginsession"
)

// These tests keep the benchmarks honest: every route answers 200 with the
// user for the request the benchmark sends, and a token the harness mints
// has exactly the shape of one ginsession issued.

func TestRoutesAnswerTheUser(t *testing.T) {
	env := newGS(t, t.TempDir(), ginsession.Config{})
	access, _ := env.signIn(t, benchUser)
	type route struct {
		name string
		h    http.Handler
		req  *http.Request
	}
	routes := []route{
		{"bare", bareEngine(), newGET("/api/me", nil)},
		{"ginsession header", env.engine, newGET("/api/me", http.Header{"Authorization": {"Bearer " + access}})},
		{"ginsession cookie", env.engine, newGET("/api/me", http.Header{"Cookie": {"sAccessToken=" + access}})},
		{"ginsession checkdb", env.engine, newGET("/api/me-db", http.Header{"Authorization": {"Bearer " + access}})},
	}
	for _, peer := range []struct {
		name string
		mk   func(testing.TB) (http.Handler, *http.Request)
	}{{"gin-jwt", ginJWTRoute}, {"gin-contrib/sessions", ginContribRoute}, {"scs", scsRoute}} {
		h, req := peer.mk(t)
		routes = append(routes, route{peer.name, h, req})
	}
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			for i := 0; i < 2; i++ { // the second time from the cache, where there is one
				rec := httptest.NewRecorder()
				req := new(http.Request)
				*req = *r.req
				r.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || rec.Body.String() != benchUser {
					t.Fatalf("answered %d %q, want 200 %q", rec.Code, rec.Body.String(), benchUser)
				}
			}
		})
	}
	t.Run("no token", func(t *testing.T) {
		rec := httptest.NewRecorder()
		env.engine.ServeHTTP(rec, newGET("/api/me", nil))
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("answered %d, want 401", rec.Code)
		}
	})
}

func TestMintedTokensLookIssued(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			env := newGS(t, t.TempDir(), ginsession.Config{SigningAlgorithm: alg})
			access, _ := env.signIn(t, benchUser)
			m := newTokenMinter(t, env.st, access)
			minted, err := m.mint("", "")
			if err != nil {
				t.Fatal(err)
			}
			p := jwt.NewParser()
			issuedClaims, mintedClaims := jwt.MapClaims{}, jwt.MapClaims{}
			issued, _, err := p.ParseUnverified(access, issuedClaims)
			if err != nil {
				t.Fatal(err)
			}
			mine, _, err := p.ParseUnverified(minted, mintedClaims)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(issued.Header, mine.Header) {
				t.Fatalf("header %v, ginsession's %v", mine.Header, issued.Header)
			}
			if a, b := slices.Sorted(maps.Keys(issuedClaims)), slices.Sorted(maps.Keys(mintedClaims)); !slices.Equal(a, b) {
				t.Fatalf("claims %v, ginsession's %v", b, a)
			}
			rec := httptest.NewRecorder()
			env.engine.ServeHTTP(rec, newGET("/api/me", http.Header{"Authorization": {"Bearer " + minted}}))
			if rec.Code != http.StatusOK {
				t.Fatalf("ginsession answered %d to a minted token", rec.Code)
			}
		})
	}
}

func TestRefresherChains(t *testing.T) {
	env := newGS(t, t.TempDir(), ginsession.Config{})
	_, refresh := env.signIn(t, benchUser)
	f := newRefresher(env.engine, refresh)
	for i := 0; i < 3; i++ {
		before := f.refresh
		if err := f.step(); err != nil {
			t.Fatal(err)
		}
		if f.refresh == before {
			t.Fatal("refresh token did not rotate")
		}
	}
}

func TestSeedSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 2 000 rows")
	}
	env := newGS(t, t.TempDir(), ginsession.Config{})
	access, _ := env.signIn(t, benchUser)
	st := env.st
	handles, err := seedSessions(st, 2000, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(handles) != 2000 {
		t.Fatalf("%d handles", len(handles))
	}
	row, err := st.GetSession(t.Context(), handles[1234], time.Now())
	if err != nil {
		t.Fatalf("a seeded session is not readable through the store: %v", err)
	}
	if row.UserID != "seed-1234" || string(row.Payload) != `{"role":"editor"}` {
		t.Fatalf("seeded row %+v", row)
	}
	// A token for a seeded session passes a database-checked route.
	tok, err := newTokenMinter(t, st, access).mint("seed-1234", handles[1234])
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	env.engine.ServeHTTP(rec, newGET("/api/me-db", http.Header{"Authorization": {"Bearer " + tok}}))
	if rec.Code != http.StatusOK || rec.Body.String() != "seed-1234" {
		t.Fatalf("checked route answered %d %q for a seeded session", rec.Code, rec.Body.String())
	}
}
