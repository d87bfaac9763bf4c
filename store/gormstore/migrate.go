package gormstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// migrate creates the tables and indexes if they do not exist, under the
// dialect's migration lock (migrationLock) so instances starting together
// do not race.
func (s *GORMStore) migrate(ctx context.Context) error {
	t := s.tables
	var stmts []string
	switch s.dialect {
	case mysqlDialect:
		stmts = s.mysqlTables()
	case postgresDialect:
		stmts = []string{
			`CREATE TABLE IF NOT EXISTS ` + t.sessions + ` (
				handle            text        NOT NULL PRIMARY KEY,
				user_id           text        NOT NULL,
				refresh_hash      bytea       NOT NULL,
				prev_refresh_hash bytea,
				generation        bigint      NOT NULL DEFAULT 0,
				rotated_at        timestamptz NOT NULL,
				expires_at        timestamptz NOT NULL,
				created_at        timestamptz NOT NULL,
				payload           bytea,
				data              bytea,` + s.metadataColumnDefs() + `)`,
			// A hash index: lookups by user id are equality only, and a
			// btree would refuse user ids longer than about 2.7 KB.
			`CREATE INDEX IF NOT EXISTS ` + t.prefix + `sessions_user_id_idx ON ` + t.sessions + ` USING hash (user_id)`,
			`CREATE INDEX IF NOT EXISTS ` + t.prefix + `sessions_expires_at_idx ON ` + t.sessions + ` (expires_at)`,
			`CREATE TABLE IF NOT EXISTS ` + t.keys + ` (
				id          text        NOT NULL PRIMARY KEY,
				algorithm   text        NOT NULL,
				private_key bytea,
				public_key  bytea,
				created_at  timestamptz NOT NULL,
				sign_from   timestamptz NOT NULL,
				expires_at  timestamptz NOT NULL,
				follows     text)`,
			`CREATE INDEX IF NOT EXISTS ` + t.prefix + `signing_keys_expires_at_idx ON ` + t.keys + ` (expires_at)`,
			`CREATE TABLE IF NOT EXISTS ` + t.secrets + ` (
				name  text  NOT NULL PRIMARY KEY,
				value bytea NOT NULL)`,
		}
	default:
		// DATETIME makes the mattn driver parse the stored text back into
		// time.Time. Times are written in UTC in one format whose text order
		// is time order, so comparisons in SQL are correct.
		stmts = []string{
			`CREATE TABLE IF NOT EXISTS ` + t.sessions + ` (
				handle            TEXT     NOT NULL PRIMARY KEY,
				user_id           TEXT     NOT NULL,
				refresh_hash      BLOB     NOT NULL,
				prev_refresh_hash BLOB,
				generation        INTEGER  NOT NULL DEFAULT 0,
				rotated_at        DATETIME NOT NULL,
				expires_at        DATETIME NOT NULL,
				created_at        DATETIME NOT NULL,
				payload           BLOB,
				data              BLOB,` + s.metadataColumnDefs() + `)`,
			`CREATE INDEX IF NOT EXISTS ` + t.prefix + `sessions_user_id_idx ON ` + t.sessions + ` (user_id)`,
			`CREATE INDEX IF NOT EXISTS ` + t.prefix + `sessions_expires_at_idx ON ` + t.sessions + ` (expires_at)`,
			`CREATE TABLE IF NOT EXISTS ` + t.keys + ` (
				id          TEXT     NOT NULL PRIMARY KEY,
				algorithm   TEXT     NOT NULL,
				private_key BLOB,
				public_key  BLOB,
				created_at  DATETIME NOT NULL,
				sign_from   DATETIME NOT NULL,
				expires_at  DATETIME NOT NULL,
				follows     TEXT)`,
			`CREATE INDEX IF NOT EXISTS ` + t.prefix + `signing_keys_expires_at_idx ON ` + t.keys + ` (expires_at)`,
			`CREATE TABLE IF NOT EXISTS ` + t.secrets + ` (
				name  TEXT NOT NULL PRIMARY KEY,
				value BLOB NOT NULL)`,
		}
	}
	if s.dialect != mysqlDialect {
		stmts = append(stmts, s.revocationTable()...)
		stmts = append(stmts, s.leaseTable()...)
	}
	err := s.migrationLock(ctx, func(tx *gorm.DB) error {
		for _, stmt := range stmts {
			if err := tx.Exec(stmt).Error; err != nil {
				return err
			}
		}
		if err := s.addSessionMetadata(tx); err != nil {
			return err
		}
		if s.dialect == mysqlDialect {
			return nil // created with follows and its index from the start
		}
		return s.addFollows(tx)
	})
	if err != nil {
		return fmt.Errorf("store: create tables: %w", err)
	}
	return nil
}

