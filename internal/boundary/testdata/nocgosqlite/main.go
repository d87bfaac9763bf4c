// Command nocgosqlite opens an SQLite store and prints the error, if any.
// internal/boundary runs it built with CGO_ENABLED=0 to pin what such a
// binary says.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

func main() {
	st, err := sqlitestore.Open(filepath.Join(os.TempDir(), "nocgosqlite-never-created.db"), gormstore.Options{})
	if err != nil {
		fmt.Printf("is ErrNoCgo: %t\n%v\n", errors.Is(err, sqlitestore.ErrNoCgo), err)
		os.Exit(1)
	}
	st.Close()
	fmt.Println("opened")
}
