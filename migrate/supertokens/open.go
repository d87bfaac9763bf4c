package supertokens

import (
	"database/sql"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ginsession/ginsession/store/mysqlstore"
)

// Open opens the core's database from a DSN: postgres:// or postgresql://
// for Postgres (every session of it read-only: default_transaction_read_only),
// mysql:// or a go-sql-driver DSN ("user:pass@tcp(host:3306)/db") for MySQL
// and MariaDB. The caller closes Source.DB.
func Open(dsn string) (Source, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return Source{}, fmt.Errorf("supertokens: source DSN: %w", err)
		}
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
		return Source{DB: stdlib.OpenDB(*cfg), Dialect: Postgres}, nil
	}
	cfg, err := mysqlstore.ParseDSN(dsn)
	if err != nil {
		return Source{}, fmt.Errorf("supertokens: source DSN: %w", err)
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return Source{}, fmt.Errorf("supertokens: source DSN: %w", err)
	}
	return Source{DB: sql.OpenDB(conn), Dialect: MySQL}, nil
}
