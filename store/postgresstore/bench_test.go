package postgresstore_test

import (
	"testing"

	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/internal/storebench"
	"github.com/ginsession/ginsession/store/postgresstore"
)

// BenchmarkStore times each ordinary read and write of the store on a real
// Postgres (CI=true go test -run XXX -bench Store ./store/postgresstore/).
func BenchmarkStore(b *testing.B) {
	st, err := postgresstore.Open(pgtest.NewDatabase(b), gormstore.Options{CleanupInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	storebench.Run(b, st)
}
