package fleet

import (
	"net/url"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/ginsession/ginsession/internal/mysqltest"
)

func init() { backends["mariadb"] = newMariaDB }

// newMariaDB: the instances connect to MariaDB directly with
// -db mysql://root@127.0.0.1:PORT/db. MariaDB has no LISTEN: the instances
// learn revocations by polling, and hold no connection outside their pool,
// so one instance's budget is MaxOpenConns.
func newMariaDB(t *testing.T) backend {
	t.Helper()
	return &serverBackend{
		srv:         mysqltest.StartServer(t),
		driver:      "mysql",
		adminDSN:    mysqlAdminDSN,
		args:        func(_ testing.TB, direct string) []string { return []string{"-db", direct} },
		perInstance: maxOpenConns,
		dbName:      mysqlDBName,
		// PROCESSLIST's DB is each connection's current database: the
		// instances' pools, the database named in their DSN.
		connsQuery: `SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()`,
		keysQuery:  keysQuery,
	}
}

func mysqlURL(t testing.TB, direct string) *url.URL {
	t.Helper()
	u, err := url.Parse(direct)
	if err != nil || u.Scheme != "mysql" || len(u.Path) < 2 {
		t.Fatalf("fleet: %q is not a mysql:// URL naming a database", direct)
	}
	return u
}

func mysqlDBName(t testing.TB, direct string) string {
	t.Helper()
	return mysqlURL(t, direct).Path[1:]
}

// mysqlAdminDSN turns mysqltest's mysql://user[:password]@host:port/db into
// the driver's DSN, with times read back as UTC time.Time (sign_from).
func mysqlAdminDSN(t testing.TB, direct string) string {
	t.Helper()
	u := mysqlURL(t, direct)
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", u.Host, u.Path[1:]
	cfg.ParseTime = true
	return cfg.FormatDSN()
}
