package gormstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ginsession/ginsession/internal/mysqltest"
	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/mysqlstore"
	"github.com/ginsession/ginsession/store/postgresstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
	"github.com/ginsession/ginsession/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Shutdown()
	mysqltest.Shutdown()
	os.Exit(code)
}

// backend opens GORMStores on one kind of database. newDB returns a fresh,
// empty database location (file path or DSN) for one test; open opens a store
// on it and closes the store when the test ends.
type backend struct {
	name  string
	newDB func(t *testing.T) string
	open  func(string, gormstore.Options) (*gormstore.GORMStore, error)
}

var backends = []backend{
	{
		name:  "SQLite",
		newDB: func(t *testing.T) string { return filepath.Join(t.TempDir(), "sessions.db") },
		open:  sqlitestore.Open,
	},
	{
		name:  "Postgres",
		newDB: func(t *testing.T) string { return pgtest.NewDatabase(t) },
		open:  postgresstore.Open,
	},
	{
		name:  "MariaDB",
		newDB: func(t *testing.T) string { return mysqltest.NewDatabase(t) },
		open:  mysqlstore.Open,
	},
}

func (b backend) openOn(t *testing.T, where string, opts gormstore.Options) *gormstore.GORMStore {
	t.Helper()
	s, err := b.open(where, opts)
	if err != nil {
		t.Fatalf("open %s: %v", b.name, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store {
				return b.openOn(t, b.newDB(t), gormstore.Options{})
			})
		})
	}
}

// TestConformanceShared runs two stores on one database: for Postgres the
// multi-instance deployment, for SQLite two handles on one file, which must
// also give exactly one winner per race and never surface SQLITE_BUSY.
func TestConformanceShared(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
				where := b.newDB(t)
				return b.openOn(t, where, gormstore.Options{}), b.openOn(t, where, gormstore.Options{})
			})
		})
	}
}

