// Package mysqltest gives tests a real MariaDB server.
//
// With GINSESSION_TEST_MYSQL_DSN set (a mysql://user:password@host:port/
// URL), tests use that server (the URL's user must be allowed to CREATE
// DATABASE). Otherwise the first test that asks starts a private server from
// the machine's mariadb-install-db and mariadbd (Debian's mariadb-server; the
// mysql_install_db and mysqld names also do) in a temporary directory,
// listening on a free loopback port. Main stops it and removes the directory
// when the tests finish.
//
// The server runs with MariaDB's compiled-in defaults (--no-defaults) except
// for what makes it fast and private (see serverArgs): in particular the
// server's character set is MariaDB 10.11's default, latin1, not the
// utf8mb4 that Debian's packaged configuration sets, so a store must name
// the character set of its tables itself. Durability is traded for speed
// (no doublewrite buffer, the redo log written but not flushed at each
// commit): a clean Stop keeps every commit, a crash of the machine would not.
//
// Without MariaDB, tests that ask for it are skipped with a message, except
// when CI=true, where they fail.
package mysqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// EnvDSN names the environment variable holding an external server's DSN,
// a URL: mysql://user:password@host:port/ (query parameters are the
// driver's, as in store/mysqlstore).
const EnvDSN = "GINSESSION_TEST_MYSQL_DSN"

// The process-wide server the tests share. Test-only package state: one
// server per test binary, started on first use.
var (
	startOnce sync.Once
	shared    *server
	startErr  error
)

// server is a server the tests create databases on: an external one named
// by EnvDSN, or one this package started (local != nil).
type server struct {
	admin *mysql.Config // the administrative connection, no database selected
	url   *url.URL      // the server as a mysql:// URL; dsnFor sets the path
	local *local
}

// Main runs the tests, then stops the server mysqltest started (if any),
// removes its directory and exits with the tests' code. Call it from
// TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Shutdown()
	os.Exit(code)
}

// Shutdown stops the server mysqltest started (if any) and removes its
// directory. Main calls it; a TestMain that also uses pgtest calls it
// itself, after m.Run.
func Shutdown() {
	if shared != nil && shared.local != nil {
		if err := shared.local.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "mysqltest: %v\n", err)
		}
		if err := os.RemoveAll(shared.local.dir); err != nil {
			fmt.Fprintf(os.Stderr, "mysqltest: %v\n", err)
		}
	}
}

// NewDatabase returns the DSN of a new, empty database on the shared server,
// starting the server on first use: a URL, mysql://root@127.0.0.1:port/name
// for a server this package started, or EnvDSN's URL with the database
// name as its path. Without MariaDB it skips the test (fails it when
// CI=true). The database is dropped when the test ends, after cleanups
// registered later (such as closing a store on it) have run; connections
// still using it then are killed first.
func NewDatabase(t testing.TB) string {
	t.Helper()
	srv := get(t)
	name := srv.createDatabase(t, "ginsession_test_")
	t.Cleanup(func() {
		if err := srv.dropDatabase(name); err != nil {
			t.Errorf("mysqltest: %v", err)
		}
	})
	return srv.dsnFor(name)
}

func get(t testing.TB) *server {
	t.Helper()
	startOnce.Do(func() { shared, startErr = start() })
	if startErr != nil {
		skipOrFail(t, fmt.Sprintf("mysqltest: no MariaDB available: %v (install mariadb-server, or set %s to a server's mysql:// URL)", startErr, EnvDSN))
	}
	return shared
}

func skipOrFail(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI=true requires MariaDB")
	}
	t.Skip(msg)
}

func start() (*server, error) {
	raw := os.Getenv(EnvDSN)
	if raw == "" {
		return startLocal()
	}
	s, err := external(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvDSN, err)
	}
	if err := ping(s.admin, 10*time.Second, nil); err != nil {
		return nil, fmt.Errorf("%s: %w", EnvDSN, err)
	}
	return s, nil
}

// external describes the server at a mysql:// (or mariadb://) URL.
func external(raw string) (*server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the URL, password included.
		return nil, errors.New("not a mysql:// URL")
	}
	if u.Scheme != "mysql" && u.Scheme != "mariadb" {
		return nil, fmt.Errorf("want a mysql:// URL, got scheme %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, errors.New("mysql:// URL without a host")
	}
	cfg := mysql.NewConfig()
	if u.RawQuery != "" {
		// The driver's parser applies the driver's parameters (tls=true,
		// timeout=5s, ...), with its own validation.
		if cfg, err = mysql.ParseDSN("/?" + u.RawQuery); err != nil {
			return nil, fmt.Errorf("mysql:// URL parameters: %w", err)
		}
	}
	port := u.Port()
	if port == "" {
		port = "3306"
	}
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(u.Hostname(), port)
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.DBName = strings.Trim(u.Path, "/")
	return &server{admin: cfg, url: u}, nil
}

// createDatabase creates an empty database named prefix + random hex on
// the running server and returns its name.
func (s *server) createDatabase(t testing.TB, prefix string) string {
	t.Helper()
	name := prefix + randomHex(t, 8)
	db := s.openAdmin()
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
		t.Fatalf("mysqltest: create database %s: %v", name, err)
	}
	return name
}

// dropDatabase drops a database, killing the connections that still use it
// first: MariaDB has no DROP DATABASE ... WITH (FORCE), and a connection
// left in a transaction on one of its tables would make the drop wait for
// its metadata lock (a day, by default).
func (s *server) dropDatabase(name string) error {
	db := s.openAdmin()
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	defer conn.Close()
	// A connection that holds a lock on the database's tables while it uses
	// another database is not found below: wait for it a bounded time.
	if _, err := conn.ExecContext(ctx, "SET SESSION lock_wait_timeout = 30"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	rows, err := conn.QueryContext(ctx,
		"SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()", name)
	if err != nil {
		return fmt.Errorf("drop database %s: list its connections: %w", name, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("drop database %s: list its connections: %w", name, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("drop database %s: list its connections: %w", name, err)
	}
	for _, id := range ids {
		// Errors ignored: the connection may have ended meanwhile.
		_, _ = conn.ExecContext(ctx, "KILL CONNECTION "+strconv.FormatInt(id, 10))
	}
	if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

func (s *server) dsnFor(db string) string {
	u := *s.url
	u.Path = "/" + db
	u.RawPath = ""
	return u.String()
}

func (s *server) openAdmin() *sql.DB {
	return openConfig(s.admin)
}

// openConfig opens a pool on cfg (which is copied: the caller may change
// its own afterwards).
func openConfig(cfg *mysql.Config) *sql.DB {
	connector, err := mysql.NewConnector(cfg.Clone())
	if err != nil {
		// NewConnector fails only on a configuration it cannot normalize;
		// ours come from NewConfig or the driver's parser.
		panic(fmt.Sprintf("mysqltest: %v", err))
	}
	return sql.OpenDB(connector)
}

// ping waits until the server at cfg answers, for at most within. A
// non-nil exited is closed when the server process has ended: waiting
// longer is pointless.
func ping(cfg *mysql.Config, within time.Duration, exited <-chan struct{}) error {
	c := cfg.Clone()
	if c.Timeout == 0 || c.Timeout > 5*time.Second {
		c.Timeout = 5 * time.Second
	}
	db := openConfig(c)
	defer db.Close()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("the server exited: %w", err)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server does not accept connections after %v: %w", within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("mysqltest: %v", err)
	}
	return hex.EncodeToString(b)
}
