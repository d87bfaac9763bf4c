package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/internal/stcore/stcoretest"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestCommandImportsIntoAnSQLiteFile(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	core := &stcoretest.Core{DB: db, Dialect: stcoretest.Postgres}
	if err := core.Create(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	g := stcoretest.New(7, now)
	key := g.RefreshKey()
	for _, tenant := range []string{"public", "t2"} {
		if err := core.AddTenant(ctx, "public", tenant); err != nil {
			t.Fatal(err)
		}
	}
	if err := core.PutRefreshKey(ctx, "public", key); err != nil {
		t.Fatal(err)
	}
	if err := core.PutKey(ctx, "public", g.DynamicKey(0, now.Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	a := g.Session(key, stcoretest.SessionOptions{Rotations: 2})
	b := g.Session(key, stcoretest.SessionOptions{TenantID: "t2"})
	if err := core.PutSessions(ctx, a, b); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "sessions.db")

	if err := run([]string{"-source", dsn, "-dry-run"}); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if err := run([]string{"-source", dsn, "-store", file, "-tenants", "public,t2", "-batch", "1", "-progress"}); err != nil {
		t.Fatalf("import: %v", err)
	}
	s, err := sqlitestore.Open(file, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.GetSession(ctx, a.Handle, now)
	if err != nil {
		t.Fatalf("session %s: %v", a.Handle, err)
	}
	if got.UserID != a.UserID {
		t.Fatalf("user %q, want %q", got.UserID, a.UserID)
	}
	// Selected, read, and skipped: its handle (<uuid>_t2) cannot be taken
	// over.
	if _, err := s.GetSession(ctx, b.Handle, now); err == nil {
		t.Fatalf("the t2 session %s was imported", b.Handle)
	}
	keys, err := s.ImportedKeys(ctx, now)
	if err != nil || len(keys) != 2 {
		t.Fatalf("imported keys %v, %v", keys, err)
	}
	if err := run([]string{"-source", dsn, "-store", file, "-after", "no-slash"}); err == nil {
		t.Fatal("a malformed -after was accepted")
	}
}