// addFollows adds the follows column to a signing-key table created by a
// version without it (its rows get NULL, which guards nothing), and the
// unique index that makes AddSigningKey's guard hold across processes.
func (s *GORMStore) addFollows(tx *gorm.DB) error {
	t := s.tables
	if s.dialect == postgresDialect {
		if err := tx.Exec(`ALTER TABLE ` + t.keys + ` ADD COLUMN IF NOT EXISTS follows text`).Error; err != nil {
			return err
		}
	} else {
		var n int64
		if err := tx.Raw(`SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = 'follows'`, t.keys).Scan(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			if err := tx.Exec(`ALTER TABLE ` + t.keys + ` ADD COLUMN follows TEXT`).Error; err != nil {
				return err
			}
		}
	}
	return tx.Exec(`CREATE UNIQUE INDEX IF NOT EXISTS ` + t.prefix + `signing_keys_follows_idx ON ` + t.keys + ` (follows)`).Error
}

// mysqlTables returns the statements that create the tables on MariaDB,
// indexes included: CREATE INDEX IF NOT EXISTS is MariaDB's alone, an
// index declared in CREATE TABLE IF NOT EXISTS works on MySQL too.
//
// Text the store compares (handles, user ids, key ids) is kept as bytes
// (VARBINARY, BLOB), compared byte for byte: the default collations would
// make "Alice" equal "alice" and ignore trailing spaces, so one user's id
// could match another's. Handles, key ids, algorithms, follows and secret
// names are at most 255 bytes (the engine's are far shorter); user ids up
// to 64 KiB, indexed on their first 255 bytes. A longer value is refused
// with an error (strict mode), never cut.
//
// Index names carry no TablePrefix: on MariaDB they belong to their table
// (unlike Postgres, where they share the schema with the tables), and a
// 40-byte prefix before "signing_keys_expires_at_idx" would exceed the
// 64-character limit on identifiers. Tables created with prefixed names
// keep them: CREATE TABLE IF NOT EXISTS leaves an existing table alone.
func (s *GORMStore) mysqlTables() []string {
	t := s.tables
	const opts = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + t.sessions + ` (
			handle            VARBINARY(255) NOT NULL PRIMARY KEY,
			user_id           BLOB           NOT NULL,
			refresh_hash      VARBINARY(255) NOT NULL,
			prev_refresh_hash VARBINARY(255),
			generation        BIGINT         NOT NULL DEFAULT 0,
			rotated_at        DATETIME(6)    NOT NULL,
			expires_at        DATETIME(6)    NOT NULL,
			created_at        DATETIME(6)    NOT NULL,
			payload           LONGBLOB,
			data              LONGBLOB,` + s.metadataColumnDefs() + `,
			INDEX sessions_user_id_idx (user_id(255)),
			INDEX sessions_expires_at_idx (expires_at))` + opts,
		`CREATE TABLE IF NOT EXISTS ` + t.keys + ` (
			id          VARBINARY(255) NOT NULL PRIMARY KEY,
			algorithm   VARBINARY(255) NOT NULL,
			private_key BLOB,
			public_key  BLOB,
			created_at  DATETIME(6)    NOT NULL,
			sign_from   DATETIME(6)    NOT NULL,
			expires_at  DATETIME(6)    NOT NULL,
			follows     VARBINARY(255),
			INDEX signing_keys_expires_at_idx (expires_at),
			UNIQUE INDEX signing_keys_follows_idx (follows))` + opts,
		`CREATE TABLE IF NOT EXISTS ` + t.secrets + ` (
			name  VARBINARY(255) NOT NULL PRIMARY KEY,
			value BLOB           NOT NULL)` + opts,
		`CREATE TABLE IF NOT EXISTS ` + t.revocations + ` (
			handle     VARBINARY(255) NOT NULL PRIMARY KEY,
			revoked_at DATETIME(6)    NOT NULL,
			expires_at DATETIME(6)    NOT NULL,
			INDEX revocations_revoked_at_idx (revoked_at),
			INDEX revocations_expires_at_idx (expires_at))` + opts,
		`CREATE TABLE IF NOT EXISTS ` + t.leases + ` (
			name       VARBINARY(255) NOT NULL PRIMARY KEY,
			holder     VARBINARY(255) NOT NULL,
			expires_at DATETIME(6)    NOT NULL)` + opts,
		s.userLocksTable(),
	}
}

