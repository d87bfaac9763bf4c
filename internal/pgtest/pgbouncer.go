package pgtest

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Bouncer is a pgbouncer in transaction pooling mode in front of the shared
// test server: the way many deployments share one Postgres among many
// application instances. In transaction mode a server connection belongs
// to a client only for one transaction, so session state (server-side
// prepared statements, session advisory locks, LISTEN) does not survive
// between transactions; the DSNs it hands out ask pgx for the simple
// protocol, which prepares nothing on the server.
type Bouncer struct {
	srv  *server
	port int
}

// StartBouncer starts a pgbouncer for t (stopped when t ends) in front of
// the shared server, starting that on first use. Without a pgbouncer binary
// it skips t (fails it when CI=true).
func StartBouncer(t testing.TB) *Bouncer {
	t.Helper()
	return startBouncer(t, get(t), "")
}

// StartBouncer starts a pgbouncer for t (stopped when t ends) in front of
// this private server, which must be running. The bouncer outlives the
// server's Stop: while the server is down it refuses new clients with
// "server login has been failing" and keeps the queries it was already
// waiting on waiting (at most 10 s, query_wait_timeout; default 120 s);
// it tries the server again every second (server_login_retry; default
// 15 s, which would keep refusing clients up to 15 s after Start). Create
// databases with s.NewDatabase and reach them through the bouncer with
// Through.
func (s *Server) StartBouncer(t testing.TB) *Bouncer {
	t.Helper()
	return startBouncer(t, s.srv, "server_login_retry = 1\nquery_wait_timeout = 10\n")
}

// startBouncer starts pgbouncer in front of srv; extra is appended to the
// [pgbouncer] section of its configuration.
func startBouncer(t testing.TB, srv *server, extra string) *Bouncer {
	t.Helper()
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		bin = "/usr/sbin/pgbouncer"
	}
	if _, statErr := os.Stat(bin); statErr != nil {
		msg := "pgtest: no pgbouncer binary (install pgbouncer)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; CI=true requires it")
		}
		t.Skip(msg)
	}
	if srv.url == nil {
		t.Skip("pgtest: pgbouncer needs the server as a postgres:// URL")
	}
	pgHost, pgPort, err := net.SplitHostPort(srv.url.Host)
	if err != nil {
		t.Fatalf("pgtest: server address %q: %v", srv.url.Host, err)
	}
	pgUser := srv.url.User.Username()
	// Not t.TempDir: its parent is private to root, and pgbouncer runs as
	// the server's user.
	dir, err := os.MkdirTemp("", "ginsession-pgbouncer-")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if srv.runAs != nil {
		if err := chownTo(dir, srv.runAs); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	// auth_type any: the tests' server trusts loopback, and every database
	// is reached as the server's user, whatever the client says.
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%s user=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = any
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
logfile = %s
%s`, pgHost, pgPort, pgUser, port, filepath.Join(dir, "pgbouncer.log"), extra)
	iniPath := filepath.Join(dir, "pgbouncer.ini")
	if err := os.WriteFile(iniPath, []byte(ini), 0o644); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	cmd := exec.Command(bin, iniPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if srv.runAs != nil { // pgbouncer refuses to run as root
		if err := runAsUser(cmd, srv.runAs); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("pgtest: starting pgbouncer: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	b := &Bouncer{srv: srv, port: port}
	probe := b.dsnFor(srv.url.Path[min(1, len(srv.url.Path)):])
	if err := ping(probe, 10*time.Second); err != nil {
		_ = cmd.Process.Kill()
		<-done // stderr is complete
		log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
		t.Fatalf("pgtest: pgbouncer did not answer: %v\n%s%s", err, tail(string(log), 2000), tail(stderr.String(), 2000))
	}
	return b
}

// NewDatabase creates an empty database on the server behind the bouncer
// (dropped when t ends) and returns a DSN that reaches it through the
// bouncer, and one that reaches it directly (what LISTEN needs).
func (b *Bouncer) NewDatabase(t testing.TB) (through, direct string) {
	t.Helper()
	direct = NewDatabase(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return b.dsnFor(u.Path[1:]), direct
}

// Through returns the DSN that reaches, through the bouncer, the database
// a DSN of the server behind it (direct) names.
func (b *Bouncer) Through(t testing.TB, direct string) string {
	t.Helper()
	u, err := url.Parse(direct)
	if err != nil || len(u.Path) < 2 {
		t.Fatalf("pgtest: Through: %q is not a postgres:// URL naming a database", direct)
	}
	return b.dsnFor(u.Path[1:])
}

func (b *Bouncer) dsnFor(db string) string {
	u := url.URL{Scheme: "postgres", User: b.srv.url.User, Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port)), Path: "/" + db}
	u.RawQuery = "sslmode=disable&default_query_exec_mode=simple_protocol"
	return u.String()
}
