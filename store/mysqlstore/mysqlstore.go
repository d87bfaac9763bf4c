// Package mysqlstore opens a ginsession store on MariaDB (or MySQL): like
// Postgres, a database several application instances share.
//
// It imports gorm.io/driver/mysql (github.com/go-sql-driver/mysql, pure
// Go), not the SQLite or Postgres drivers, so an application that imports it
// alone builds with CGO_ENABLED=0.
//
// The store is tested on MariaDB 10.11 (Debian 12's mariadb-server). It
// writes SQL that MySQL 8 also accepts, but no test here runs MySQL.
// MariaDB has no LISTEN/NOTIFY: a revocation reaches the other instances by
// polling (ginsession's RevocationPollInterval, 250 ms by default).
package mysqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"

	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/internal/gormconn"
)

// Open opens a MariaDB or MySQL database and returns a store on it, with
// its tables created. dsn is either a URL,
//
//	mysql://user:password@host:port/dbname?param=value
//
// (also "mariadb://"; the port defaults to 3306, a host of the form
// "unix(/path/to/socket)" is not accepted: use the driver's DSN form), or the
// driver's own DSN, user:password@tcp(host:port)/dbname?param=value.
// Query parameters are the driver's (github.com/go-sql-driver/mysql), such
// as tls=true or timeout=5s.
//
// The store needs times read back as UTC time.Time and text in utf8mb4, so
// Open sets parseTime=true, loc=UTC, clientFoundRows=false, charset utf8mb4
// and the session's time_zone to +00:00 whatever the DSN says, and strict SQL mode (a value
// too long for its column is an error, never silently cut). The pool is
// capped at opts.MaxOpenConns connections (default
// gormstore.DefaultMaxOpenConns, 10; all kept idle), and the budget is as
// for Postgres: instances × MaxOpenConns below the server's max_connections
// (151 by default on MariaDB). The store's Close closes the pool.
func Open(dsn string, opts gormstore.Options) (*gormstore.GORMStore, error) {
	cfg, err := ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mysqlstore: Open: %w", err)
	}
	conns := opts.MaxOpenConns
	if conns < 0 {
		return nil, fmt.Errorf("mysqlstore: Open: Options.MaxOpenConns %d is negative", conns)
	}
	if conns == 0 {
		conns = gormstore.DefaultMaxOpenConns
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("mysqlstore: Open: %w", err)
	}
	sqlDB := sql.OpenDB(connector)
	sqlDB.SetMaxOpenConns(conns)
	sqlDB.SetMaxIdleConns(conns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	// Below MariaDB's wait_timeout (8 hours by default), after which the
	// server drops an idle connection and the next query on it would fail.
	sqlDB.SetConnMaxLifetime(time.Hour)
	db, err := gorm.Open(gormmysql.New(gormmysql.Config{Conn: sqlDB, SkipInitializeWithVersion: true}), gormconn.Config())
	if err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("mysqlstore: Open: %w", err)
	}
	c := &gormconn.Conns{Read: db, Write: db, Owned: []*sql.DB{sqlDB}}
	s, err := gormconn.NewStore[gormstore.Options, *gormstore.GORMStore](c, opts)
	if err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// ParseDSN turns a mysql:// (or mariadb://) URL or a driver DSN into the
// driver's configuration, with the settings the store needs (see Open)
// forced. It is exported for applications that open the pool themselves
// and pass it to gormstore.New: the store checks at New that the handle
// reads times back as it wrote them, and refuses it otherwise.
func ParseDSN(dsn string) (*mysql.Config, error) {
	var cfg *mysql.Config
	lower := strings.ToLower(dsn)
	if strings.HasPrefix(lower, "mysql://") || strings.HasPrefix(lower, "mariadb://") {
		var err error
		if cfg, err = fromURL(dsn); err != nil {
			return nil, err
		}
	} else {
		var err error
		if cfg, err = mysql.ParseDSN(dsn); err != nil {
			return nil, fmt.Errorf("not a mysql:// URL or a driver DSN: %w", redact(err, dsn))
		}
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	// The store reads MariaDB's count of changed rows (AddSigningKey's
	// guard); clientFoundRows=true would count matched ones.
	cfg.ClientFoundRows = false
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	delete(cfg.Params, "charset")
	cfg.Collation = "utf8mb4_bin"
	cfg.Params["time_zone"] = "'+00:00'"
	cfg.Params["sql_mode"] = "'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'"
	return cfg, nil
}

// fromURL parses mysql://user:password@host:port/dbname?params.
func fromURL(raw string) (*mysql.Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, password included.
		return nil, errors.New("malformed mysql:// URL")
	}
	if u.Host == "" {
		return nil, errors.New("mysql:// URL without a host")
	}
	cfg := mysql.NewConfig()
	cfg.Net = "tcp"
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "3306"
	}
	cfg.Addr = net.JoinHostPort(host, port)
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	if cfg.DBName == "" || strings.Contains(cfg.DBName, "/") {
		return nil, fmt.Errorf("mysql:// URL: want one database name in the path, got %q", u.Path)
	}
	// The driver's own parser applies the query parameters, so every
	// parameter it knows works here too, with its own validation.
	if q := u.RawQuery; q != "" {
		withParams, err := mysql.ParseDSN("/?" + q)
		if err != nil {
			return nil, fmt.Errorf("mysql:// URL parameters: %w", err)
		}
		withParams.User, withParams.Passwd, withParams.Net, withParams.Addr, withParams.DBName =
			cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName
		cfg = withParams
	}
	return cfg, nil
}

// redact removes the DSN's password from a driver error, in case the
// driver quotes it.
func redact(err error, dsn string) error {
	at := strings.LastIndex(dsn, "@")
	if at < 0 {
		return err
	}
	_, pass, ok := strings.Cut(dsn[:at], ":")
	if !ok || pass == "" || !strings.Contains(err.Error(), pass) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), pass, "***"))
}
