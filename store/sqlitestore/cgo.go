//go:build cgo

package sqlitestore

import (
	"errors"

	"github.com/mattn/go-sqlite3"
)

// cgoEnabled reports whether this binary was built with cgo, without which
// go-sqlite3 is a stub that fails every connection.
const cgoEnabled = true

// isBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED
// (extended codes included): another connection held a lock.
func isBusy(err error) bool {
	var e sqlite3.Error
	return errors.As(err, &e) && (e.Code == sqlite3.ErrBusy || e.Code == sqlite3.ErrLocked)
}
