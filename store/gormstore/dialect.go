package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// dialect is the SQL a store writes. The three differ where SQL itself
// does: upserts (ON CONFLICT on SQLite and Postgres, ON DUPLICATE KEY on
// MariaDB), RETURNING (MariaDB has it on DELETE and INSERT, not on UPDATE),
// LIMIT in a subquery (MariaDB refuses it), column types and the lock that
// serialises instances creating the tables.
type dialect int

const (
	sqliteDialect dialect = iota
	postgresDialect
	mysqlDialect // MariaDB, and MySQL 8 which speaks the same SQL here
)

func (d dialect) String() string {
	switch d {
	case postgresDialect:
		return "postgres"
	case mysqlDialect:
		return "mysql"
	default:
		return "sqlite"
	}
}

// dialectOf names the dialect of db from its GORM dialector.
func dialectOf(db *gorm.DB) (dialect, error) {
	switch name := db.Dialector.Name(); name {
	case "sqlite":
		return sqliteDialect, nil
	case "postgres":
		return postgresDialect, nil
	case "mysql":
		return mysqlDialect, nil
	default:
		return 0, fmt.Errorf("store: unsupported GORM dialect %q (want sqlite, postgres or mysql)", name)
	}
}

// doNothingOn makes an INSERT do nothing when a row with the same value of
// the unique column exists. On MariaDB GORM writes it as a no-op update of
// the primary key (ON DUPLICATE KEY UPDATE id = id, which matches any
// unique key) rather than INSERT IGNORE, which would also turn errors such
// as a value too long for its column into warnings.
func doNothingOn(column string) clause.OnConflict {
	return clause.OnConflict{Columns: []clause.Column{{Name: column}}, DoNothing: true}
}

// replaceOn makes an INSERT overwrite columns of the row with the same
// value of the unique column (ON CONFLICT … DO UPDATE, on MariaDB ON
// DUPLICATE KEY UPDATE c = VALUES(c)).
func replaceOn(column string, columns ...string) clause.OnConflict {
	return clause.OnConflict{Columns: []clause.Column{{Name: column}}, DoUpdates: clause.AssignmentColumns(columns)}
}

// migrationLock serialises instances creating the tables together. On
// Postgres concurrent CREATE TABLE IF NOT EXISTS can fail on the catalog's
// unique index, so a transaction-scoped advisory lock is taken; on MariaDB
// DDL commits implicitly and cannot sit in a transaction, so a named lock
// is taken on the one connection the migration runs on (fn gets that
// connection) and released after. SQLite's write transaction serialises
// its writers itself. The locks are hand-written: GORM has none.
func (s *GORMStore) migrationLock(ctx context.Context, fn func(tx *gorm.DB) error) error {
	switch s.dialect {
	case postgresDialect:
		return s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			name := "ginsession/store/migrate/" + s.tables.prefix
			if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtext(?))", name).Error; err != nil {
				return err
			}
			return fn(tx)
		})
	case mysqlDialect:
		return s.write.WithContext(ctx).Connection(func(conn *gorm.DB) error {
			var got int64
			// GET_LOCK waits at most its timeout (seconds) and answers 1
			// when taken; the lock ends with the connection at the latest.
			// MySQL 8 takes lock names of at most 64 characters: with the
			// longest prefix (40) this one is 59.
			name := "ginsession/migrate/" + s.tables.prefix
			if err := conn.Raw("SELECT GET_LOCK(?, ?)", name, int(migrationLockWait/time.Second)).Scan(&got).Error; err != nil {
				return err
			}
			if got != 1 {
				return fmt.Errorf("another instance held the migration lock %q for %v", name, migrationLockWait)
			}
			err := fn(conn)
			var released sql.NullInt64
			if rerr := conn.Raw("SELECT RELEASE_LOCK(?)", name).Scan(&released).Error; err == nil && rerr != nil {
				err = rerr
			}
			return err
		})
	default:
		return s.write.WithContext(ctx).Transaction(fn)
	}
}

// migrationLockWait bounds the wait for another instance's migration.
const migrationLockWait = 60 * time.Second

// checkMySQLTimes refuses a MariaDB handle that would store or read times
// wrongly: the store writes and compares UTC wall-clock times in DATETIME
// columns, which carry no zone, so the driver must send times in UTC
// (loc=UTC) and read them back as time.Time (parseTime=true). A handle
// opened with another loc would write local times that instances in other
// zones, and the lease's UTC_TIMESTAMP(), read as UTC. mysqlstore.Open and
// mysqlstore.ParseDSN set both; this catches a *gorm.DB given to New
// without them. Hand-written, as checkMySQLWrites: both ask MariaDB about
// the connection itself, which no model does.
func (s *GORMStore) checkMySQLTimes(ctx context.Context) error {
	probe := time.Date(2001, 2, 3, 4, 5, 6, 789012000, time.UTC)
	var sent string
	var back time.Time
	row := s.write.WithContext(ctx).Raw("SELECT CAST(? AS CHAR), CAST(? AS DATETIME(6))", probe, probe).Row()
	if err := row.Scan(&sent, &back); err != nil {
		return fmt.Errorf("store: the MariaDB handle must read times as time.Time (DSN parseTime=true&loc=UTC, or mysqlstore.ParseDSN): %w", err)
	}
	if want := "2001-02-03 04:05:06.789012"; sent != want || !back.Equal(probe) {
		return fmt.Errorf("store: the MariaDB handle sends times as %q, want %q in UTC (DSN loc=UTC, or mysqlstore.ParseDSN)", sent, want)
	}
	return nil
}

