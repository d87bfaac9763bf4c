package ginsession_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/internal/stcore/stcoretest"
	"github.com/ginsession/ginsession/migrate/supertokens"
	"github.com/ginsession/ginsession/store"
)

// takeover is a SuperTokens core's database on a real Postgres, with
// sessions the generator made in the core's formats, imported into a
// ginsession store, and the engine serving on that store.
type takeover struct {
	env      *env
	gen      *stcoretest.Gen
	key      *stcoretest.Key
	sessions []*stcoretest.Session
	src      supertokens.Source // the core's database, for a second import
	store    store.Store
	now      time.Time // the time of the import
}

func newTakeover(t *testing.T, mutate func(*ginsession.Config), opts ...stcoretest.SessionOptions) *takeover {
	t.Helper()
	ctx := context.Background()
	clk := newClock()
	dsn := pgtest.NewDatabase(t)
	w, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	core := &stcoretest.Core{DB: w, Dialect: stcoretest.Postgres}
	g := stcoretest.New(7, clk.Now())
	refreshKey := g.RefreshKey()
	tk := &takeover{gen: g, key: g.DynamicKey(0, clk.Now().Add(-2*time.Hour))}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(core.Create(ctx))
	must(core.AddTenant(ctx, "public", "public"))
	must(core.PutRefreshKey(ctx, "public", refreshKey))
	must(core.PutKey(ctx, "public", tk.key))
	for _, o := range opts {
		tk.sessions = append(tk.sessions, g.Session(refreshKey, o))
	}
	must(core.PutSessions(ctx, tk.sessions...))
	src, err := supertokens.Open(dsn)
	must(err)
	t.Cleanup(func() { src.DB.Close() })
	st := openSQLite(t)
	rep, err := supertokens.Import(ctx, src, st, supertokens.Options{Now: clk.Now()})
	must(err)
	if rep.Sessions.Imported != len(opts) {
		t.Fatalf("imported %d sessions, want %d: %+v", rep.Sessions.Imported, len(opts), rep)
	}
	tk.src, tk.store, tk.now = src, st, clk.Now()
	tk.env = newEnvOn(t, st, clk, mutate)
	return tk
}

// browser is a client holding the core's cookies for s, as the core's
// backend SDK set them (values percent-encoded, the refresh token on the
// refresh path).
func (tk *takeover) browser(s *stcoretest.Session, refresh string) *client {
	c := tk.env.newClient("cookie")
	now := tk.env.clock.Now()
	access := tk.gen.AccessToken(5, tk.key, s, now.Add(-time.Minute), now.Add(59*time.Minute))
	base, _ := url.Parse(tk.env.server.URL)
	c.http.Jar.SetCookies(base.JoinPath("/"), []*http.Cookie{{Name: "sAccessToken", Value: access, Path: "/"}})
	c.http.Jar.SetCookies(base.JoinPath("/auth/session/refresh"), []*http.Cookie{{Name: "sRefreshToken", Value: url.QueryEscape(refresh), Path: "/auth/session/refresh"}})
	c.csrf = s.AntiCSRF
	return c
}

// TestSuperTokensTakeOverKeepsEveryoneSignedIn: after an import from the
// core's tables, a browser holding the core's cookies is verified with its
// core access token (user, handle and the core's payload as the app reads
// them), refreshes once through ginsession into tokens of ours, and goes
// on; the same core refresh token inside the grace window gets the same
// answer, and after it is theft.
func TestSuperTokensTakeOverKeepsEveryoneSignedIn(t *testing.T) {
	for _, o := range []struct {
		name string
		opt  stcoretest.SessionOptions
	}{
		{"first token", stcoretest.SessionOptions{}},
		{"unpromoted child", stcoretest.SessionOptions{Rotations: 2}},
		{"anti-csrf token", stcoretest.SessionOptions{Rotations: 1, AntiCSRF: true}},
	} {
		t.Run(o.name, func(t *testing.T) {
			tk := newTakeover(t, nil, o.opt)
			s := tk.sessions[0]
			b := tk.browser(s, s.Refresh)
			me := b.do("GET", "/api/me", "")
			if me.status != 200 || me.body["userId"] != s.UserID || me.body["handle"] != s.Handle {
				t.Fatalf("core access token: %d %s", me.status, me.raw)
			}
			if p, _ := me.body["payload"].(map[string]any); p == nil || !strings.HasPrefix(p["role"].(string), "user") || p["sub"] != s.UserID {
				t.Fatalf("the core's payload does not read the same: %s", me.raw)
			}
			ref := b.do("POST", refreshPath, "")
			if ref.status != 200 {
				t.Fatalf("refresh with the core's refresh token: %d %s", ref.status, ref.raw)
			}
			ours := b.refreshToken()
			if ours == "" || strings.Contains(ours, ".V2") {
				t.Fatalf("the refresh did not issue our refresh token: %q", ours)
			}
			me = b.do("GET", "/api/me", "")
			if me.status != 200 || me.body["handle"] != s.Handle || me.body["userId"] != s.UserID {
				t.Fatalf("after the refresh: %d %s", me.status, me.raw)
			}
			if p, _ := me.body["payload"].(map[string]any); p == nil || p["role"] == nil {
				t.Fatalf("the core's payload is lost after the refresh: %s", me.raw)
			}
			// A second tab that still sent the core's token, inside the grace
			// window: the same answer, nobody signed out.
			tab := tk.browser(s, s.Refresh)
			if r := tab.do("POST", refreshPath, ""); r.status != 200 || tab.refreshToken() != ours {
				t.Fatalf("retry inside grace: %d, same token %v", r.status, tab.refreshToken() == ours)
			}
			if r := b.do("POST", refreshPath, ""); r.status != 200 {
				t.Fatalf("our token refreshes on: %d %s", r.status, r.raw)
			}
			expectSessionAlive(t, tk.env, s.Handle)
			// The core's token replayed after the window: theft.
			tk.env.clock.Advance(time.Minute)
			thief := tk.browser(s, s.Refresh)
			if r := thief.do("POST", refreshPath, ""); r.status != 401 {
				t.Fatalf("replayed core refresh token: %d %s, want 401", r.status, r.raw)
			}
			expectSessionGone(t, tk.env, s.Handle)
			if tk.env.events.count(&tk.env.events.theft) != 1 {
				t.Fatal("no theft event for the replayed core refresh token")
			}
		})
	}
}

