package gormstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// migrate creates the tables and indexes if they do not exist, and adds the
// columns later versions brought to tables an earlier version created, under
// the dialect's migration lock (migrationLock) so instances starting
// together do not race.
//
// On SQLite and Postgres the tables are GORM's: its Migrator creates them
// from the models (models.go), whose types on these two dialects are the
// ones the hand-written DDL of earlier versions gave them, so a database
// made by either opens with the other (TestMigrateFromEarlierSchema). The
// indexes stay statements of ours (indexes). On MariaDB the tables are
// created by hand-written DDL (mysqlTables): see there.
func (s *GORMStore) migrate(ctx context.Context) error {
	err := s.migrationLock(ctx, func(tx *gorm.DB) error {
		if s.dialect == mysqlDialect {
			for _, stmt := range s.mysqlTables() {
				if err := tx.Exec(stmt).Error; err != nil {
					return err
				}
			}
			// Created with follows and its index from the start.
			return s.addSessionMetadata(tx)
		}
		if err := s.createTables(tx); err != nil {
			return err
		}
		if err := s.addSessionMetadata(tx); err != nil {
			return err
		}
		if err := s.addFollows(tx); err != nil {
			return err
		}
		for _, stmt := range s.indexes() {
			if err := tx.Exec(stmt).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: create tables: %w", err)
	}
	return nil
}

// createTables creates, through GORM's Migrator, the tables that do not
// exist yet (SQLite, Postgres).
func (s *GORMStore) createTables(tx *gorm.DB) error {
	t := s.tables
	for _, m := range []struct {
		table string
		model any
	}{
		{t.sessions, &sessionRow{}},
		{t.keys, &keyRow{}},
		{t.secrets, &secretRow{}},
		{t.revocations, &revocationRow{}},
		{t.leases, &leaseRow{}},
		{t.importedKeys, &importedKeyRow{}},
		{t.importedSessions, &importedSessionRow{}},
		{t.challenges, &challengeRow{}},
		{t.bindings, &bindingRow{}},
	} {
		mig := s.table(tx, m.table).Migrator()
		if mig.HasTable(m.model) {
			continue
		}
		if err := mig.CreateTable(m.model); err != nil {
			// SQLite on a caller's *gorm.DB whose transactions are
			// deferred: another process created the table after the
			// check. (Postgres checks and creates under the advisory lock,
			// and a failed statement there ends the transaction.)
			if s.dialect == sqliteDialect && mig.HasTable(m.model) {
				continue
			}
			return err
		}
	}
	return nil
}

// indexes returns the statements that create the indexes (SQLite,
// Postgres). They are written by hand, not as GORM index tags: their names
// carry the store's TablePrefix (tags are fixed per model, and the naming
// strategy belongs to the application's *gorm.DB), the user-id index is a
// hash index on Postgres only (lookups by user id are equality only, and a
// btree would refuse user ids longer than about 2.7 KB), and IF NOT EXISTS
// keeps them idempotent.
func (s *GORMStore) indexes() []string {
	t := s.tables
	userIndex := ""
	if s.dialect == postgresDialect {
		userIndex = " USING hash"
	}
	return []string{
		`CREATE INDEX IF NOT EXISTS ` + t.prefix + `sessions_user_id_idx ON ` + t.sessions + userIndex + ` (user_id)`,
		`CREATE INDEX IF NOT EXISTS ` + t.prefix + `sessions_expires_at_idx ON ` + t.sessions + ` (expires_at)`,
		`CREATE INDEX IF NOT EXISTS ` + t.prefix + `signing_keys_expires_at_idx ON ` + t.keys + ` (expires_at)`,
		// The unique index that makes AddSigningKey's guard hold across
		// processes.
		`CREATE UNIQUE INDEX IF NOT EXISTS ` + t.prefix + `signing_keys_follows_idx ON ` + t.keys + ` (follows)`,
		`CREATE INDEX IF NOT EXISTS ` + t.prefix + `revocations_revoked_at_idx ON ` + t.revocations + ` (revoked_at)`,
		`CREATE INDEX IF NOT EXISTS ` + t.prefix + `revocations_expires_at_idx ON ` + t.revocations + ` (expires_at)`,
		`CREATE INDEX IF NOT EXISTS ` + t.prefix + `imported_keys_expires_at_idx ON ` + t.importedKeys + ` (expires_at)`,
		`CREATE INDEX IF NOT EXISTS ` + t.prefix + `imported_sessions_expires_at_idx ON ` + t.importedSessions + ` (expires_at)`,
		`CREATE INDEX IF NOT EXISTS ` + t.prefix + `dbsc_challenges_expires_at_idx ON ` + t.challenges + ` (expires_at)`,
	}
}

// columnsOf returns the names of the columns of table, as GORM's Migrator
// reads them.
func (s *GORMStore) columnsOf(tx *gorm.DB, table string, model any) ([]string, error) {
	types, err := s.table(tx, table).Migrator().ColumnTypes(model)
	if err != nil {
		return nil, err
	}
	if len(types) == 0 {
		return nil, fmt.Errorf("reading the columns of %s: none found", table)
	}
	names := make([]string, len(types))
	for i, c := range types {
		names[i] = c.Name()
	}
	return names, nil
}

// addFollows adds the follows column to a signing-key table created by a
// version without it (its rows get NULL, which guards nothing).
func (s *GORMStore) addFollows(tx *gorm.DB) error {
	have, err := s.columnsOf(tx, s.tables.keys, &keyRow{})
	if err != nil {
		return err
	}
	if slices.Contains(have, "follows") {
		return nil
	}
	return s.table(tx, s.tables.keys).Migrator().AddColumn(&keyRow{}, "Follows")
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
// with an error (strict mode), never cut. That is why these tables are
// hand-written and not GORM's: its MariaDB type for a Go string is a text
// type under the table's collation, compared the way this avoids.
//
// Index names carry no TablePrefix: on MariaDB they belong to their table
// (unlike Postgres, where they share the schema with the tables), and a
// 40-byte prefix before "signing_keys_expires_at_idx" would exceed the
// 64-character limit on identifiers. Tables created with prefixed names
// keep them: CREATE TABLE IF NOT EXISTS leaves an existing table alone.
func (s *GORMStore) mysqlTables() []string {
	t := s.tables
	const opts = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
	stmts := []string{
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
			data              LONGBLOB,` + mysqlMetadataColumnDefs() + `,
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
		`CREATE TABLE IF NOT EXISTS ` + t.challenges + ` (
			hash       VARBINARY(64)  NOT NULL PRIMARY KEY,
			handle     VARBINARY(255) NOT NULL,
			register   BOOLEAN        NOT NULL DEFAULT 0,
			expires_at DATETIME(6)    NOT NULL,
			INDEX dbsc_challenges_expires_at_idx (expires_at))` + opts,
		`CREATE TABLE IF NOT EXISTS ` + t.bindings + ` (
			handle     VARBINARY(255) NOT NULL PRIMARY KEY,
			public_key BLOB           NOT NULL,
			created_at DATETIME(6)    NOT NULL)` + opts,
	}
	return append(stmts, s.mysqlImportTables(opts)...)
}

// mysqlMetadataColumns are the MariaDB types of the session metadata
// columns (metadataFields),
// added to the sessions table after its first version: with defaults, so
// rows written before read as "" and false. The texts are bytes like the
// other columns, sized to the bounds store.Session documents (strict mode
// refuses longer values).
var mysqlMetadataColumns = []struct{ name, typ string }{
	{"device_label", "VARBINARY(255) NOT NULL DEFAULT ''"},
	{"created_user_agent", "VARBINARY(512) NOT NULL DEFAULT ''"},
	{"created_ip", "VARBINARY(64) NOT NULL DEFAULT ''"},
	{"refreshed_user_agent", "VARBINARY(512) NOT NULL DEFAULT ''"},
	{"refreshed_ip", "VARBINARY(64) NOT NULL DEFAULT ''"},
	{"browser_session_only", "BOOLEAN NOT NULL DEFAULT 0"},
}

// mysqlMetadataColumnDefs is the metadata columns' part of MariaDB's CREATE
// TABLE.
func mysqlMetadataColumnDefs() string {
	var b strings.Builder
	for i, c := range mysqlMetadataColumns {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n\t\t\t" + c.name + " " + c.typ)
	}
	return b.String()
}

// addSessionMetadata adds the metadata columns a sessions table created by
// an earlier version lacks. It reads the table's columns first (GORM's
// Migrator) and alters it only when one is missing: ALTER TABLE locks the
// table exclusively, and every instance migrates at start, while others
// serve requests from the table. It runs under the migration lock, so
// instances do not add a column twice. On SQLite and Postgres the Migrator
// adds each column from the model; on MariaDB the column types are ours
// (mysqlMetadataColumns), in one hand-written ALTER TABLE.
func (s *GORMStore) addSessionMetadata(tx *gorm.DB) error {
	t := s.tables.sessions
	have, err := s.columnsOf(tx, t, &sessionRow{})
	if err != nil {
		return err
	}
	if s.dialect == mysqlDialect {
		var add []string
		for _, c := range mysqlMetadataColumns {
			if !slices.Contains(have, c.name) {
				add = append(add, "ADD COLUMN "+c.name+" "+c.typ)
			}
		}
		if len(add) == 0 {
			return nil
		}
		return tx.Exec("ALTER TABLE " + t + " " + strings.Join(add, ", ")).Error
	}
	for _, f := range metadataFields {
		if slices.Contains(have, f.column) {
			continue
		}
		if err := s.table(tx, t).Migrator().AddColumn(&sessionRow{}, f.field); err != nil {
			return err
		}
	}
	return nil
}
