package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/internal/storebench"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

// BenchmarkStore times each ordinary read and write of the store on an
// SQLite file (go test -run XXX -bench Store ./store/sqlitestore/).
func BenchmarkStore(b *testing.B) {
	st, err := sqlitestore.Open(filepath.Join(b.TempDir(), "bench.db"), gormstore.Options{CleanupInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	storebench.Run(b, st)
}