// TestSuperTokensTakeOverRefusals: a token the core had already rotated
// away is theft, as the core would have judged it; a tampered core token,
// and under VIA_TOKEN a missing anti-csrf token, are refused and sign
// nobody out; header mode (bearer tokens) works like cookies.
func TestSuperTokensTakeOverRefusals(t *testing.T) {
	tk := newTakeover(t, func(c *ginsession.Config) { c.AntiCSRF = ginsession.AntiCSRFViaToken },
		stcoretest.SessionOptions{Rotations: 3},
		stcoretest.SessionOptions{Rotations: 1},
		stcoretest.SessionOptions{Rotations: 1, AntiCSRF: true},
		stcoretest.SessionOptions{Rotations: 1},
	)
	rotatedAway, tampered, csrf, header := tk.sessions[0], tk.sessions[1], tk.sessions[2], tk.sessions[3]

	if r := tk.browser(rotatedAway, rotatedAway.Stale[0]).do("POST", refreshPath, ""); r.status != 401 {
		t.Fatalf("a token the core rotated away: %d %s", r.status, r.raw)
	}
	expectSessionGone(t, tk.env, rotatedAway.Handle)

	bad := []byte(tampered.Refresh)
	bad[10] ^= 1
	if r := tk.browser(tampered, string(bad)).do("POST", refreshPath, ""); r.status != 401 {
		t.Fatalf("a tampered core token: %d %s", r.status, r.raw)
	}
	expectSessionAlive(t, tk.env, tampered.Handle)

	noToken := tk.browser(csrf, csrf.Refresh)
	noToken.csrf = "not the core's token"
	if r := noToken.do("POST", refreshPath, ""); r.status != 401 {
		t.Fatalf("refresh without the core's anti-csrf token: %d %s", r.status, r.raw)
	}
	if r := noToken.do("POST", "/api/me", ""); r.status != 401 {
		t.Fatalf("a state-changing request without the core's anti-csrf token: %d %s", r.status, r.raw)
	}
	expectSessionAlive(t, tk.env, csrf.Handle)
	withToken := tk.browser(csrf, csrf.Refresh)
	if r := withToken.do("POST", "/api/me", ""); r.status != 200 {
		t.Fatalf("with the core's anti-csrf token: %d %s", r.status, r.raw)
	}
	if r := withToken.do("POST", refreshPath, ""); r.status != 200 {
		t.Fatalf("refresh with the core's anti-csrf token: %d %s", r.status, r.raw)
	}

	h := tk.env.newClient("header")
	now := tk.env.clock.Now()
	h.access = tk.gen.AccessToken(5, tk.key, header, now.Add(-time.Minute), now.Add(59*time.Minute))
	h.refresh = header.Refresh
	if r := h.do("GET", "/api/me", ""); r.status != 200 || r.body["handle"] != header.Handle {
		t.Fatalf("header mode, core access token: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", refreshPath, ""); r.status != 200 || h.refresh == header.Refresh {
		t.Fatalf("header mode, core refresh token: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/api/me", ""); r.status != 200 || r.body["handle"] != header.Handle {
		t.Fatalf("header mode after the refresh: %d %s", r.status, r.raw)
	}
}
