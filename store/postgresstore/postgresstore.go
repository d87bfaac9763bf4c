// Package postgresstore opens a ginsession store on Postgres: the choice
// for several application instances sharing sessions.
//
// It imports gorm.io/driver/postgres (pgx, pure Go), not the SQLite driver,
// so an application that imports it (and not store/sqlitestore) builds with
// CGO_ENABLED=0.
package postgresstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/internal/gormconn"
)

// Open opens a Postgres database by DSN (URL or keyword form, as pgx
// accepts) and returns a store on it, with its tables created. The pool is
// capped at opts.MaxOpenConns connections (default
// gormstore.DefaultMaxOpenConns, 10; all kept idle) so a burst of requests
// queues in the application instead of exhausting the server's
// max_connections. The store's Close closes the pool.
//
// Behind pgbouncer in transaction pooling mode, add
// default_query_exec_mode=simple_protocol to the DSN: pgx otherwise caches
// server-side prepared statements per connection, and pgbouncer hands each
// transaction whichever server connection is free, so a statement prepared
// on one is missing (or already there) on the next. The store itself needs
// no session state: no advisory locks, no LISTEN, no temporary tables.
//
// The store pushes revocations to the other instances (store.Watcher
// returns its watcher: one LISTEN connection of its own, to
// opts.ListenDSN or dsn), unless opts.ListenDSN is "off": it then has no
// watcher, and ginsession says at start that it polls.
func Open(dsn string, opts gormstore.Options) (*gormstore.GORMStore, error) {
	db, err := gorm.Open(postgres.Open(dsn), gormconn.Config())
	if err != nil {
		return nil, fmt.Errorf("postgresstore: Open: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("postgresstore: Open: %w", err)
	}
	conns := opts.MaxOpenConns
	if conns < 0 {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("postgresstore: Open: Options.MaxOpenConns %d is negative", conns)
	}
	if conns == 0 {
		conns = gormstore.DefaultMaxOpenConns
	}
	sqlDB.SetMaxOpenConns(conns)
	sqlDB.SetMaxIdleConns(conns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	c := &gormconn.Conns{Read: db, Write: db, Owned: []*sql.DB{sqlDB}}
	switch opts.ListenDSN {
	case "off":
	case "":
		c.Listen = listener(dsn)
	default:
		c.Listen = listener(opts.ListenDSN)
	}
	s, err := gormconn.NewStore[gormstore.Options, *gormstore.GORMStore](c, opts)
	if err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// listenConnectTimeout bounds opening the listening connection, so a hung
// server delays the push, never anything else.
const listenConnectTimeout = 5 * time.Second

// listener returns the LISTEN loop of WatchRevocations for dsn: one pgx
// connection of its own, outside the pool (a pooled connection goes back to
// the pool, and the LISTEN with it).
func listener(dsn string) func(ctx context.Context, channel string, notify func()) error {
	return func(ctx context.Context, channel string, notify func()) error {
		connectCtx, cancel := context.WithTimeout(ctx, listenConnectTimeout)
		conn, err := pgx.Connect(connectCtx, dsn)
		cancel()
		if err != nil {
			return err
		}
		defer func() {
			// A hung server must not hold up Close: the goodbye is
			// best effort.
			closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = conn.Close(closeCtx)
		}()
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
			return err
		}
		notify() // listening: the caller reads the log once to catch up
		for {
			if _, err := conn.WaitForNotification(ctx); err != nil {
				return err
			}
			notify()
		}
	}
}
