// Package gormconn hands the database handles an opener (sqlitestore,
// postgresstore) made over to gormstore.New, so the store can use a separate
// read pool and close the handles on Close without an exported name that
// applications would never call.
package gormconn

import (
	"context"
	"database/sql"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Conns are the handles of a store an opener made.
type Conns struct {
	// Read serves plain reads; Write serves every write and transaction.
	Read, Write *gorm.DB
	// Owned are closed by the store's Close.
	Owned []*sql.DB
	// SingleWriter: Write is one connection shared by every writer.
	SingleWriter bool
	// Listen, when set, LISTENs on channel and calls notify once listening
	// and then on every notification, until ctx ends or the connection
	// fails (it returns the error). Set by postgresstore; nil elsewhere.
	Listen func(ctx context.Context, channel string, notify func()) error
}

// key names the GORM setting that carries Conns; only this package can make
// the value, so a setting of that name made elsewhere is ignored.
const key = "ginsession/store/internal/gormconn.Conns"

// Attach returns c.Write carrying c, to be passed to gormstore.New.
func Attach(c *Conns) *gorm.DB { return c.Write.Set(key, c) }

// From returns the Conns Attach put on db, or nil.
func From(db *gorm.DB) *Conns {
	v, _ := db.Get(key)
	c, _ := v.(*Conns)
	return c
}

// Config is the GORM configuration for handles an opener makes: no SQL
// logging (statements carry hashes and keys) and no implicit transaction
// around single statements.
func Config() *gorm.Config {
	return &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true}
}
