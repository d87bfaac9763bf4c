package supertokens_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/internal/mysqltest"
	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/internal/stcore"
	"github.com/ginsession/ginsession/internal/stcore/stcoretest"
	"github.com/ginsession/ginsession/migrate/supertokens"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/memstore"
	"github.com/ginsession/ginsession/store/mysqlstore"
	"github.com/ginsession/ginsession/store/postgresstore"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Shutdown()
	mysqltest.Shutdown()
	os.Exit(code)
}

var now = time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)

// backend is a real database of one dialect, for the core and for a
// ginsession store.
type backend struct {
	name    string
	dialect stcoretest.Dialect
	newDB   func(t testing.TB) string
	store   func(dsn string) (*gormstore.GORMStore, error)
}

var backends = []backend{
	{"Postgres", stcoretest.Postgres, func(t testing.TB) string { return pgtest.NewDatabase(t) },
		func(dsn string) (*gormstore.GORMStore, error) { return postgresstore.Open(dsn, gormstore.Options{}) }},
	{"MariaDB", stcoretest.MySQL, func(t testing.TB) string { return mysqltest.NewDatabase(t) },
		func(dsn string) (*gormstore.GORMStore, error) { return mysqlstore.Open(dsn, gormstore.Options{}) }},
}

// coreDB is a generated core database and what was put in it.
type coreDB struct {
	src       supertokens.Source
	refresh   string
	dyn, old  *stcoretest.Key
	static    *stcoretest.Key
	legacy    *stcoretest.Key
	live      []*stcoretest.Session // public tenant, live
	tenant1   []*stcoretest.Session // tenant t1, live
	expired   int
	badRows   int
	gen       *stcoretest.Gen
	tableSums func(t *testing.T) string
}

// newCore creates the core's tables on a new database of b and fills them:
// live sessions of every shape in the public tenant, some in tenant t1,
// expired ones, rows with unparsable data, three current keys (dynamic,
// static, legacy), an expired dynamic key and the refresh-token key.
func newCore(t *testing.T, b backend, prefix string, live int) *coreDB {
	t.Helper()
	ctx := context.Background()
	dsn := b.newDB(t)
	src, err := supertokens.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.DB.Close() })
	src.TablePrefix = prefix
	// The generator writes through its own connection: src is read-only.
	w := writableDB(t, b, dsn)
	core := &stcoretest.Core{DB: w, Dialect: b.dialect, Prefix: prefix}
	if err := core.Create(ctx); err != nil {
		t.Fatal(err)
	}
	g := stcoretest.New(42, now)
	c := &coreDB{src: src, gen: g, refresh: g.RefreshKey()}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(core.AddTenant(ctx, "public", "public"))
	must(core.AddTenant(ctx, "public", "t1"))
	must(core.PutRefreshKey(ctx, "public", c.refresh))
	c.dyn = g.DynamicKey(0, now.Add(-24*time.Hour))
	c.old = g.DynamicKey(1, now.Add(-30*24*time.Hour))
	c.static = g.StaticKey(2, now.Add(-400*24*time.Hour))
	c.legacy = g.DynamicKey(3, now.Add(-48*time.Hour))
	for _, k := range []*stcoretest.Key{c.dyn, c.old, c.static} {
		must(core.PutKey(ctx, "public", k))
	}
	must(core.PutLegacyAccessKey(ctx, "public", c.legacy))
	for i := range live {
		c.live = append(c.live, g.Session(c.refresh, stcoretest.SessionOptions{Rotations: i % 4, AntiCSRF: i%2 == 0, UseStaticKey: i%5 == 0}))
	}
	for range 3 {
		c.tenant1 = append(c.tenant1, g.Session(c.refresh, stcoretest.SessionOptions{TenantID: "t1", Rotations: 1}))
	}
	var expired []*stcoretest.Session
	for range 4 {
		expired = append(expired, g.Session(c.refresh, stcoretest.SessionOptions{Expired: true}))
	}
	c.expired = len(expired)
	badPayload := g.Session(c.refresh, stcoretest.SessionOptions{})
	badPayload.JWTPayload = `["not", "an object"]`
	badHash := g.Session(c.refresh, stcoretest.SessionOptions{})
	badHash.Hash2 = "not-hex"
	c.badRows = 2
	all := append(append(append(append([]*stcoretest.Session{}, c.live...), c.tenant1...), expired...), badPayload, badHash)
	must(core.PutSessions(ctx, all...))
	c.tableSums = func(t *testing.T) string { return tableSums(t, w, prefix) }
	return c
}