// TestConformanceNewSQLite runs the suite on New with a caller-owned SQLite
// *gorm.DB configured as New's documentation asks.
func TestConformanceNewSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		dsn := filepath.Join(t.TempDir(), "app.db") + "?_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate"
		db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{Logger: logger.Discard})
		if err != nil {
			t.Fatal(err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			t.Fatal(err)
		}
		sqlDB.SetMaxOpenConns(1)
		t.Cleanup(func() { _ = sqlDB.Close() })
		s, err := gormstore.New(db, gormstore.Options{TablePrefix: "app_"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// TestConformanceNewPostgresSimpleProtocol runs the suite on New with a
// caller-owned Postgres *gorm.DB in pgx's simple protocol, the setting for a
// connection pooler in transaction mode (pgbouncer): nothing the store runs
// may depend on server-side prepared statements.
func TestConformanceNewPostgresSimpleProtocol(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, err := gorm.Open(postgres.New(postgres.Config{DSN: pgtest.NewDatabase(t), PreferSimpleProtocol: true}),
			&gorm.Config{Logger: logger.Discard})
		if err != nil {
			t.Fatal(err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			t.Fatal(err)
		}
		// One connection, so pg_prepared_statements (per connection) sees
		// everything the store ran.
		sqlDB.SetMaxOpenConns(1)
		t.Cleanup(func() { _ = sqlDB.Close() })
		s, err := gormstore.New(db, gormstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		t.Cleanup(func() {
			// The suite's statements ran on this connection: none may
			// have left a server-side prepared statement behind.
			var n int64
			if err := sqlDB.QueryRow("SELECT count(*) FROM pg_prepared_statements").Scan(&n); err != nil {
				t.Errorf("counting prepared statements: %v", err)
			} else if n != 0 {
				t.Errorf("%d server-side prepared statements in simple-protocol mode, want 0", n)
			}
		})
		return s
	})
}

func TestPostgresVersion(t *testing.T) {
	t.Logf("Postgres: %s", pgtest.Version(t))
}

// TestNewLeavesDBOpen: Close on a store made by New must not close the
// caller's *gorm.DB; tables get the prefix.
func TestNewLeavesDBOpen(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			where := b.newDB(t)
			owner := b.openOn(t, where, gormstore.Options{CleanupInterval: -1})
			db := owner.DB()
			s, err := gormstore.New(db, gormstore.Options{TablePrefix: "other_", CleanupInterval: -1})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			sess := &store.Session{Handle: "h", UserID: "u", RefreshHash: []byte("r"), RotatedAt: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			if err := s.CreateSession(ctx, sess); err != nil {
				t.Fatal(err)
			}
			// Different prefix, different tables.
			if _, err := owner.GetSession(ctx, "h", now); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("store with the default prefix sees other_'s session: err = %v", err)
			}
			var n int64
			if err := db.Table("other_sessions").Count(&n).Error; err != nil || n != 1 {
				t.Fatalf("rows in other_sessions = %d, %v; want 1", n, err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); !errors.Is(err, store.ErrClosed) {
				t.Fatalf("second Close = %v, want ErrClosed", err)
			}
			if err := db.Exec("SELECT 1").Error; err != nil {
				t.Fatalf("caller's db after Close: %v", err)
			}
			if _, err := owner.GetSession(ctx, "nope", now); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("owner store after New's Close: err = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestInvalidOptionsAndPaths(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"", ":memory:", "file:x.db", filepath.Join(dir, "a.db?mode=memory"), filepath.Join(dir, "a#b")} {
		if s, err := sqlitestore.Open(p, gormstore.Options{}); err == nil {
			s.Close()
			t.Errorf("sqlitestore.Open(%q) succeeded, want an error", p)
		}
	}
	for _, prefix := range []string{"x; DROP TABLE y; --", "1abc", "a-b", strings.Repeat("a", 41)} {
		if s, err := sqlitestore.Open(filepath.Join(dir, "p.db"), gormstore.Options{TablePrefix: prefix}); err == nil {
			s.Close()
			t.Errorf("TablePrefix %q accepted, want an error", prefix)
		}
	}
}

func TestDuplicateMatchesErrDuplicatedKey(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.openOn(t, b.newDB(t), gormstore.Options{})
			ctx := context.Background()
			now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			sess := &store.Session{Handle: "h", UserID: "u", RefreshHash: []byte("r"), RotatedAt: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			if err := s.CreateSession(ctx, sess); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateSession(ctx, sess); !errors.Is(err, gorm.ErrDuplicatedKey) {
				t.Fatalf("duplicate CreateSession err = %v, want gorm.ErrDuplicatedKey", err)
			}
			k := &store.SigningKey{ID: "k", Algorithm: "ES256", CreatedAt: now, SignFrom: now, ExpiresAt: now.Add(time.Hour)}
			if err := s.AddSigningKey(ctx, k); err != nil {
				t.Fatal(err)
			}
			if err := s.AddSigningKey(ctx, k); !errors.Is(err, gorm.ErrDuplicatedKey) {
				t.Fatalf("duplicate AddSigningKey err = %v, want gorm.ErrDuplicatedKey", err)
			}
		})
	}
}

// everyMethod calls each Store method (except Close) once on a session that
// exists, and returns the errors by method name.
func everyMethod(s store.Store, now time.Time) map[string]error {
	ctx := context.Background()
	errs := map[string]error{}
	errs["CreateSession"] = s.CreateSession(ctx, &store.Session{Handle: "new", UserID: "u", RefreshHash: []byte("r"), RotatedAt: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	_, errs["CreateSessionLimited"] = s.CreateSessionLimited(ctx, &store.Session{Handle: "new2", UserID: "u", RefreshHash: []byte("r"), RotatedAt: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		now, store.SessionLimit{Max: 1, EvictOldest: true})
	_, errs["GetSession"] = s.GetSession(ctx, "h", now)
	_, errs["RotateSession"] = s.RotateSession(ctx, "h", []byte("r"), store.Rotation{NewRefreshHash: []byte("r2"), RotatedAt: now, ExpiresAt: now.Add(time.Hour)})
	errs["UpdateSession"] = s.UpdateSession(ctx, "h", now, func(*store.Session) error { return nil })
	_, errs["DeleteSession"] = s.DeleteSession(ctx, "h")
	_, errs["DeleteUserSessions"] = s.DeleteUserSessions(ctx, "u")
	_, errs["ListUserSessions"] = s.ListUserSessions(ctx, "u", now)
	errs["AddSigningKey"] = s.AddSigningKey(ctx, &store.SigningKey{ID: "k2", Algorithm: "ES256", CreatedAt: now, SignFrom: now, ExpiresAt: now.Add(time.Hour)})
	_, errs["SigningKeys"] = s.SigningKeys(ctx, now)
	_, errs["EnsureSecret"] = s.EnsureSecret(ctx, "s", []byte("v"))
	errs["AddRevocations"] = s.AddRevocations(ctx, []store.Revocation{{Handle: "h", RevokedAt: now, ExpiresAt: now.Add(time.Hour)}})
	_, errs["RevocationsSince"] = s.RevocationsSince(ctx, now.Add(-time.Hour), now)
	_, errs["DeleteExpired"] = s.DeleteExpired(ctx, now)
	return errs
}

// TestDatabaseFailureIsNotNotFound: when the database stops working, every
// method fails with an error that is not ErrNotFound, ErrConflict or
// ErrClosed, so callers answer 5xx rather than "no session".
func TestDatabaseFailureIsNotNotFound(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	seed := func(t *testing.T, s store.Store) {
		t.Helper()
		sess := &store.Session{Handle: "h", UserID: "u", RefreshHash: []byte("r"), RotatedAt: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := s.CreateSession(context.Background(), sess); err != nil {
			t.Fatal(err)
		}
	}
	check := func(t *testing.T, errs map[string]error, only map[string]bool) {
		t.Helper()
		for name, err := range errs {
			if only != nil && !only[name] {
				continue
			}
			switch {
			case err == nil:
				t.Errorf("%s succeeded on a broken database", name)
			case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrClosed):
				t.Errorf("%s error = %v; a database failure must not read as not-found/conflict/closed", name, err)
			case !strings.HasPrefix(err.Error(), "store: "):
				t.Errorf("%s error %q is not wrapped by the store", name, err)
			}
		}
	}
	for _, b := range backends {
		t.Run(b.name+"/HandlesClosed", func(t *testing.T) {
			s := b.openOn(t, b.newDB(t), gormstore.Options{CleanupInterval: -1})
			seed(t, s)
			CloseHandlesForTest(s)
			check(t, everyMethod(s, now), nil)
		})
		t.Run(b.name+"/TablesDropped", func(t *testing.T) {
			where := b.newDB(t)
			s := b.openOn(t, where, gormstore.Options{CleanupInterval: -1})
			seed(t, s)
			// Another instance (an operator, a bad migration) drops the tables.
			other := b.openOn(t, where, gormstore.Options{CleanupInterval: -1})
			for _, table := range []string{"ginsession_sessions", "ginsession_signing_keys", "ginsession_secrets", "ginsession_revocations"} {
				if err := other.DB().Exec("DROP TABLE " + table).Error; err != nil {
					t.Fatal(err)
				}
			}
			check(t, everyMethod(s, now), nil)
		})
	}
}

// loopGoroutines counts cleanup-loop goroutines: the only goroutines newStore
// creates. (A goroutine that has not started yet shows a wrapper function,
// not cleanupLoop, so match the creator.)
func loopGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "created by github.com/ginsession/ginsession/store/gormstore.newStore ")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// TestCleanupLoop: with a short interval and an injected clock, expired rows
// disappear without DeleteExpired being called, live rows stay, and Close
// stops the loop goroutine.
func TestCleanupLoop(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			where := b.newDB(t)
			base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			var clock atomic.Int64 // unix nanos
			clock.Store(base.UnixNano())
			var ticks atomic.Int64
			loopsBefore := loopGoroutines()
			goroutinesBefore := runtime.NumGoroutine()
			s, err := b.open(where, gormstore.Options{
				CleanupInterval: 2 * time.Millisecond,
				Now: func() time.Time {
					ticks.Add(1)
					return time.Unix(0, clock.Load())
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			closed := false
			defer func() {
				if !closed {
					s.Close()
				}
			}()
			if got := loopGoroutines(); got != loopsBefore+1 {
				t.Fatalf("cleanup loop goroutines = %d, want %d", got, loopsBefore+1)
			}
			ctx := context.Background()
			for _, c := range []struct {
				handle string
				exp    time.Duration
			}{{"soon", time.Minute}, {"later", time.Hour}} {
				sess := &store.Session{Handle: c.handle, UserID: "u", RefreshHash: []byte("r"), RotatedAt: base, CreatedAt: base, ExpiresAt: base.Add(c.exp)}
				if err := s.CreateSession(ctx, sess); err != nil {
					t.Fatal(err)
				}
			}
			handles := func() []string {
				t.Helper()
				list, err := s.ListUserSessions(ctx, "u", base.Add(-time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				var hs []string
				for _, l := range list {
					hs = append(hs, l.Handle)
				}
				return hs
			}
			waitFor := func(what string, cond func() bool) {
				t.Helper()
				deadline := time.Now().Add(20 * time.Second)
				for !cond() {
					if time.Now().After(deadline) {
						t.Fatalf("timed out waiting for %s", what)
					}
					time.Sleep(2 * time.Millisecond)
				}
			}
			// Several sweeps at the injected "now" remove nothing.
			start := ticks.Load()
			waitFor("three sweeps", func() bool { return ticks.Load() >= start+3 })
			if hs := handles(); len(hs) != 2 {
				t.Fatalf("before expiry: sessions %q, want both", hs)
			}
			clock.Store(base.Add(30 * time.Minute).UnixNano())
			waitFor("the expired session to be removed", func() bool { return len(handles()) == 1 })
			if hs := handles(); hs[0] != "later" {
				t.Fatalf("after sweep: sessions %q, want [later]", hs)
			}

			closed = true
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			after := ticks.Load()
			// Close has waited for the loop to finish; the goroutine may
			// still be returning from its deferred calls.
			waitFor("the cleanup loop goroutine to exit", func() bool { return loopGoroutines() == loopsBefore })
			waitFor("goroutines to wind down", func() bool { return runtime.NumGoroutine() <= goroutinesBefore })
			if n := ticks.Load(); n != after {
				t.Fatalf("clock read %d times after Close", n-after)
			}
		})
	}
}

func TestCleanupLoopDisabled(t *testing.T) {
	before := loopGoroutines()
	s, err := sqlitestore.Open(filepath.Join(t.TempDir(), "s.db"), gormstore.Options{CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := loopGoroutines(); got != before {
		t.Fatalf("CleanupInterval<0 started a cleanup loop (%d -> %d goroutines)", before, got)
	}
}

// TestTimeOrderAcrossZones: instants written from different time
// zones compare in time order inside the database (on SQLite, as text).
func TestTimeOrderAcrossZones(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.openOn(t, b.newDB(t), gormstore.Options{CleanupInterval: -1})
			ctx := context.Background()
			utc := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
			east := time.FixedZone("east", 14*3600)
			west := time.FixedZone("west", -12*3600)
			// Same instant in three zones, plus or minus a microsecond or a
			// whole-second boundary.
			exps := map[string]time.Time{
				"a": utc.In(east).Add(time.Microsecond),
				"b": utc.In(west).Add(-time.Microsecond),
				"c": utc.In(east).Add(500 * time.Millisecond),
				"d": utc.In(west),
			}
			for h, exp := range exps {
				sess := &store.Session{Handle: h, UserID: "u", RefreshHash: []byte("r"), RotatedAt: utc, CreatedAt: exp, ExpiresAt: exp}
				if err := s.CreateSession(ctx, sess); err != nil {
					t.Fatal(err)
				}
			}
			list, err := s.ListUserSessions(ctx, "u", utc.In(west))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range list {
				got = append(got, l.Handle)
				if !l.ExpiresAt.Equal(exps[l.Handle]) {
					t.Errorf("%s ExpiresAt = %v, want %v", l.Handle, l.ExpiresAt, exps[l.Handle])
				}
			}
			if want := "a c"; strings.Join(got, " ") != want {
				t.Fatalf("unexpired at 12:00Z, oldest first = %q, want %q", got, want)
			}
		})
	}
}

// TestBinaryColumnsRaw guards the column types: binary values
// come back identical through a raw query too (no text conversion).
func TestBinaryColumnsRaw(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.openOn(t, b.newDB(t), gormstore.Options{CleanupInterval: -1})
			val := []byte{0, 1, 2, 0xff, 0xfe, 0, '\'', '"', '\\'}
			got, err := s.EnsureSecret(context.Background(), "bin", val)
			if err != nil {
				t.Fatal(err)
			}
			var raw []byte
			if err := s.DB().Raw("SELECT value FROM ginsession_secrets WHERE name = ?", "bin").Row().Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, val) || !bytes.Equal(raw, val) {
				t.Fatalf("secret = %q, raw column = %q, want %q", got, raw, val)
			}
		})
	}
}

// A signing-key table made by a version without the follows column (and its
// rows) is migrated: the column and its unique index are added, the old rows
// read with an empty Follows and guard nothing, and the guard holds.
func TestMigrateAddsFollows(t *testing.T) {
	for _, b := range backends {
		if b.name == "MariaDB" {
			continue // its tables had follows from the first version: nothing to migrate
		}
		t.Run(b.name, func(t *testing.T) {
			where := b.newDB(t)
			old := b.openOn(t, where, gormstore.Options{CleanupInterval: -1})
			db := old.DB()
			now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			for _, stmt := range []string{
				"DROP INDEX ginsession_signing_keys_follows_idx",
				"ALTER TABLE ginsession_signing_keys DROP COLUMN follows",
			} {
				if err := db.Exec(stmt).Error; err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			for _, id := range []string{"old1", "old2"} {
				if err := db.Exec("INSERT INTO ginsession_signing_keys (id, algorithm, created_at, sign_from, expires_at) VALUES (?, 'ES256', ?, ?, ?)",
					id, now, now, now.Add(time.Hour)).Error; err != nil {
					t.Fatal(err)
				}
			}
			s := b.openOn(t, where, gormstore.Options{CleanupInterval: -1})
			b.openOn(t, where, gormstore.Options{CleanupInterval: -1}) // a second migration finds the column
			ctx := context.Background()
			keys, err := s.SigningKeys(ctx, now)
			if err != nil || len(keys) != 2 || keys[0].Follows != "" || keys[1].Follows != "" {
				t.Fatalf("old keys after the migration: %+v, %v", keys, err)
			}
			for i, want := range []error{nil, store.ErrConflict} {
				k := &store.SigningKey{ID: fmt.Sprintf("new%d", i), Algorithm: "ES256", CreatedAt: now, SignFrom: now, ExpiresAt: now.Add(time.Hour), Follows: "old2"}
				if err := s.AddSigningKey(ctx, k); !errors.Is(err, want) {
					t.Fatalf("key %d following old2: err = %v, want %v", i, err, want)
				}
			}
		})
	}
}

// oldSessionTables are the sessions tables as versions before the session
// metadata created them (migrate.go at b3d3a6a).
var oldSessionTables = map[string]string{
	"SQLite": `CREATE TABLE ginsession_sessions (
				handle            TEXT     NOT NULL PRIMARY KEY,
				user_id           TEXT     NOT NULL,
				refresh_hash      BLOB     NOT NULL,
				prev_refresh_hash BLOB,
				generation        INTEGER  NOT NULL DEFAULT 0,
				rotated_at        DATETIME NOT NULL,
				expires_at        DATETIME NOT NULL,
				created_at        DATETIME NOT NULL,
				payload           BLOB,
				data              BLOB)`,
	"Postgres": `CREATE TABLE ginsession_sessions (
				handle            text        NOT NULL PRIMARY KEY,
				user_id           text        NOT NULL,
				refresh_hash      bytea       NOT NULL,
				prev_refresh_hash bytea,
				generation        bigint      NOT NULL DEFAULT 0,
				rotated_at        timestamptz NOT NULL,
				expires_at        timestamptz NOT NULL,
				created_at        timestamptz NOT NULL,
				payload           bytea,
				data              bytea)`,
	"MariaDB": `CREATE TABLE ginsession_sessions (
			handle            VARBINARY(255) NOT NULL PRIMARY KEY,
			user_id           BLOB           NOT NULL,
			refresh_hash      VARBINARY(255) NOT NULL,
			prev_refresh_hash VARBINARY(255),
			generation        BIGINT         NOT NULL DEFAULT 0,
			rotated_at        DATETIME(6)    NOT NULL,
			expires_at        DATETIME(6)    NOT NULL,
			created_at        DATETIME(6)    NOT NULL,
			payload           LONGBLOB,
			data              LONGBLOB,
			INDEX sessions_user_id_idx (user_id(255)),
			INDEX sessions_expires_at_idx (expires_at)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
}

// A sessions table created by a version without the metadata columns, with
// a row in it, is migrated when a store opens it: the row reads with empty
// metadata, can be rotated (which fills the refreshed columns) and capped,
// new rows keep theirs, and opening again finds the columns in place.
func TestMigrateAddsSessionMetadata(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			where := b.newDB(t)
			// The old table and its row, written with the plain driver
			// handle of a store on other tables.
			scratch := b.openOn(t, where, gormstore.Options{CleanupInterval: -1, TablePrefix: "scratch_"})
			db := scratch.DB()
			now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			if err := db.Exec(oldSessionTables[b.name]).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Exec("INSERT INTO ginsession_sessions (handle, user_id, refresh_hash, generation, rotated_at, expires_at, created_at, payload, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
				"old", "u", []byte("r"), 2, now, now.Add(time.Hour), now.Add(-time.Hour), []byte(`{"p":1}`), []byte(`{"d":1}`)).Error; err != nil {
				t.Fatal(err)
			}
			s := b.openOn(t, where, gormstore.Options{CleanupInterval: -1})
			b.openOn(t, where, gormstore.Options{CleanupInterval: -1}) // a second migration finds the columns
			ctx := context.Background()
			want := store.Session{Handle: "old", UserID: "u", RefreshHash: []byte("r"), Generation: 2, RotatedAt: now,
				ExpiresAt: now.Add(time.Hour), CreatedAt: now.Add(-time.Hour), Payload: []byte(`{"p":1}`), Data: []byte(`{"d":1}`)}
			got, err := s.GetSession(ctx, "old", now)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, want) {
				t.Fatalf("old row after the migration:\n got %+v\nwant %+v", *got, want)
			}
			list, err := s.ListUserSessions(ctx, "u", now)
			if err != nil || len(list) != 1 || !reflect.DeepEqual(list[0], want) {
				t.Fatalf("ListUserSessions after the migration: %+v, %v", list, err)
			}
			rotated, err := s.RotateSession(ctx, "old", []byte("r"), store.Rotation{NewRefreshHash: []byte("r2"), RotatedAt: now, ExpiresAt: now.Add(2 * time.Hour), UserAgent: "ua", IP: "ip"})
			if err != nil || rotated.RefreshedUserAgent != "ua" || rotated.RefreshedIP != "ip" || rotated.DeviceLabel != "" || rotated.CreatedUserAgent != "" || rotated.BrowserSessionOnly {
				t.Fatalf("rotating the old row: %+v, %v", rotated, err)
			}
			if got, err := s.GetSession(ctx, "old", now); err != nil || got.RefreshedUserAgent != "ua" || got.RefreshedIP != "ip" || got.CreatedIP != "" {
				t.Fatalf("old row after a rotation: %+v, %v", got, err)
			}
			fresh := &store.Session{Handle: "new", UserID: "u", RefreshHash: []byte("r"), RotatedAt: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour),
				DeviceLabel: "l", CreatedUserAgent: "ua", CreatedIP: "ip", BrowserSessionOnly: true}
			if ev, err := s.CreateSessionLimited(ctx, fresh, now, store.SessionLimit{Max: 1, EvictOldest: true}); err != nil || !slices.Equal(ev, []string{"old"}) {
				t.Fatalf("CreateSessionLimited on the migrated table: evicted %q, %v; want [old]", ev, err)
			}
			if got, err := s.GetSession(ctx, "new", now); err != nil || got.DeviceLabel != "l" || got.CreatedUserAgent != "ua" || got.CreatedIP != "ip" || !got.BrowserSessionOnly {
				t.Fatalf("new row on the migrated table: %+v, %v", got, err)
			}
		})
	}
}
