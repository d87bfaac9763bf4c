package gormstore_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // database/sql driver "mysql"

	"github.com/ginsession/ginsession/internal/mysqltest"
	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/mysqlstore"
	"github.com/ginsession/ginsession/store/postgresstore"
)

// A session that looked expired when a cleanup batch picked it, but whose
// expiry a concurrent write extended (a refresh on an instance whose clock
// is behind the cleaner's), must survive: the delete re-checks the expiry
// on the row it finally locks. Before the batched delete re-checked it, the
// row went (found by an outside review).
func TestCleanupConcurrentlyExtendedSessionSurvives(t *testing.T) {
	for _, db := range []struct {
		name string
		// open returns the store, a second connection pool for the writer
		// and the query counting the cleanup's deletes waiting for a lock.
		open func(t *testing.T) (*gormstore.GORMStore, *sql.DB, string, []any)
		// extend is the writer's UPDATE, with its placeholder syntax.
		extend string
	}{
		{
			name: "Postgres",
			open: func(t *testing.T) (*gormstore.GORMStore, *sql.DB, string, []any) {
				dsn := pgtest.NewDatabase(t)
				u, err := url.Parse(dsn)
				if err != nil {
					t.Fatal(err)
				}
				st, err := postgresstore.Open(dsn, gormstore.Options{CleanupInterval: -1})
				if err != nil {
					t.Fatal(err)
				}
				db, err := sql.Open("pgx", dsn)
				if err != nil {
					t.Fatal(err)
				}
				return st, db, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE 'DELETE%'", []any{u.Path[1:]}
			},
			extend: "UPDATE " + gormstore.DefaultTablePrefix + "sessions SET expires_at = $1 WHERE handle = 'h'",
		},
		{
			name: "MariaDB",
			// INNODB_TRX does not reliably show LOCK WAIT on 10.11: a
			// one-row DELETE running for over 200 ms is waiting.
			open: func(t *testing.T) (*gormstore.GORMStore, *sql.DB, string, []any) {
				dsn := mysqltest.NewDatabase(t)
				st, err := mysqlstore.Open(dsn, gormstore.Options{CleanupInterval: -1})
				if err != nil {
					t.Fatal(err)
				}
				cfg, err := mysqlstore.ParseDSN(dsn)
				if err != nil {
					t.Fatal(err)
				}
				db, err := sql.Open("mysql", cfg.FormatDSN())
				if err != nil {
					t.Fatal(err)
				}
				return st, db, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE db = ? AND info LIKE 'DELETE%' AND time_ms > 200", []any{cfg.DBName}
			},
			extend: "UPDATE " + gormstore.DefaultTablePrefix + "sessions SET expires_at = ? WHERE handle = 'h'",
		},
	} {
		t.Run(db.name, func(t *testing.T) {
			st, raw, waitingQuery, waitingArgs := db.open(t)
			defer st.Close()
			defer raw.Close()
			extendedSessionSurvives(t, st, raw, db.extend, waitingQuery, waitingArgs)
		})
	}
}

func extendedSessionSurvives(t *testing.T, st *gormstore.GORMStore, db *sql.DB, extend, waitingQuery string, waitingArgs []any) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := st.CreateSession(ctx, &store.Session{Handle: "h", UserID: "u", RefreshHash: []byte{1}, RotatedAt: now.Add(-2 * time.Hour), CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// The writer: extends the expiry and holds the row lock until commit.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(extend, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	deleted := make(chan error, 1)
	go func() {
		_, err := st.DeleteExpired(ctx, now)
		deleted <- err
	}()
	// Wait until the cleanup's delete waits for the writer's row lock.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := db.QueryRow(waitingQuery, waitingArgs...).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cleanup's delete never waited for the row lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetSession(ctx, "h", now); errors.Is(err, store.ErrNotFound) {
		t.Fatal("the cleanup deleted a session whose expiry a concurrent write had extended")
	} else if err != nil {
		t.Fatal(err)
	}
}
