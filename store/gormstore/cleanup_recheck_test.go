package gormstore_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/postgresstore"
)

// A session that looked expired when a cleanup batch picked it, but whose
// expiry a concurrent write extended (a refresh on an instance whose clock
// is behind the cleaner's), must survive: the delete re-checks the expiry
// on the row it finally locks. Before the batched delete re-checked it, the
// row went (found by an outside review).
func TestCleanup_ConcurrentlyExtendedSessionSurvives(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	st, err := postgresstore.Open(dsn, gormstore.Options{CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := st.CreateSession(ctx, &store.Session{Handle: "h", UserID: "u", RefreshHash: []byte{1}, RotatedAt: now.Add(-2 * time.Hour), CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The writer: extends the expiry and holds the row lock until commit.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("UPDATE "+gormstore.DefaultTablePrefix+"sessions SET expires_at = $1 WHERE handle = 'h'", now.Add(time.Hour)); err != nil {
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
		if err := db.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE 'DELETE%'", u.Path[1:]).Scan(&waiting); err != nil {
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
