package fleet

import (
	"context"
	"database/sql"
	"net/url"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the harness's own connection

	"github.com/ginsession/ginsession/internal/pgtest"
)

// backend is one kind of database the fleet runs on (-fleet.db). It is
// started once per TestFleet and gives each run an empty database.
type backend interface {
	newDatabase(t *testing.T) database
}

// backends maps -fleet.db names to their constructors; t is TestFleet's
// test, so a backend's server outlives the runs made on it. A database kind
// is added by registering it here (mariadb_test.go registers "mariadb").
var backends = map[string]func(t *testing.T) backend{
	"postgres":  newPostgres,
	"pgbouncer": newPgbouncer,
}

// database is one run's database, as the harness sees it.
type database interface {
	// Args are the example's flags that point an instance at it.
	Args() []string
	// PerInstance is one instance's connection budget: the pool's
	// MaxOpenConns plus the connections it holds outside the pool.
	PerInstance() int
	// Stop and Start stop the server and start it again (the restart the
	// harness injects). They must run on the test's goroutine.
	Stop(t testing.TB)
	Start(t testing.TB)
	// Connections counts the clients connected to the database now, the
	// harness's own connection excluded.
	Connections(ctx context.Context) (int, error)
	// SigningKeys lists the rows of the signing-key table, oldest turn
	// first.
	SigningKeys(ctx context.Context) ([]signingKey, error)
}

type signingKey struct {
	ID       string
	SignFrom time.Time
}

// maxOpenConns is the instances' pool size: gormstore.DefaultMaxOpenConns,
// which the example does not change.
const maxOpenConns = 10

// restartable is what a backend needs of a test server: pgtest.Server has
// it, and so has mysqltest.Server.
type restartable interface {
	NewDatabase(t testing.TB) string
	Stop(t testing.TB)
	Start(t testing.TB)
}

// serverBackend is a backend on a restartable server whose databases the
// harness reaches with database/sql.
type serverBackend struct {
	srv restartable
	// driver is the database/sql driver of the harness's connection, and
	// adminDSN turns a database's direct DSN into its DSN.
	driver   string
	adminDSN func(t testing.TB, direct string) string
	// args returns the instances' flags for a database's direct DSN.
	args func(t testing.TB, direct string) []string
	// perInstance is one instance's connection budget.
	perInstance int
	// dbName returns the database name of a direct DSN, and connsQuery
	// counts the client connections to the database it is given as its one
	// argument, the caller's own excluded.
	dbName     func(t testing.TB, direct string) string
	connsQuery string
	// keysQuery lists the signing keys (id, sign_from) by sign_from.
	keysQuery string
}

func (b *serverBackend) newDatabase(t *testing.T) database {
	t.Helper()
	direct := b.srv.NewDatabase(t)
	admin, err := sql.Open(b.driver, b.adminDSN(t, direct))
	if err != nil {
		t.Fatalf("fleet: admin connection: %v", err)
	}
	// One connection: the counting query excludes the caller's own.
	admin.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = admin.Close() })
	return &serverDatabase{b: b, args: b.args(t, direct), admin: admin, name: b.dbName(t, direct)}
}

type serverDatabase struct {
	b     *serverBackend
	args  []string
	admin *sql.DB
	name  string
}

func (d *serverDatabase) Args() []string     { return d.args }
func (d *serverDatabase) PerInstance() int   { return d.b.perInstance }
func (d *serverDatabase) Stop(t testing.TB)  { t.Helper(); d.b.srv.Stop(t) }
func (d *serverDatabase) Start(t testing.TB) { t.Helper(); d.b.srv.Start(t) }

func (d *serverDatabase) Connections(ctx context.Context) (int, error) {
	var n int
	err := d.admin.QueryRowContext(ctx, d.b.connsQuery, d.name).Scan(&n)
	return n, err
}

func (d *serverDatabase) SigningKeys(ctx context.Context) ([]signingKey, error) {
	rows, err := d.admin.QueryContext(ctx, d.b.keysQuery)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []signingKey
	for rows.Next() {
		var k signingKey
		if err := rows.Scan(&k.ID, &k.SignFrom); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// Postgres: a private pgtest server (so that it may be stopped), which
// skips the test without Postgres and fails it with CI=true.

const (
	pgConnsQuery = `SELECT count(*) FROM pg_stat_activity
		WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`
	keysQuery = `SELECT id, sign_from FROM ginsession_signing_keys ORDER BY sign_from, id`
)

func pgDBName(t testing.TB, direct string) string {
	t.Helper()
	u, err := url.Parse(direct)
	if err != nil || len(u.Path) < 2 {
		t.Fatalf("fleet: %q is not a postgres:// URL naming a database", direct)
	}
	return u.Path[1:]
}

func pgAdminDSN(t testing.TB, direct string) string {
	t.Helper()
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatalf("fleet: %v", err)
	}
	q := u.Query()
	q.Set("application_name", "ginsession-fleet-admin")
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	return u.String()
}

// newPostgres: the instances connect to Postgres directly; each holds at
// most MaxOpenConns pooled connections plus one that LISTENs for
// revocations.
func newPostgres(t *testing.T) backend {
	t.Helper()
	return &serverBackend{
		srv:         pgtest.StartServer(t),
		driver:      "pgx",
		adminDSN:    pgAdminDSN,
		args:        func(_ testing.TB, direct string) []string { return []string{"-db", direct} },
		perInstance: maxOpenConns + 1,
		dbName:      pgDBName,
		connsQuery:  pgConnsQuery,
		keysQuery:   keysQuery,
	}
}

// newPgbouncer: the instances' queries go through pgbouncer in transaction
// mode (simple protocol, as docs/deployment.md says), and their LISTEN connection
// straight to the server (-listen-dsn). The server's connections are
// pgbouncer's (at most one per client transaction in progress, so at most
// the instances' pools) plus the listeners: the same budget as direct.
func newPgbouncer(t *testing.T) backend {
	t.Helper()
	srv := pgtest.StartServer(t)
	bouncer := srv.StartBouncer(t)
	return &serverBackend{
		srv:      srv,
		driver:   "pgx",
		adminDSN: pgAdminDSN,
		args: func(t testing.TB, direct string) []string {
			return []string{"-db", bouncer.Through(t, direct), "-listen-dsn", direct}
		},
		perInstance: maxOpenConns + 1,
		dbName:      pgDBName,
		connsQuery:  pgConnsQuery,
		keysQuery:   keysQuery,
	}
}
