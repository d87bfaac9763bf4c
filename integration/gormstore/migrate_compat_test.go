package gormstore_test

// The schema gormstore's migration creates, against the one earlier versions
// created with hand-written DDL: a database made by either opens with the
// other and keeps working (a rolling deploy runs both on one database).

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
)

// earlierSchema is the DDL the migration ran before it created the tables
// through GORM's Migrator (migrate.go, cleanup.go, revocations.go and
// limit.go at 4bf72dd), with the default TablePrefix: every statement is
// idempotent, as an instance of that version ran them at every start.
var earlierSchema = map[string][]string{
	"SQLite": {
		`CREATE TABLE IF NOT EXISTS ginsession_sessions (
				handle            TEXT     NOT NULL PRIMARY KEY,
				user_id           TEXT     NOT NULL,
				refresh_hash      BLOB     NOT NULL,
				prev_refresh_hash BLOB,
				generation        INTEGER  NOT NULL DEFAULT 0,
				rotated_at        DATETIME NOT NULL,
				expires_at        DATETIME NOT NULL,
				created_at        DATETIME NOT NULL,
				payload           BLOB,
				data              BLOB,
				device_label TEXT NOT NULL DEFAULT '',
				created_user_agent TEXT NOT NULL DEFAULT '',
				created_ip TEXT NOT NULL DEFAULT '',
				refreshed_user_agent TEXT NOT NULL DEFAULT '',
				refreshed_ip TEXT NOT NULL DEFAULT '',
				browser_session_only INTEGER NOT NULL DEFAULT 0)`,
		`CREATE INDEX IF NOT EXISTS ginsession_sessions_user_id_idx ON ginsession_sessions (user_id)`,
		`CREATE INDEX IF NOT EXISTS ginsession_sessions_expires_at_idx ON ginsession_sessions (expires_at)`,
		`CREATE TABLE IF NOT EXISTS ginsession_signing_keys (
				id          TEXT     NOT NULL PRIMARY KEY,
				algorithm   TEXT     NOT NULL,
				private_key BLOB,
				public_key  BLOB,
				created_at  DATETIME NOT NULL,
				sign_from   DATETIME NOT NULL,
				expires_at  DATETIME NOT NULL,
				follows     TEXT)`,
		`CREATE INDEX IF NOT EXISTS ginsession_signing_keys_expires_at_idx ON ginsession_signing_keys (expires_at)`,
		`CREATE TABLE IF NOT EXISTS ginsession_secrets (
				name  TEXT NOT NULL PRIMARY KEY,
				value BLOB NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS ginsession_revocations (
			handle     text NOT NULL PRIMARY KEY,
			revoked_at DATETIME NOT NULL,
			expires_at DATETIME NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS ginsession_revocations_revoked_at_idx ON ginsession_revocations (revoked_at)`,
		`CREATE INDEX IF NOT EXISTS ginsession_revocations_expires_at_idx ON ginsession_revocations (expires_at)`,
		`CREATE TABLE IF NOT EXISTS ginsession_leases (
			name       text NOT NULL PRIMARY KEY,
			holder     text NOT NULL,
			expires_at DATETIME NOT NULL)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS ginsession_signing_keys_follows_idx ON ginsession_signing_keys (follows)`,
	},
	"Postgres": {
		`CREATE TABLE IF NOT EXISTS ginsession_sessions (
				handle            text        NOT NULL PRIMARY KEY,
				user_id           text        NOT NULL,
				refresh_hash      bytea       NOT NULL,
				prev_refresh_hash bytea,
				generation        bigint      NOT NULL DEFAULT 0,
				rotated_at        timestamptz NOT NULL,
				expires_at        timestamptz NOT NULL,
				created_at        timestamptz NOT NULL,
				payload           bytea,
				data              bytea,
				device_label text NOT NULL DEFAULT '',
				created_user_agent text NOT NULL DEFAULT '',
				created_ip text NOT NULL DEFAULT '',
				refreshed_user_agent text NOT NULL DEFAULT '',
				refreshed_ip text NOT NULL DEFAULT '',
				browser_session_only boolean NOT NULL DEFAULT false)`,
		`CREATE INDEX IF NOT EXISTS ginsession_sessions_user_id_idx ON ginsession_sessions USING hash (user_id)`,
		`CREATE INDEX IF NOT EXISTS ginsession_sessions_expires_at_idx ON ginsession_sessions (expires_at)`,
		`CREATE TABLE IF NOT EXISTS ginsession_signing_keys (
				id          text        NOT NULL PRIMARY KEY,
				algorithm   text        NOT NULL,
				private_key bytea,
				public_key  bytea,
				created_at  timestamptz NOT NULL,
				sign_from   timestamptz NOT NULL,
				expires_at  timestamptz NOT NULL,
				follows     text)`,
		`CREATE INDEX IF NOT EXISTS ginsession_signing_keys_expires_at_idx ON ginsession_signing_keys (expires_at)`,
		`CREATE TABLE IF NOT EXISTS ginsession_secrets (
				name  text  NOT NULL PRIMARY KEY,
				value bytea NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS ginsession_revocations (
			handle     text NOT NULL PRIMARY KEY,
			revoked_at timestamptz NOT NULL,
			expires_at timestamptz NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS ginsession_revocations_revoked_at_idx ON ginsession_revocations (revoked_at)`,
		`CREATE INDEX IF NOT EXISTS ginsession_revocations_expires_at_idx ON ginsession_revocations (expires_at)`,
		`CREATE TABLE IF NOT EXISTS ginsession_leases (
			name       text NOT NULL PRIMARY KEY,
			holder     text NOT NULL,
			expires_at timestamptz NOT NULL)`,
		`ALTER TABLE ginsession_signing_keys ADD COLUMN IF NOT EXISTS follows text`,
		`CREATE UNIQUE INDEX IF NOT EXISTS ginsession_signing_keys_follows_idx ON ginsession_signing_keys (follows)`,
	},
	"MariaDB": {
		`CREATE TABLE IF NOT EXISTS ginsession_sessions (
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
				device_label VARBINARY(255) NOT NULL DEFAULT '',
				created_user_agent VARBINARY(512) NOT NULL DEFAULT '',
				created_ip VARBINARY(64) NOT NULL DEFAULT '',
				refreshed_user_agent VARBINARY(512) NOT NULL DEFAULT '',
				refreshed_ip VARBINARY(64) NOT NULL DEFAULT '',
				browser_session_only BOOLEAN NOT NULL DEFAULT 0,
			INDEX sessions_user_id_idx (user_id(255)),
			INDEX sessions_expires_at_idx (expires_at)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
		`CREATE TABLE IF NOT EXISTS ginsession_signing_keys (
			id          VARBINARY(255) NOT NULL PRIMARY KEY,
			algorithm   VARBINARY(255) NOT NULL,
			private_key BLOB,
			public_key  BLOB,
			created_at  DATETIME(6)    NOT NULL,
			sign_from   DATETIME(6)    NOT NULL,
			expires_at  DATETIME(6)    NOT NULL,
			follows     VARBINARY(255),
			INDEX signing_keys_expires_at_idx (expires_at),
			UNIQUE INDEX signing_keys_follows_idx (follows)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
		`CREATE TABLE IF NOT EXISTS ginsession_secrets (
			name  VARBINARY(255) NOT NULL PRIMARY KEY,
			value BLOB           NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
		`CREATE TABLE IF NOT EXISTS ginsession_revocations (
			handle     VARBINARY(255) NOT NULL PRIMARY KEY,
			revoked_at DATETIME(6)    NOT NULL,
			expires_at DATETIME(6)    NOT NULL,
			INDEX revocations_revoked_at_idx (revoked_at),
			INDEX revocations_expires_at_idx (expires_at)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
		`CREATE TABLE IF NOT EXISTS ginsession_leases (
			name       VARBINARY(255) NOT NULL PRIMARY KEY,
			holder     VARBINARY(255) NOT NULL,
			expires_at DATETIME(6)    NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
		`CREATE TABLE IF NOT EXISTS ginsession_user_locks (
			user_key BINARY(32) NOT NULL PRIMARY KEY) ENGINE=InnoDB`,
	},
}

var storeTables = []string{"ginsession_sessions", "ginsession_signing_keys", "ginsession_secrets", "ginsession_revocations", "ginsession_leases"}

// describeSchema is what a database says of the store's tables: per table
// its columns (name, type, nullability, default, primary key) and indexes
// (name, columns, uniqueness), sorted. SQLite's come from its pragmas (GORM
// reads them by parsing the CREATE TABLE text, and misreads the
// constraints of the earlier, lower-case DDL); the others' from GORM's
// Migrator, which reads the catalog.
func describeSchema(t *testing.T, db *gorm.DB) []string {
	t.Helper()
	if db.Dialector.Name() == "sqlite" {
		return describeSQLite(t, db)
	}
	var out []string
	m := db.Migrator()
	for _, table := range storeTables {
		cols, err := m.ColumnTypes(table)
		if err != nil || len(cols) == 0 {
			t.Fatalf("columns of %s: %d, %v", table, len(cols), err)
		}
		for _, c := range cols {
			nullable, _ := c.Nullable()
			def, _ := c.DefaultValue()
			pk, _ := c.PrimaryKey()
			out = append(out, fmt.Sprintf("%s column %s %s null=%v default=%q pk=%v",
				table, c.Name(), strings.ToLower(c.DatabaseTypeName()), nullable, def, pk))
		}
		idx, err := m.GetIndexes(table)
		if err != nil {
			t.Fatalf("indexes of %s: %v", table, err)
		}
		for _, i := range idx {
			if pk, _ := i.PrimaryKey(); pk {
				continue // named by the database; the columns say it
			}
			unique, _ := i.Unique()
			out = append(out, fmt.Sprintf("%s index %s %v unique=%v", table, i.Name(), i.Columns(), unique))
		}
	}
	slices.Sort(out)
	return out
}

func describeSQLite(t *testing.T, db *gorm.DB) []string {
	t.Helper()
	var out []string
	for _, table := range storeTables {
		var cols []struct {
			Name, Type string
			NotNull    bool    `gorm:"column:notnull"`
			Default    *string `gorm:"column:dflt_value"`
			PK         int     `gorm:"column:pk"`
		}
		if err := db.Raw("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?)", table).Scan(&cols).Error; err != nil || len(cols) == 0 {
			t.Fatalf("columns of %s: %d, %v", table, len(cols), err)
		}
		for _, c := range cols {
			def := "<none>"
			if c.Default != nil {
				def = *c.Default
			}
			out = append(out, fmt.Sprintf("%s column %s %s notnull=%v default=%s pk=%v", table, c.Name, strings.ToLower(c.Type), c.NotNull, def, c.PK))
		}
		var idx []struct {
			Name   string
			Unique bool   `gorm:"column:unique"`
			Origin string `gorm:"column:origin"`
		}
		if err := db.Raw("SELECT name, \"unique\", origin FROM pragma_index_list(?)", table).Scan(&idx).Error; err != nil {
			t.Fatalf("indexes of %s: %v", table, err)
		}
		for _, i := range idx {
			if i.Origin == "pk" {
				continue // sqlite_autoindex_…: the columns say it
			}
			var cols []string
			if err := db.Raw("SELECT name FROM pragma_index_info(?) ORDER BY seqno", i.Name).Scan(&cols).Error; err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s index %s %v unique=%v", table, i.Name, cols, i.Unique))
		}
	}
	slices.Sort(out)
	return out
}

// TestMigrateFromEarlierSchema: a database whose tables the earlier
// hand-written DDL created (rows written by that version in them) opens with
// this version unchanged and works; a database this version created is the
// same schema, column for column and index for index, and the earlier
// version's migration runs on it without error.
func TestMigrateFromEarlierSchema(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

			// The earlier version's database, with a session, a key, a
			// secret and a revocation written as that version wrote them.
			earlier := b.newDB(t)
			db := b.openOn(t, earlier, gormstore.Options{CleanupInterval: -1, TablePrefix: "scratch_"}).DB()
			for _, stmt := range earlierSchema[b.name] {
				if err := db.Exec(stmt).Error; err != nil {
					t.Fatalf("earlier DDL: %v\n%s", err, stmt)
				}
			}
			for _, w := range []struct {
				q    string
				args []any
			}{
				{"INSERT INTO ginsession_sessions (handle, user_id, refresh_hash, prev_refresh_hash, generation, rotated_at, expires_at, created_at, payload, data, " +
					"device_label, created_user_agent, created_ip, refreshed_user_agent, refreshed_ip, browser_session_only) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
					[]any{"old", "u", []byte("r"), 0, now, now.Add(time.Hour), now, []byte(`{"p":1}`), []byte(`{}`), "laptop", "ua", "ip", "", "", true}},
				{"INSERT INTO ginsession_signing_keys (id, algorithm, private_key, public_key, created_at, sign_from, expires_at, follows) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
					[]any{"k1", "ES256", []byte("priv"), []byte("pub"), now, now, now.Add(time.Hour), "start"}},
				{"INSERT INTO ginsession_secrets (name, value) VALUES (?, ?)", []any{"s", []byte("v1")}},
				{"INSERT INTO ginsession_revocations (handle, revoked_at, expires_at) VALUES (?, ?, ?)", []any{"gone", now, now.Add(time.Hour)}},
			} {
				if err := db.Exec(w.q, w.args...).Error; err != nil {
					t.Fatalf("%s: %v", w.q, err)
				}
			}
			before := describeSchema(t, db)

			s := b.openOn(t, earlier, gormstore.Options{CleanupInterval: -1})
			if after := describeSchema(t, db); !slices.Equal(after, before) {
				t.Fatalf("opening the earlier database changed its schema:\nbefore %q\nafter  %q", before, after)
			}
			got, err := s.GetSession(ctx, "old", now)
			if err != nil || got.DeviceLabel != "laptop" || !got.BrowserSessionOnly || got.PrevRefreshHash != nil || !bytes.Equal(got.Payload, []byte(`{"p":1}`)) {
				t.Fatalf("the earlier version's session: %+v, %v", got, err)
			}
			if _, err := s.RotateSession(ctx, "old", []byte("r"), store.Rotation{NewRefreshHash: []byte("r2"), RotatedAt: now, ExpiresAt: now.Add(2 * time.Hour)}); err != nil {
				t.Fatalf("rotating it: %v", err)
			}
			if err := s.UpdateSession(ctx, "old", now, func(x *store.Session) error { x.Data = []byte(`{"d":2}`); return nil }); err != nil {
				t.Fatalf("updating it: %v", err)
			}
			if list, err := s.ListUserSessions(ctx, "u", now); err != nil || len(list) != 1 || list[0].Generation != 1 || string(list[0].Data) != `{"d":2}` {
				t.Fatalf("listing it: %+v, %v", list, err)
			}
			if v, err := s.EnsureSecret(ctx, "s", []byte("v2")); err != nil || string(v) != "v1" {
				t.Fatalf("the earlier version's secret: %q, %v", v, err)
			}
			k := &store.SigningKey{ID: "k2", Algorithm: "ES256", CreatedAt: now, SignFrom: now, ExpiresAt: now.Add(time.Hour), Follows: "start"}
			if err := s.AddSigningKey(ctx, k); err != store.ErrConflict {
				t.Fatalf("a key for the earlier version's turn: %v, want ErrConflict", err)
			}
			if keys, err := s.SigningKeys(ctx, now); err != nil || len(keys) != 1 || keys[0].Follows != "start" || string(keys[0].PrivateKey) != "priv" {
				t.Fatalf("the earlier version's key: %+v, %v", keys, err)
			}
			if err := s.AddRevocations(ctx, []store.Revocation{{Handle: "gone", RevokedAt: now.Add(time.Minute), ExpiresAt: now.Add(2 * time.Hour)}}); err != nil {
				t.Fatal(err)
			}
			if revs, err := s.RevocationsSince(ctx, now, now); err != nil || len(revs) != 1 || !revs[0].RevokedAt.Equal(now.Add(time.Minute)) {
				t.Fatalf("the earlier version's revocation, updated: %+v, %v", revs, err)
			}
			if n, err := s.DeleteExpired(ctx, now.Add(3*time.Hour)); err != nil || n != 3 {
				t.Fatalf("DeleteExpired: %d, %v; want the session, the key and the revocation", n, err)
			}
			if handles, err := s.DeleteUserSessions(ctx, "u"); err != nil || len(handles) != 0 {
				t.Fatalf("DeleteUserSessions: %q, %v", handles, err)
			}

			// This version's database: the same schema, and the earlier
			// version's migration (it ran its DDL at every start) accepts it.
			current := b.newDB(t)
			db2 := b.openOn(t, current, gormstore.Options{CleanupInterval: -1, TablePrefix: "scratch_"}).DB()
			b.openOn(t, current, gormstore.Options{CleanupInterval: -1})
			if got := describeSchema(t, db2); !reflect.DeepEqual(got, before) {
				t.Fatalf("this version's schema differs from the earlier one:\nthis    %q\nearlier %q", got, before)
			}
			for _, stmt := range earlierSchema[b.name] {
				if err := db2.Exec(stmt).Error; err != nil {
					t.Fatalf("earlier DDL on this version's database: %v\n%s", err, stmt)
				}
			}
		})
	}
}

// A TablePrefix with capitals names the same tables in the statements GORM
// quotes and in the hand-written ones, which Postgres folds to lower case:
// every kind of statement finds the rows the others wrote, and a second
// store opens the tables the first created.
func TestMixedCasePrefix(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			where := b.newDB(t)
			opts := gormstore.Options{CleanupInterval: -1, TablePrefix: "Mixed_Case_"}
			s := b.openOn(t, where, opts)
			b.openOn(t, where, opts)
			sess := &store.Session{Handle: "h", UserID: "u", RefreshHash: []byte("r"), RotatedAt: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			if err := s.CreateSession(ctx, sess); err != nil { // query builder
				t.Fatal(err)
			}
			if _, err := s.GetSession(ctx, "h", now); err != nil { // hand-written
				t.Fatal(err)
			}
			if _, err := s.RotateSession(ctx, "h", []byte("r"), store.Rotation{NewRefreshHash: []byte("r2"), RotatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if list, err := s.ListUserSessions(ctx, "u", now); err != nil || len(list) != 1 || list[0].Generation != 1 {
				t.Fatalf("ListUserSessions: %+v, %v", list, err)
			}
			if ev, err := s.CreateSessionLimited(ctx, &store.Session{Handle: "h2", UserID: "u", RefreshHash: []byte("r"), RotatedAt: now, CreatedAt: now.Add(time.Second), ExpiresAt: now.Add(time.Hour)},
				now, store.SessionLimit{Max: 1, EvictOldest: true}); err != nil || !slices.Equal(ev, []string{"h"}) {
				t.Fatalf("CreateSessionLimited: %q, %v", ev, err)
			}
			if n, err := s.DeleteExpired(ctx, now.Add(2*time.Hour)); err != nil || n != 1 {
				t.Fatalf("DeleteExpired: %d, %v", n, err)
			}
		})
	}
}
