//go:build !cgo

package sqlitestore

// cgoEnabled reports whether this binary was built with cgo, without which
// go-sqlite3 is a stub that fails every connection.
const cgoEnabled = false

// isBusy is never called without cgo: Open fails with ErrNoCgo first. (The
// stub driver has no error codes to test.)
func isBusy(error) bool { return false }