// checkMySQLWrites refuses a MariaDB handle on which the store's writes
// would not mean what it reads from them. In non-strict sql_mode a value
// too long for its column is cut to fit and stored (a 300-byte handle as
// its first 255 bytes) where strict mode refuses it. With the driver's
// clientFoundRows=true the server counts matched rows instead of changed
// ones, and AddSigningKey reads "another key holds this turn" from an
// upsert that changed nothing. mysqlstore.ParseDSN sets both right; this
// catches a *gorm.DB given to New without them. It runs after migrate: the
// changed-rows probe writes a row to the leases table and rolls it back.
func (s *GORMStore) checkMySQLWrites(ctx context.Context) error {
	var mode string
	if err := s.write.WithContext(ctx).Raw("SELECT @@SESSION.sql_mode").Row().Scan(&mode); err != nil {
		return fmt.Errorf("store: reading the MariaDB handle's sql_mode: %w", err)
	}
	strict := false
	for _, m := range strings.Split(strings.ToUpper(mode), ",") {
		if m == "STRICT_ALL_TABLES" || m == "STRICT_TRANS_TABLES" {
			strict = true
		}
	}
	if !strict {
		return fmt.Errorf("store: the MariaDB handle's sql_mode %q is not strict: too-long values would be cut, not refused (DSN sql_mode='STRICT_ALL_TABLES', or mysqlstore.ParseDSN)", mode)
	}
	errProbe := errors.New("probe done")
	var changed int64
	name := "probe/" + s.cleanup.holder
	err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("INSERT INTO "+s.tables.leases+" (name, holder, expires_at) VALUES (?, ?, UTC_TIMESTAMP(6))", name, name).Error; err != nil {
			return err
		}
		res := tx.Exec("UPDATE "+s.tables.leases+" SET holder = holder WHERE name = ?", name)
		if res.Error != nil {
			return res.Error
		}
		changed = res.RowsAffected
		return errProbe // roll the probe row back
	})
	if !errors.Is(err, errProbe) {
		return fmt.Errorf("store: probing the MariaDB handle's row counts: %w", err)
	}
	if changed != 0 {
		return errors.New("store: the MariaDB handle counts matched rows, not changed ones (DSN clientFoundRows=true): AddSigningKey could not tell a lost turn; drop clientFoundRows, or use mysqlstore.ParseDSN")
	}
	return nil
}

// transaction runs fn in a transaction on db. On MariaDB it runs again
// when the server chose it as a deadlock victim: InnoDB locks the gaps
// between index entries, and writers racing to insert the same unique
// value (AddSigningKey's turn, the cleanup lease) can each hold a lock the
// other waits for; the server then rolls one back, and MySQL's own advice
// is to run it again. Every fn here is a guarded write, so running it
// again gives the answer it would have given second in line (a conflict,
// not a failure).
//
// opts, when given, are the transaction's options (userTxOptions).
func (s *GORMStore) transaction(db *gorm.DB, fn func(tx *gorm.DB) error, opts ...*sql.TxOptions) error {
	return s.retryDeadlock(db.Statement.Context, func() error { return db.Transaction(fn, opts...) })
}

// ageOrder is the ORDER BY of a user's sessions, oldest first: by
// created_at, then by handle compared byte for byte, as Go compares strings
// (Postgres would otherwise order handles by the database's collation;
// MariaDB's VARBINARY and SQLite's default BINARY collation compare bytes).
func (d dialect) ageOrder() string {
	if d == postgresDialect {
		return `created_at, handle COLLATE "C"`
	}
	return "created_at, handle"
}

// retryDeadlock runs op, a transaction or a single statement, again when
// MariaDB chose it as a deadlock victim (the server rolled it back whole).
// Besides the guarded inserts above, deletes meet this way: a DELETE by
// handle locks the row before the user_id index entry it removes, while
// DeleteUserSessions (and the cleanup's DELETE by expires_at) lock an index
// entry before its row, so two of them reaching one row together can each
// hold what the other needs. Postgres and SQLite lock the row alone and
// never deadlock there.
func (s *GORMStore) retryDeadlock(ctx context.Context, op func() error) error {
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || s.dialect != mysqlDialect || attempt == deadlockAttempts || !isDeadlock(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(rand.Int64N(int64(attempt) * int64(5*time.Millisecond)))):
		}
	}
}

// deadlockAttempts bounds transaction's runs of one fn.
const deadlockAttempts = 5

// isDeadlock reports whether err is MariaDB's "deadlock found" (error 1213,
// SQLSTATE 40001). gormstore imports no driver, so it reads the driver's
// message, "Error 1213 (40001): Deadlock found …", which
// github.com/go-sql-driver/mysql has written in this form since its first
// release.
func isDeadlock(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Error 1213 (40001)")
}