func writableDB(t *testing.T, b backend, dsn string) *sql.DB {
	t.Helper()
	driver, conn := "pgx", dsn
	if b.dialect == stcoretest.MySQL {
		cfg, err := mysqlstore.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		driver, conn = "mysql", cfg.FormatDSN()
	}
	db, err := sql.Open(driver, conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// tableSums is a digest of every row of the core's tables, in key order.
func tableSums(t *testing.T, db *sql.DB, prefix string) string {
	t.Helper()
	h := sha256.New()
	for _, q := range []string{
		"SELECT app_id, tenant_id, session_handle, user_id, refresh_token_hash_2, session_data, expires_at, created_at_time, jwt_user_payload, use_static_key FROM " + prefix + "session_info ORDER BY app_id, tenant_id, session_handle",
		"SELECT app_id, created_at_time, value FROM " + prefix + "session_access_token_signing_keys ORDER BY app_id, created_at_time",
		"SELECT app_id, key_id, key_string, algorithm, created_at FROM " + prefix + "jwt_signing_keys ORDER BY app_id, key_id",
		"SELECT app_id, tenant_id, name, value, created_at_time FROM " + prefix + "key_value ORDER BY app_id, tenant_id, name",
		"SELECT app_id, tenant_id, created_at_time FROM " + prefix + "tenants ORDER BY app_id, tenant_id",
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				fmt.Fprintf(h, "%d:%s|", len(v), v)
			}
			h.Write([]byte("\n"))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

func run(t *testing.T, c *coreDB, dst store.Store, o supertokens.Options) *supertokens.Report {
	t.Helper()
	o.Now = now
	r, err := supertokens.Import(context.Background(), c.src, dst, o)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return r
}

func TestImportTakesOverSessionsKeysAndTokens(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c := newCore(t, b, "", 12)
			dst := memstore.New()
			r := run(t, c, dst, supertokens.Options{})
			if r.Sessions.Imported != len(c.live) || r.Sessions.AlreadyPresent != 0 ||
				r.Sessions.Read != len(c.live)+c.expired+c.badRows ||
				r.Skipped["tenant not selected"] != len(c.tenant1) ||
				r.Skipped["jwt_user_payload is not a JSON object"] != 1 || r.Skipped["refresh_token_hash_2 is not a SHA-256 hex digest"] != 1 ||
				r.Tenants["t1"] != len(c.tenant1) {
				t.Fatalf("report %+v", r)
			}
			// dynamic, static, legacy and the refresh-token key; the 30-day-old dynamic key has expired.
			if r.Keys.Imported != 4 || r.Keys.Skipped != 1 || r.Skipped["expired"] != c.expired+1 {
				t.Fatalf("keys %+v, skipped %v", r.Keys, r.Skipped)
			}
			// The core signs nothing after the import: once its last access
			// tokens have expired (one validity and a minute later), only the
			// refresh-token key is left, the static key included.
			left, err := dst.ImportedKeys(context.Background(), now.Add(time.Hour+time.Minute))
			if err != nil || len(left) != 1 || left[0].Algorithm != stcore.AlgRefreshV2 {
				t.Fatalf("keys left one access-token validity after the import: %+v, %v", left, err)
			}
			checkTakenOver(t, c, dst)
		})
	}
}

