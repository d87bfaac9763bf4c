//go:build cgo

package sqlitestore

// cgoEnabled reports whether this binary was built with cgo, without which
// go-sqlite3 is a stub that fails every connection.
const cgoEnabled = true
