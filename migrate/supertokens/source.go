package supertokens

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Dialect names the core's database: "postgres", or "mysql" for MySQL and
// MariaDB.
type Dialect string

// The dialects of the core's storage plugins.
const (
	Postgres Dialect = "postgres"
	MySQL    Dialect = "mysql"
)

// Source is the core's database.
type Source struct {
	// DB is the core's database, opened by the caller (pgx's "pgx" driver
	// or go-sql-driver's "mysql"). Import only reads it. A user with
	// SELECT rights only is enough, and is the safest choice.
	DB      *sql.DB
	Dialect Dialect
	// TablePrefix is the core's table_names_prefix setting ("" by default).
	TablePrefix string
	// Schema is the core's table_schema setting on Postgres ("" for the
	// search path's default, usually public).
	Schema string
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,40}$`)

func (s Source) check() error {
	if s.DB == nil {
		return errors.New("supertokens: Source.DB is nil")
	}
	if s.Dialect != Postgres && s.Dialect != MySQL {
		return fmt.Errorf("supertokens: Source.Dialect %q: want %q or %q", s.Dialect, Postgres, MySQL)
	}
	if s.TablePrefix != "" && !identifier.MatchString(s.TablePrefix) {
		return fmt.Errorf("supertokens: Source.TablePrefix %q: want letters, digits and _", s.TablePrefix)
	}
	if s.Schema != "" && (s.Dialect != Postgres || !identifier.MatchString(s.Schema)) {
		return fmt.Errorf("supertokens: Source.Schema %q: a Postgres schema name of letters, digits and _", s.Schema)
	}
	return nil
}

// table is the qualified name of one of the core's tables.
func (s Source) table(name string) string {
	t := s.TablePrefix + name
	if s.Schema != "" {
		t = s.Schema + "." + t
	}
	return t
}

// query runs q (written with ? placeholders) in a read-only transaction
// and calls each for every row.
func (s Source) query(ctx context.Context, q string, args []any, each func(*sql.Rows) error) error {
	if s.Dialect == Postgres {
		n := 0
		var b strings.Builder
		for _, r := range q {
			if r == '?' {
				n++
				fmt.Fprintf(&b, "$%d", n)
				continue
			}
			b.WriteRune(r)
		}
		q = b.String()
	}
	tx, err := s.DB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("supertokens: read the core: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("supertokens: read the core: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("supertokens: read the core: %w", err)
	}
	return nil
}