// checkTakenOver checks, for every live session, what a browser still
// holding the core's tokens needs: the row, the access token verifying
// under the imported keys with the same payload, and the refresh token
// accepted once against the imported row while a rotated-away one is stale.
func checkTakenOver(t *testing.T, c *coreDB, dst store.Store) {
	t.Helper()
	ctx := context.Background()
	imp := store.ImporterOf(dst)
	keys, err := imp.ImportedKeys(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	var verify []stcore.VerifyKey
	var refreshKey string
	for _, k := range keys {
		if k.Issuer != stcore.KeyIssuer("public") {
			t.Fatalf("key %s from issuer %q", k.ID, k.Issuer)
		}
		if k.Algorithm == stcore.AlgRefreshV2 {
			refreshKey = string(k.Key)
			continue
		}
		pub, err := stcore.ParsePublicKey(k.Key)
		if err != nil {
			t.Fatal(err)
		}
		verify = append(verify, stcore.VerifyKey{ID: k.ID, Public: pub})
	}
	if refreshKey != c.refresh || len(verify) != 3 {
		t.Fatalf("imported keys %v", keys)
	}
	for i, s := range c.live {
		row, err := dst.GetSession(ctx, s.Handle, now)
		if err != nil {
			t.Fatalf("session %s: %v", s.Handle, err)
		}
		if row.UserID != s.UserID || string(row.Payload) != s.JWTPayload || string(row.Data) != s.SessionData ||
			!row.ExpiresAt.Equal(s.ExpiresAt) || !row.CreatedAt.Equal(s.CreatedAt) || hex.EncodeToString(row.RefreshHash) != s.Hash2 {
			t.Fatalf("row %+v for %+v", row, s)
		}
		k := c.dyn
		if s.UseStaticKey {
			k = c.static
		}
		version := 2 + i%4
		at, err := stcore.VerifyAccessToken(c.gen.AccessToken(version, k, s, now.Add(-time.Minute), now.Add(time.Hour)), verify, now)
		if err != nil {
			t.Fatalf("v%d access token: %v", version, err)
		}
		if at.SessionHandle != row.Handle || at.AntiCSRFToken != s.AntiCSRF {
			t.Fatalf("access token %+v", at)
		}
		rt, err := stcore.OpenRefreshToken(s.Refresh, refreshKey)
		if err != nil {
			t.Fatal(err)
		}
		if st := rt.Against(hex.EncodeToString(row.RefreshHash)); st == stcore.Stale {
			t.Fatalf("the browser's refresh token is stale against the imported row")
		}
		for _, old := range s.Stale {
			ot, _ := stcore.OpenRefreshToken(old, refreshKey)
			if st := ot.Against(hex.EncodeToString(row.RefreshHash)); st != stcore.Stale {
				t.Fatalf("a rotated-away token stands %v", st)
			}
		}
		// Accept once: a guarded rotation from one of the token's row hashes.
		rot := store.Rotation{NewRefreshHash: []byte("ginsession-next-" + s.Handle), RotatedAt: now, ExpiresAt: now.Add(time.Hour)}
		accepted := 0
		for range 2 {
			for _, h := range rt.RowHash2s() {
				cur, _ := hex.DecodeString(h)
				if _, err := dst.RotateSession(ctx, s.Handle, cur, rot); err == nil {
					accepted++
				} else if !errors.Is(err, store.ErrConflict) {
					t.Fatal(err)
				}
			}
		}
		if accepted != 1 {
			t.Fatalf("the core's refresh token was accepted %d times", accepted)
		}
	}
	// The legacy key verifies version 2 tokens.
	s := c.live[0]
	if _, err := stcore.VerifyAccessToken(c.gen.AccessToken(2, c.legacy, s, now, now.Add(time.Hour)), verify, now); err != nil {
		t.Fatalf("legacy key: %v", err)
	}
}

const tenantHandleSkip = "session handle is not a UUID (a tenant other than public): cannot be taken over"

func TestImportTwiceStoresOnceAndNeverWritesTheCore(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c := newCore(t, b, "st_", 9)
			before := c.tableSums(t)
			dst, err := b.store(b.newDB(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { dst.Close() })
			first := run(t, c, dst, supertokens.Options{BatchSize: 4, Tenants: []string{"*"}})
			second := run(t, c, dst, supertokens.Options{BatchSize: 4, Tenants: []string{"*"}})
			// Every tenant is read; only the public tenant's sessions can be
			// taken over (the others' handles are "<uuid>_<tenant>").
			want := len(c.live)
			if first.Sessions.Imported != want || second.Sessions.Imported != 0 || second.Sessions.AlreadyPresent != want ||
				second.Keys.Imported != 0 || second.Keys.AlreadyPresent != first.Keys.Imported ||
				first.Skipped[tenantHandleSkip] != len(c.tenant1) {
				t.Fatalf("first %+v %+v %v, second %+v %+v", first.Sessions, first.Keys, first.Skipped, second.Sessions, second.Keys)
			}
			if after := c.tableSums(t); after != before {
				t.Fatal("the core's tables changed during the import")
			}
			for _, s := range c.tenant1 {
				if !strings.HasSuffix(s.Handle, "_t1") {
					t.Fatalf("tenant handle %q", s.Handle)
				}
				if _, err := dst.GetSession(context.Background(), s.Handle, now); err == nil {
					t.Fatalf("tenant t1 session %s was imported", s.Handle)
				}
			}
			checkTakenOver(t, c, dst)
		})
	}
}

