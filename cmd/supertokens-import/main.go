// Command supertokens-import copies a SuperTokens core's sessions, signing
// keys and refresh-token key into a ginsession store, so that nobody is
// signed out when the application leaves the core (package
// migrate/supertokens does the work; docs/supertokens-core-formats.md
// describes what it reads).
//
//	go run ./cmd/supertokens-import \
//	    -source 'postgres://supertokens:…@core-db/supertokens' \
//	    -store 'postgres://app:…@app-db/app' -dry-run
//
// -source is the core's database: postgres:// for Postgres, mysql:// (or a
// go-sql-driver DSN) for MySQL and MariaDB; it is only read. -store is the
// ginsession store: postgres://, mysql:// or mariadb://, or the path of an
// SQLite file (optionally written sqlite:PATH). The report goes to
// standard output; after a failure, -after with the printed cursor goes on
// where the run stopped.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/ginsession/ginsession/migrate/supertokens"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/mysqlstore"
	"github.com/ginsession/ginsession/store/postgresstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "supertokens-import:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("supertokens-import", flag.ContinueOnError)
	source := fs.String("source", "", "the core's database DSN (postgres://… or mysql://…); read only")
	sourcePrefix := fs.String("source-prefix", "", "the core's table_names_prefix")
	sourceSchema := fs.String("source-schema", "", "the core's table_schema (Postgres)")
	target := fs.String("store", "", "the ginsession store: postgres://…, mysql://…, mariadb://… or an SQLite file path")
	storePrefix := fs.String("store-prefix", "", "the ginsession store's TablePrefix (its default when empty)")
	app := fs.String("app", "public", "the core app to import")
	tenants := fs.String("tenants", "public", "comma-separated tenants to import, or * for all")
	dryRun := fs.Bool("dry-run", false, "read everything, write nothing, report what would be imported")
	batch := fs.Int("batch", 1000, "sessions read and written at a time")
	after := fs.String("after", "", "resume after this cursor (tenant/handle, as a report printed it)")
	atv := fs.Duration("access-token-validity", time.Hour, "the core's access_token_validity")
	interval := fs.Duration("key-interval", 168*time.Hour, "the core's access_token_dynamic_signing_key_update_interval")
	progress := fs.Bool("progress", false, "print the cursor after each batch (to standard error)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *source == "" || (*target == "" && !*dryRun) {
		fs.Usage()
		return errors.New("-source and -store are required (-store may be left out with -dry-run)")
	}
	o := supertokens.Options{
		AppID: *app, DryRun: *dryRun, BatchSize: *batch,
		AccessTokenValidity: *atv, DynamicKeyInterval: *interval,
	}
	for _, t := range strings.Split(*tenants, ",") {
		if t = strings.TrimSpace(t); t != "" {
			o.Tenants = append(o.Tenants, t)
		}
	}
	if *after != "" {
		tenant, handle, ok := strings.Cut(*after, "/")
		if !ok {
			return fmt.Errorf("-after %q: want tenant/handle", *after)
		}
		o.After = supertokens.Cursor{Tenant: tenant, Handle: handle}
	}
	if *progress {
		o.Progress = func(r *supertokens.Report) {
			fmt.Fprintf(os.Stderr, "read %d, imported %d, already present %d; cursor %s\n",
				r.Sessions.Read, r.Sessions.Imported, r.Sessions.AlreadyPresent, r.Cursor)
		}
	}

	src, err := supertokens.Open(*source)
	if err != nil {
		return err
	}
	defer src.DB.Close()
	src.TablePrefix, src.Schema = *sourcePrefix, *sourceSchema

	var dst store.Store
	if *target != "" {
		s, err := openStore(*target, gormstore.Options{TablePrefix: *storePrefix})
		if err != nil {
			return err
		}
		defer s.Close()
		dst = s
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	report, err := supertokens.Import(ctx, src, dst, o)
	report.Print(os.Stdout)
	if err != nil {
		return fmt.Errorf("%w (resume with -after '%s')", err, report.Cursor)
	}
	return nil
}

func openStore(dsn string, opts gormstore.Options) (*gormstore.GORMStore, error) {
	lower := strings.ToLower(dsn)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return postgresstore.Open(dsn, opts)
	case strings.HasPrefix(lower, "mysql://"), strings.HasPrefix(lower, "mariadb://"):
		return mysqlstore.Open(dsn, opts)
	default:
		return sqlitestore.Open(strings.TrimPrefix(dsn, "sqlite:"), opts)
	}
}
