package mysqltest_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/ginsession/ginsession/internal/mysqltest"
	"github.com/ginsession/ginsession/store/mysqlstore"
)

func TestMain(m *testing.M) { mysqltest.Main(m) }

// open opens a pool on a DSN mysqltest returned, read by the store's own
// parser (the DSNs are for stores), and closes it when t ends, before the
// database is dropped.
func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db := openUnclosed(t, dsn)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func openUnclosed(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	cfg, err := mysqlstore.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("mysqlstore.ParseDSN(%q): %v", dsn, err)
	}
	cfg.Timeout = 3 * time.Second
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sql.OpenDB(connector)
}

// ctx bounds one statement. Not t.Context(): it is canceled before the
// cleanups run, and some statements run in cleanups.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func exec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(ctx(t), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func dbName(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("DSN %q: %v", dsn, err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

func databaseExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	if err := db.QueryRowContext(ctx(t), "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&n); err != nil {
		t.Fatalf("look for database %s: %v", name, err)
	}
	return n == 1
}

var sharedName = regexp.MustCompile(`^ginsession_test_[0-9a-f]{16}$`)

func TestNewDatabaseTwoSeparateDatabases(t *testing.T) {
	begin := time.Now()
	dsn1 := mysqltest.NewDatabase(t)
	t.Logf("first NewDatabase (starts the shared server unless %s is set): %v", mysqltest.EnvDSN, time.Since(begin))
	dsn2 := mysqltest.NewDatabase(t)

	for _, dsn := range []string{dsn1, dsn2} {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("DSN %q: %v", dsn, err)
		}
		if u.Scheme != "mysql" || !sharedName.MatchString(dbName(t, dsn)) {
			t.Errorf("DSN %q: want mysql://…/ginsession_test_<16 hex digits>", dsn)
		}
		if os.Getenv(mysqltest.EnvDSN) == "" && (u.User.Username() != "root" || u.Hostname() != "127.0.0.1" || u.Port() == "") {
			t.Errorf("DSN %q: want mysql://root@127.0.0.1:port/…", dsn)
		}
	}
	name1, name2 := dbName(t, dsn1), dbName(t, dsn2)
	if name1 == name2 {
		t.Fatalf("both databases are named %s", name1)
	}

	db1, db2 := open(t, dsn1), open(t, dsn2)
	for db, want := range map[*sql.DB]string{db1: name1, db2: name2} {
		var got string
		if err := db.QueryRowContext(ctx(t), "SELECT DATABASE()").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("connected to database %q, want %q", got, want)
		}
	}

	exec(t, db1, "CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(50) NOT NULL)")
	exec(t, db1, "INSERT INTO items VALUES (1, 'in one')")

	// The table does not exist in the other database.
	var n int
	err := db2.QueryRowContext(ctx(t), "SELECT COUNT(*) FROM items").Scan(&n)
	var myErr *mysql.MySQLError
	if !errors.As(err, &myErr) || myErr.Number != 1146 { // ER_NO_SUCH_TABLE
		t.Fatalf("items in the second database: got %v, want error 1146 (no such table)", err)
	}
	// The same table and key there are another row.
	exec(t, db2, "CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(50) NOT NULL)")
	exec(t, db2, "INSERT INTO items VALUES (1, 'in two')")
	for db, want := range map[*sql.DB]string{db1: "in one", db2: "in two"} {
		var got string
		if err := db.QueryRowContext(ctx(t), "SELECT v FROM items WHERE id = 1").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("row 1 = %q, want %q", got, want)
		}
		if err := db.QueryRowContext(ctx(t), "SELECT COUNT(*) FROM items").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%d rows, want 1", n)
		}
	}
}

