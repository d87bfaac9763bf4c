package supertokens_test

import (
	"context"
	"log"
	"os"

	"github.com/ginsession/ginsession/migrate/supertokens"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/postgresstore"
)

// Import the public tenant of a core on Postgres into ginsession's
// Postgres store, printing the report. Run it with -dry-run first through
// the command (go run ./cmd/supertokens-import), then for real once the
// core stops answering.
func ExampleImport() {
	src, err := supertokens.Open("postgres://supertokens:secret@core-db:5432/supertokens")
	if err != nil {
		log.Fatal(err)
	}
	defer src.DB.Close()
	dst, err := postgresstore.Open("postgres://app:secret@app-db:5432/app", gormstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer dst.Close()
	report, err := supertokens.Import(context.Background(), src, dst, supertokens.Options{
		Tenants: []string{"public"},
	})
	report.Print(os.Stdout)
	if err != nil {
		log.Fatalf("stopped at %s: %v", report.Cursor, err)
	}
}
