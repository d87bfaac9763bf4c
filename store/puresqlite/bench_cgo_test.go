//go:build cgo

package puresqlite_test

import "github.com/ginsession/ginsession/store/sqlitestore"

// With cgo, BenchmarkRefresh compares the cgo driver's store on the same
// route.
func init() {
	benchOpeners = append(benchOpeners, opener{"sqlitestore", sqlitestore.Open})
}