// metadataColumns are the session metadata columns (store.Session's
// DeviceLabel to BrowserSessionOnly), added to the sessions table after its
// first version: with defaults, so rows written before read as "" and
// false. On MariaDB the texts are bytes like the other columns, sized to
// the bounds store.Session documents (strict mode refuses longer values).
var metadataColumns = []struct{ name, postgres, sqlite, mysql string }{
	{"device_label", "text NOT NULL DEFAULT ''", "TEXT NOT NULL DEFAULT ''", "VARBINARY(255) NOT NULL DEFAULT ''"},
	{"created_user_agent", "text NOT NULL DEFAULT ''", "TEXT NOT NULL DEFAULT ''", "VARBINARY(512) NOT NULL DEFAULT ''"},
	{"created_ip", "text NOT NULL DEFAULT ''", "TEXT NOT NULL DEFAULT ''", "VARBINARY(64) NOT NULL DEFAULT ''"},
	{"refreshed_user_agent", "text NOT NULL DEFAULT ''", "TEXT NOT NULL DEFAULT ''", "VARBINARY(512) NOT NULL DEFAULT ''"},
	{"refreshed_ip", "text NOT NULL DEFAULT ''", "TEXT NOT NULL DEFAULT ''", "VARBINARY(64) NOT NULL DEFAULT ''"},
	{"browser_session_only", "boolean NOT NULL DEFAULT false", "INTEGER NOT NULL DEFAULT 0", "BOOLEAN NOT NULL DEFAULT 0"},
}

// metadataColumnType is the type of metadataColumns[i] in the store's
// dialect.
func (s *GORMStore) metadataColumnType(i int) string {
	c := metadataColumns[i]
	switch s.dialect {
	case postgresDialect:
		return c.postgres
	case mysqlDialect:
		return c.mysql
	}
	return c.sqlite
}

// metadataColumnDefs is the metadata columns' part of CREATE TABLE.
func (s *GORMStore) metadataColumnDefs() string {
	var b strings.Builder
	for i, c := range metadataColumns {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n\t\t\t\t" + c.name + " " + s.metadataColumnType(i))
	}
	return b.String()
}

// addSessionMetadata adds the metadata columns a sessions table created by
// an earlier version lacks. It reads the table's columns first and alters
// it only when one is missing: ALTER TABLE locks the table exclusively
// (on Postgres even when IF NOT EXISTS then finds every column), and every
// instance migrates at start, while others serve requests from the table.
// It runs under the migration lock, so instances do not add a column
// twice; on Postgres ADD COLUMN IF NOT EXISTS also makes that harmless. On
// MariaDB the columns are found in information_schema and added without
// IF NOT EXISTS, which MySQL 8 does not know.
func (s *GORMStore) addSessionMetadata(tx *gorm.DB) error {
	t := s.tables.sessions
	var q string
	switch s.dialect {
	case postgresDialect:
		// to_regclass resolves the name as the statements do (search_path,
		// case folding).
		q = "SELECT CAST(attname AS text) FROM pg_attribute WHERE attrelid = to_regclass(?) AND attnum > 0 AND NOT attisdropped"
	case mysqlDialect:
		q = "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?"
	default:
		q = "SELECT name FROM pragma_table_info(?)"
	}
	var have []string
	if err := tx.Raw(q, t).Scan(&have).Error; err != nil {
		return err
	}
	if len(have) == 0 {
		return fmt.Errorf("reading the columns of %s: none found", t)
	}
	var add []string
	for i, c := range metadataColumns {
		if slices.Contains(have, c.name) {
			continue
		}
		clause := "ADD COLUMN "
		if s.dialect == postgresDialect {
			clause += "IF NOT EXISTS "
		}
		add = append(add, clause+c.name+" "+s.metadataColumnType(i))
	}
	if len(add) == 0 {
		return nil
	}
	if s.dialect == sqliteDialect {
		// SQLite adds one column per statement.
		for _, a := range add {
			if err := tx.Exec("ALTER TABLE " + t + " " + a).Error; err != nil {
				return err
			}
		}
		return nil
	}
	return tx.Exec("ALTER TABLE " + t + " " + strings.Join(add, ", ")).Error
}
