// Package gormconn hands the database handles an opener (sqlitestore,
// postgresstore, mysqlstore, puresqlite) made over to gormstore, so the
// store can use a separate read pool and close the handles on Close, without
// an exported name that applications would never call.
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

// newStore is gormstore's constructor from Conns, of type
// func(*Conns, O) (S, error), set by Register.
var newStore any

// Register is called by store/gormstore when it is initialised with its
// constructor from Conns. It is handed over this way, not through the
// *gorm.DB given to gormstore.New (a value in GORM's settings map would
// travel with every session made from that handle), and not as an exported
// function of gormstore, which applications would see and never call.
func Register[O, S any](f func(*Conns, O) (S, error)) { newStore = f }

// NewStore makes a store of the handles in c with opts through the
// constructor gormstore registered. The opener imports gormstore (it returns
// its type), so the constructor is registered before NewStore runs.
func NewStore[O, S any](c *Conns, opts O) (S, error) {
	f, ok := newStore.(func(*Conns, O) (S, error))
	if !ok {
		panic("gormconn: NewStore before store/gormstore registered its constructor, or with the wrong types")
	}
	return f(c, opts)
}

// Config is the GORM configuration for handles an opener makes: no SQL
// logging (statements carry hashes and keys) and no implicit transaction
// around single statements.
func Config() *gorm.Config {
	return &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true}
}
