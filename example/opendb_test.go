package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ginsession/ginsession/internal/mysqltest"
	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/store/gormstore"
)

func TestOpenDispatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := openStore(path, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.DB().Dialector.Name(); got != "sqlite" {
		t.Errorf("openStore(%q) dialect = %s, want sqlite", path, got)
	}
	dsn := pgtest.NewDatabase(t)
	for _, d := range []string{dsn, strings.Replace(dsn, "postgres://", "postgresql://", 1)} {
		p, err := openStore(d, gormstore.Options{})
		if err != nil {
			t.Fatalf("openStore(%s): %v", d, err)
		}
		if got := p.DB().Dialector.Name(); got != "postgres" {
			t.Errorf("openStore(%s) dialect = %s, want postgres", d, got)
		}
		p.Close()
	}
	mdb := mysqltest.NewDatabase(t)
	for _, d := range []string{mdb, strings.Replace(mdb, "mysql://", "mariadb://", 1)} {
		m, err := openStore(d, gormstore.Options{})
		if err != nil {
			t.Fatalf("openStore(%s): %v", d, err)
		}
		if got := m.DB().Dialector.Name(); got != "mysql" {
			t.Errorf("openStore(%s) dialect = %s, want mysql", d, got)
		}
		m.Close()
	}
	// A keyword DSN for an unreachable server must be tried as Postgres (and
	// fail), not create an SQLite file of that name.
	if p, err := openStore("host=127.0.0.1 port=1 user=x dbname=x sslmode=disable connect_timeout=2", gormstore.Options{}); err == nil {
		p.Close()
		t.Fatal("openStore(keyword DSN to port 1) succeeded")
	} else if !strings.Contains(err.Error(), "postgresstore: Open") {
		t.Fatalf("openStore(keyword DSN) err = %v, want a postgresstore.Open error", err)
	}
}
