//go:build unix

package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/internal/stcore/stcoretest"
	"github.com/ginsession/ginsession/migrate/supertokens"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

// Scenario 29 (issue 24): a browser signed in under a SuperTokens core
// when the traffic moves to ginsession. Before the takeover servers start,
// the harness makes a core's database on a private Postgres (the core's
// tables, filled by stcoretest in the core's formats: its refresh-token
// key, a dynamic RS256 signing key, one session per lane that the core
// had refreshed once), imports it with migrate/supertokens.Import into each
// takeover server's SQLite store, and stops Postgres: the core is gone.
// While the driver runs, the page server answers two harness routes:
//
//	GET /e2e-core/session?lane=cookie&ttl=5000
//	    the lane's core session as the browser holds it: the core access
//	    token (version 5, signed by the core's key, issued now and
//	    expiring after ttl ms: the core's last refresh before the switch),
//	    the refresh token (V2) raw and percent-encoded as supertokens-node
//	    writes the cookie, and the front token supertokens-node sends
//	    (base64 of {"uid","ate","up"}, up the access token's claims).
//	GET /e2e-core/row?lane=cookie
//	    the lane's session row in the ginsession store, read directly:
//	    whether it exists, its generation, and whether its refresh hash is
//	    still the core's refresh_token_hash_2.
//
// Both lanes' servers are started with -refresh-grace 1s, so that the
// old core refresh token can be replayed after the grace window without
// waiting ginsession's default 30 s.
type coreTakeover struct {
	mu       sync.Mutex
	gen      *stcoretest.Gen
	key      *stcoretest.Key
	sessions map[string]*stcoretest.Session // by lane
	stores   map[string]*gormstore.GORMStore
}

// takeoverGrace is the takeover servers' -refresh-grace.
const takeoverGrace = time.Second

// takeoverDB is the SQLite file of a lane's takeover server.
func takeoverDB(tmp, lane string) string { return filepath.Join(tmp, "takeover-"+lane+".db") }

