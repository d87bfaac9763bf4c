// Package postgresstore opens a ginsession store on Postgres: the choice
// for several application instances sharing sessions.
//
// It imports gorm.io/driver/postgres (pgx, pure Go), not the SQLite driver,
// so an application that imports it (and not store/sqlitestore) builds with
// CGO_ENABLED=0.
package postgresstore

import (
	"database/sql"
	"fmt"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/internal/gormconn"
)

// Open opens a Postgres database by DSN (URL or keyword form, as pgx
// accepts) and returns a store on it, with its tables created. The pool is
// capped at 20 open connections (all kept idle) so a burst of requests
// queues in the application instead of exhausting the server's
// max_connections; tune it through the store's DB().DB() if needed. The
// store's Close closes the pool.
func Open(dsn string, opts gormstore.Options) (*gormstore.GORMStore, error) {
	db, err := gorm.Open(postgres.Open(dsn), gormconn.Config())
	if err != nil {
		return nil, fmt.Errorf("postgresstore: Open: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("postgresstore: Open: %w", err)
	}
	sqlDB.SetMaxOpenConns(20)
	sqlDB.SetMaxIdleConns(20)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	s, err := gormstore.New(gormconn.Attach(&gormconn.Conns{Read: db, Write: db, Owned: []*sql.DB{sqlDB}}), opts)
	if err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}