// TestNewDatabaseDroppedWhenTestEnds: the database outlives the cleanups
// the test registers after NewDatabase (closing a store, say), then is
// dropped even though a connection left a transaction open on one of its
// tables (which would make a plain DROP DATABASE wait for its lock).
func TestNewDatabaseDroppedWhenTestEnds(t *testing.T) {
	observer := open(t, mysqltest.NewDatabase(t))

	var name string
	var leaked *sql.DB
	var tx *sql.Tx
	existedInLaterCleanup := false
	t.Run("uses a database", func(t *testing.T) {
		dsn := mysqltest.NewDatabase(t)
		name = dbName(t, dsn)
		t.Cleanup(func() { existedInLaterCleanup = databaseExists(t, observer, name) })

		leaked = openUnclosed(t, dsn)
		exec(t, leaked, "CREATE TABLE items (id INT PRIMARY KEY)")
		var err error
		// Not a context canceled when the subtest ends: database/sql would
		// roll the transaction back then.
		if tx, err = leaked.BeginTx(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec("INSERT INTO items VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		if !databaseExists(t, observer, name) {
			t.Fatalf("database %s not found on the server", name)
		}
	})
	defer leaked.Close()
	if !existedInLaterCleanup {
		t.Error("the database was gone when a cleanup registered after NewDatabase ran")
	}
	if databaseExists(t, observer, name) {
		t.Errorf("database %s still exists after its test ended", name)
	}
	if err := tx.Rollback(); err == nil {
		t.Error("the transaction left open on the dropped database survived: its connection was not killed")
	}
}

// TestSharedServerSettings: the options the shared server was started
// with took effect, and it accepts the connections fleet tests open.
func TestSharedServerSettings(t *testing.T) {
	db := open(t, mysqltest.NewDatabase(t))
	if os.Getenv(mysqltest.EnvDSN) != "" {
		t.Skipf("the server is %s's: its settings are its own", mysqltest.EnvDSN)
	}
	var maxConns, flushAtCommit, logBin, doublewrite, openFiles, tableCache int
	var bind string
	if err := db.QueryRowContext(ctx(t), "SELECT @@max_connections, @@innodb_flush_log_at_trx_commit, @@log_bin, @@innodb_doublewrite, @@bind_address, @@open_files_limit, @@table_open_cache").
		Scan(&maxConns, &flushAtCommit, &logBin, &doublewrite, &bind, &openFiles, &tableCache); err != nil {
		t.Fatal(err)
	}
	t.Logf("open_files_limit=%d table_open_cache=%d", openFiles, tableCache)
	if maxConns != 500 || flushAtCommit != 2 || logBin != 0 || doublewrite != 0 || bind != "127.0.0.1" {
		t.Errorf("max_connections=%d innodb_flush_log_at_trx_commit=%d log_bin=%d innodb_doublewrite=%d bind_address=%s; want 500, 2, 0, 0, 127.0.0.1",
			maxConns, flushAtCommit, logBin, doublewrite, bind)
	}

	// Hold 450 connections at once (the limit is 500; the server keeps one
	// for a SUPER user beyond it).
	const hold = 450
	begin := time.Now()
	conns := make([]*sql.Conn, 0, hold)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for len(conns) < hold {
		c, err := db.Conn(ctx(t))
		if err != nil {
			t.Fatalf("connection %d: %v", len(conns)+1, err)
		}
		conns = append(conns, c)
		if err := c.PingContext(ctx(t)); err != nil {
			t.Fatalf("connection %d: %v", len(conns), err)
		}
	}
	var connected int
	if err := conns[0].QueryRowContext(ctx(t), "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'THREADS_CONNECTED'").Scan(&connected); err != nil {
		t.Fatal(err)
	}
	if connected < hold {
		t.Errorf("Threads_connected = %d with %d connections held", connected, hold)
	}
	t.Logf("%d connections held at once (Threads_connected %d), opened in %v", hold, connected, time.Since(begin))
}

// TestServerStopStart: a stopped server cuts its connections and refuses
// new ones; started again, on the same port, it has the data committed
// before.
func TestServerStopStart(t *testing.T) {
	begin := time.Now()
	srv := mysqltest.StartServer(t)
	t.Logf("StartServer (install + start): %v", time.Since(begin))
	dsn := srv.NewDatabase(t)
	if want := srv.AdminDSN() + dbName(t, dsn); dsn != want {
		t.Errorf("NewDatabase = %q, want AdminDSN + name = %q", dsn, want)
	}
	if !strings.HasPrefix(dbName(t, dsn), "ginsession_fault_") {
		t.Errorf("private database %q: want the ginsession_fault_ prefix", dsn)
	}
	private, _ := url.Parse(dsn)
	shared, _ := url.Parse(mysqltest.NewDatabase(t))
	if private.Host == shared.Host {
		t.Errorf("the private server is at %s, like the shared one", private.Host)
	}

	db := open(t, dsn)
	exec(t, db, "CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(50) NOT NULL)")
	exec(t, db, "INSERT INTO items VALUES (1, 'committed before the stop')")
	held, err := db.Conn(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	begin = time.Now()
	srv.Stop(t)
	t.Logf("Stop: %v", time.Since(begin))

	if err := held.PingContext(ctx(t)); err == nil {
		t.Error("a connection opened before Stop still answers")
	}
	fresh := open(t, dsn)
	if err := fresh.PingContext(ctx(t)); err == nil {
		t.Fatal("a new connection succeeded while the server is stopped")
	}

	begin = time.Now()
	srv.Start(t)
	t.Logf("Start: %v", time.Since(begin))

	after := open(t, dsn)
	var v string
	if err := after.QueryRowContext(ctx(t), "SELECT v FROM items WHERE id = 1").Scan(&v); err != nil {
		t.Fatalf("after Start: %v", err)
	}
	if v != "committed before the stop" {
		t.Errorf("after Start: row 1 = %q", v)
	}
	exec(t, after, "INSERT INTO items VALUES (2, 'after the start')")
}
