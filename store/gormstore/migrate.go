package gormstore

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// migrate creates the tables and indexes if they do not exist. On Postgres it
// holds a transaction-scoped advisory lock so instances starting together do
// not race on CREATE TABLE IF NOT EXISTS; on SQLite the write transaction
// serialises them.
func (s *GORMStore) migrate(ctx context.Context) error {
	t := s.tables
	var stmts []string
	if s.postgres {
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
	} else {
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
	stmts = append(stmts, s.revocationTable()...)
	stmts = append(stmts, s.leaseTable()...)
	err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtext(?))", "ginsession/store/migrate/"+t.prefix).Error; err != nil {
				return err
			}
		}
		for _, stmt := range stmts {
			if err := tx.Exec(stmt).Error; err != nil {
				return err
			}
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
	if s.postgres {
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