// prepareTakeover builds the core, imports it into each lane's store and
// returns what the harness routes need; nil when Postgres is missing
// (then the subtest is skipped, or failed under CI=true, and scenario 29
// reports N/A).
func prepareTakeover(t *testing.T, tmp string, lanes []string) *coreTakeover {
	var out *coreTakeover
	started := time.Now()
	t.Run("SuperTokensCoreImport", func(t *testing.T) {
		ctx := context.Background()
		srv := pgtest.StartServer(t) // stopped when this subtest ends
		dsn := srv.NewDatabase(t)
		w, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		now := time.Now()
		g := stcoretest.New(29, now)
		core := &stcoretest.Core{DB: w, Dialect: stcoretest.Postgres}
		refreshKey := g.RefreshKey()
		ct := &coreTakeover{gen: g, key: g.DynamicKey(0, now.Add(-2*time.Hour)),
			sessions: map[string]*stcoretest.Session{}, stores: map[string]*gormstore.GORMStore{}}
		must := func(what string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		must("core tables", core.Create(ctx))
		must("core tenant", core.AddTenant(ctx, "public", "public"))
		must("core refresh key", core.PutRefreshKey(ctx, "public", refreshKey))
		must("core signing key", core.PutKey(ctx, "public", ct.key))
		var all []*stcoretest.Session
		for _, lane := range lanes {
			// Refreshed once by the core: the browser holds the child the
			// core had not promoted yet, and the access token names its
			// parent (the common state of a session in use).
			s := g.Session(refreshKey, stcoretest.SessionOptions{Rotations: 1})
			ct.sessions[lane] = s
			all = append(all, s)
		}
		must("core sessions", core.PutSessions(ctx, all...))

		src, err := supertokens.Open(dsn)
		must("opening the core read-only", err)
		defer src.DB.Close()
		for _, lane := range lanes {
			st, err := sqlitestore.Open(takeoverDB(tmp, lane), gormstore.Options{CleanupInterval: -1})
			must("the takeover store", err)
			ct.stores[lane] = st
			rep, err := supertokens.Import(ctx, src, st, supertokens.Options{})
			if err != nil {
				st.Close()
				t.Fatalf("import into the %s lane's store: %v", lane, err)
			}
			if rep.Sessions.Imported != len(all) || rep.Keys.Imported != 2 {
				t.Fatalf("import into the %s lane's store: %d sessions, %d keys; want %d and 2: %+v",
					lane, rep.Sessions.Imported, rep.Keys.Imported, len(all), rep)
			}
		}
		out = ct
	})
	if out != nil {
		// The stores stay open for /e2e-core/row until the whole test ends.
		t.Cleanup(func() {
			for _, st := range out.stores {
				st.Close()
			}
		})
		t.Logf("SuperTokens core on Postgres made and imported into %d stores in %v", len(out.stores), time.Since(started).Round(time.Millisecond))
	}
	return out
}

// coreSession is what /e2e-core/session answers.
type coreSession struct {
	UserID         string         `json:"userId"`
	Handle         string         `json:"handle"`
	TenantID       string         `json:"tenantId"`
	AppPayload     map[string]any `json:"appPayload"` // the core's jwt_user_payload
	AccessToken    string         `json:"accessToken"`
	AccessExpiry   int64          `json:"accessExpiry"` // ms
	FrontToken     string         `json:"frontToken"`
	RefreshToken   string         `json:"refreshToken"`  // V2, as the header mode carries it
	RefreshCookie  string         `json:"refreshCookie"` // percent-encoded, as supertokens-node writes the cookie
	RefreshExpiry  int64          `json:"refreshExpiry"` // ms: the session row's expires_at
	LastTokenWrite int64          `json:"lastTokenWrite"`
}

// handler serves /e2e-core/session and /e2e-core/row.
func (ct *coreTakeover) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /e2e-core/session", func(w http.ResponseWriter, r *http.Request) {
		ct.mu.Lock()
		defer ct.mu.Unlock()
		s := ct.sessions[r.URL.Query().Get("lane")]
		ttl, err := strconv.Atoi(r.URL.Query().Get("ttl"))
		if s == nil || err != nil || ttl < 1000 {
			http.Error(w, "want ?lane=<a lane>&ttl=<ms, at least 1000>", http.StatusBadRequest)
			return
		}
		now := time.Now()
		exp := now.Add(time.Duration(ttl) * time.Millisecond).Truncate(time.Second)
		access := ct.gen.AccessToken(5, ct.key, s, now, exp)
		claims, err := jwtClaims(access)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var app map[string]any
		if err := json.Unmarshal([]byte(s.JWTPayload), &app); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		ft, err := json.Marshal(map[string]any{"uid": s.UserID, "ate": exp.UnixMilli(), "up": claims})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSON(w, coreSession{
			UserID: s.UserID, Handle: s.Handle, TenantID: s.TenantID, AppPayload: app,
			AccessToken: access, AccessExpiry: exp.UnixMilli(),
			FrontToken:   base64.StdEncoding.EncodeToString(ft),
			RefreshToken: s.Refresh,
			// encodeURIComponent, as the cookie package of supertokens-node
			// encodes values: a V2 token's Base64 +, / and = become %2B, %2F
			// and %3D; its letters, digits and dots stay.
			RefreshCookie: url.QueryEscape(s.Refresh),
			RefreshExpiry: s.ExpiresAt.UnixMilli(), LastTokenWrite: now.UnixMilli(),
		})
	})
	mux.HandleFunc("GET /e2e-core/row", func(w http.ResponseWriter, r *http.Request) {
		lane := r.URL.Query().Get("lane")
		s, st := ct.sessions[lane], ct.stores[lane]
		if s == nil || st == nil {
			http.Error(w, "want ?lane=<a lane>", http.StatusBadRequest)
			return
		}
		row, err := st.GetSession(r.Context(), s.Handle, time.Now())
		if errors.Is(err, store.ErrNotFound) {
			writeJSON(w, map[string]any{"found": false})
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		coreHash, _ := hex.DecodeString(s.Hash2)
		writeJSON(w, map[string]any{"found": true, "userId": row.UserID, "generation": row.Generation,
			"coreHash": bytes.Equal(row.RefreshHash, coreHash)})
	})
	return mux
}

// jwtClaims decodes a JWT's claims without checking it (the harness made
// it).
func jwtClaims(tok string) (map[string]any, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWS")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	return claims, json.Unmarshal(raw, &claims)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}
