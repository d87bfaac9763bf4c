package main

import (
	"strings"

	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/mysqlstore"
	"github.com/ginsession/ginsession/store/postgresstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

// openStore opens the session store the DSN names: a "postgres://" or
// "postgresql://" URL, or a libpq keyword DSN such as "host=db user=app
// dbname=app", opens Postgres; a "mysql://" or "mariadb://" URL opens
// MariaDB; anything else is taken as an SQLite file path. The example
// supports all three, so it imports every opener (and needs cgo for
// SQLite); an application using one database imports only its opener.
func openStore(dsn string, opts gormstore.Options) (*gormstore.GORMStore, error) {
	switch {
	case isPostgresDSN(dsn):
		return postgresstore.Open(dsn, opts)
	case isMySQLURL(dsn):
		return mysqlstore.Open(dsn, opts)
	}
	return sqlitestore.Open(dsn, opts)
}

// isMySQLURL reports whether dsn is a mysql:// or mariadb:// URL.
func isMySQLURL(dsn string) bool {
	lower := strings.ToLower(strings.TrimSpace(dsn))
	return strings.HasPrefix(lower, "mysql://") || strings.HasPrefix(lower, "mariadb://")
}

var libpqKeywords = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true,
	"password": true, "sslmode": true, "service": true, "connect_timeout": true,
}

// isPostgresDSN reports whether dsn is a Postgres URL or a libpq keyword
// DSN (its first word is key=value with a libpq key).
func isPostgresDSN(dsn string) bool {
	lower := strings.ToLower(strings.TrimSpace(dsn))
	if strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		return true
	}
	first, _, _ := strings.Cut(lower, " ")
	key, _, ok := strings.Cut(first, "=")
	return ok && libpqKeywords[strings.TrimSpace(key)]
}