func TestImportResumesFromTheCursor(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c := newCore(t, b, "", 20)
			dst := memstore.New()
			ctx, cancel := context.WithCancel(context.Background())
			batches := 0
			r, err := supertokens.Import(ctx, c.src, dst, supertokens.Options{Now: now, BatchSize: 5, Progress: func(*supertokens.Report) {
				if batches++; batches == 2 {
					cancel()
				}
			}})
			if !errors.Is(err, context.Canceled) || r.Sessions.Read != 10 || r.Cursor == (supertokens.Cursor{}) {
				t.Fatalf("interrupted run: %v, %+v", err, r.Sessions)
			}
			rest := run(t, c, dst, supertokens.Options{BatchSize: 5, After: r.Cursor})
			total := r.Sessions.Imported + rest.Sessions.Imported
			if total != len(c.live) || rest.Sessions.AlreadyPresent != 0 || r.Sessions.Read+rest.Sessions.Read != len(c.live)+c.expired+c.badRows {
				t.Fatalf("resumed: %+v then %+v", r.Sessions, rest.Sessions)
			}
			for _, s := range c.live {
				if _, err := dst.GetSession(context.Background(), s.Handle, now); err != nil {
					t.Fatalf("session %s missing after the resumed run: %v", s.Handle, err)
				}
			}
		})
	}
}

func TestImportDryRunWritesNothing(t *testing.T) {
	c := newCore(t, backends[0], "", 6)
	dst := memstore.New()
	r := run(t, c, dst, supertokens.Options{DryRun: true})
	if !r.DryRun || r.Sessions.Imported != len(c.live) || r.Keys.Imported != 4 {
		t.Fatalf("dry run report %+v %+v", r.Sessions, r.Keys)
	}
	if keys, _ := dst.ImportedKeys(context.Background(), now); len(keys) != 0 {
		t.Fatalf("the dry run stored keys: %v", keys)
	}
	if _, err := dst.GetSession(context.Background(), c.live[0].Handle, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the dry run stored a session: %v", err)
	}
	var out strings.Builder
	r.Print(&out)
	if !strings.Contains(out.String(), "dry run") || !strings.Contains(out.String(), "tenant not selected") {
		t.Fatalf("printed report:\n%s", out.String())
	}
}

func TestImportRefusesAStoreWithoutImporter(t *testing.T) {
	c := newCore(t, backends[0], "", 1)
	_, err := supertokens.Import(context.Background(), c.src, struct{ store.Store }{memstore.New()}, supertokens.Options{Now: now})
	if err == nil || !strings.Contains(err.Error(), "Importer") {
		t.Fatalf("error %v", err)
	}
}
