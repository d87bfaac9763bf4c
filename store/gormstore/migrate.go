package gormstore

import (
	"context"
	"fmt"

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
				data              bytea)`,
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
				data              BLOB)`,
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
			data              LONGBLOB,
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
	}
}
