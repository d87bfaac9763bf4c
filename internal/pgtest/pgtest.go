// Package pgtest gives tests a real Postgres server.
//
// With GINSESSION_TEST_POSTGRES_DSN set, tests use that server (the DSN's
// role must be allowed to CREATE DATABASE). Otherwise the first test that asks
// starts a private server from the machine's initdb and pg_ctl (PATH first,
// then the newest /usr/lib/postgresql/*/bin) in a temporary directory,
// listening on a free loopback port, as the "postgres" OS user when running as
// root. Main stops it and removes the directory when the tests finish.
//
// StartBouncer puts Debian's pgbouncer, in transaction pooling mode, in
// front of that server, for tests of the deployment many instances use
// (Server.StartBouncer in front of a private, restartable one).
//
// Without Postgres (or pgbouncer), tests that ask for it are skipped with a
// message, except when CI=true, where they fail.
package pgtest

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
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// EnvDSN names the environment variable holding an external server's DSN.
const EnvDSN = "GINSESSION_TEST_POSTGRES_DSN"

// server is the process-wide Postgres the tests share. Test-only package
// state: one server per test binary, started on first use.
var (
	startOnce sync.Once
	shared    *server
	startErr  error
)

type server struct {
	adminDSN string // URL or keyword DSN of the maintenance database
	url      *url.URL
	keyword  bool // adminDSN is a keyword DSN, not a URL

	// Set only for a server this package started.
	dir, dataDir, pgCtl string
	runAs               *user.User
}

// Main runs the tests, then stops the server pgtest started (if any), removes
// its directory and exits with the tests' code. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Shutdown()
	os.Exit(code)
}

// Shutdown stops the server pgtest started (if any) and removes its
// directory. Main calls it; a TestMain that also uses mysqltest calls it
// itself, after m.Run.
func Shutdown() {
	if shared != nil && shared.dataDir != "" {
		if err := shared.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
	}
}

// NewDatabase returns the DSN of a new, empty database on the shared server,
// starting the server on first use. Without Postgres it skips the test (fails
// it when CI=true). The database is dropped when the test ends, after
// cleanups registered later (such as closing a store on it) have run.
func NewDatabase(t testing.TB) string {
	t.Helper()
	srv := get(t)
	name := srv.createDatabase(t, "ginsession_test_")
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", srv.adminDSN)
		if err != nil {
			t.Errorf("pgtest: %v", err)
			return
		}
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return srv.dsnFor(name)
}

// Version returns the server's SELECT version() text, starting the server on
// first use (skipping or failing like NewDatabase).
func Version(t testing.TB) string {
	t.Helper()
	srv := get(t)
	db, err := sql.Open("pgx", srv.adminDSN)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow("SELECT version()").Scan(&v); err != nil {
		t.Fatalf("pgtest: SELECT version(): %v", err)
	}
	return v
}

func get(t testing.TB) *server {
	t.Helper()
	startOnce.Do(func() { shared, startErr = start() })
	if startErr != nil {
		msg := fmt.Sprintf("pgtest: no Postgres available: %v (install postgresql, or set %s to a server's DSN)", startErr, EnvDSN)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; CI=true requires Postgres")
		}
		t.Skip(msg)
	}
	return shared
}

// createDatabase creates an empty database named prefix + random hex on
// the running server and returns its name.
func (s *server) createDatabase(t testing.TB, prefix string) string {
	t.Helper()
	name := prefix + randomHex(t, 8)
	admin, err := sql.Open("pgx", s.adminDSN)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	return name
}

func (s *server) dsnFor(db string) string {
	if s.keyword {
		// In a keyword DSN a later key overrides an earlier one.
		return s.adminDSN + " dbname=" + db
	}
	u := *s.url
	u.Path = "/" + db
	return u.String()
}

func start() (*server, error) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		s := &server{adminDSN: dsn}
		if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
			s.url = u
		} else {
			s.keyword = true
		}
		if err := ping(dsn, 10*time.Second); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvDSN, err)
		}
		return s, nil
	}
	return startLocal()
}

// findBin returns the directory holding initdb and pg_ctl.
func findBin() (string, error) {
	if initdb, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(initdb)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	type cand struct {
		dir     string
		version []int
	}
	var cands []cand
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err != nil {
			continue
		}
		var v []int
		for _, part := range strings.Split(filepath.Base(filepath.Dir(d)), ".") {
			n, err := strconv.Atoi(part)
			if err != nil {
				n = -1
			}
			v = append(v, n)
		}
		cands = append(cands, cand{d, v})
	}
	if len(cands) == 0 {
		return "", errors.New("initdb/pg_ctl not found in PATH or /usr/lib/postgresql/*/bin")
	}
	sort.Slice(cands, func(i, j int) bool { // newest first
		a, b := cands[i].version, cands[j].version
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] > b[k]
			}
		}
		return len(a) > len(b)
	})
	return cands[0].dir, nil
}

func startLocal() (_ *server, err error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	s := &server{pgCtl: filepath.Join(bin, "pg_ctl")}
	if os.Geteuid() == 0 {
		// Postgres refuses to run as root.
		s.runAs, err = user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and there is no 'postgres' OS user to run the server as (create one, e.g. useradd --system postgres): %w", err)
		}
	}
	s.dir, err = os.MkdirTemp("", "ginsession-pgtest-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(s.dir)
		}
	}()
	if s.runAs != nil {
		if err := chownTo(s.dir, s.runAs); err != nil {
			return nil, err
		}
	}
	s.dataDir = filepath.Join(s.dir, "data")
	sockDir := filepath.Join(s.dir, "sock")
	if out, err := s.run(filepath.Join(bin, "initdb"), "-D", s.dataDir, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if err := os.Mkdir(sockDir, 0o700); err != nil {
		return nil, err
	}
	if s.runAs != nil {
		if err := chownTo(sockDir, s.runAs); err != nil {
			return nil, err
		}
	}
	logFile := filepath.Join(s.dir, "postgres.log")
	// A free port can be taken between our probe and the server's bind; try
	// a few.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		serverOpts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s "+
			"-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", port, sockDir)
		out, err := s.run(s.pgCtl, "start", "-D", s.dataDir, "-w", "-t", "60", "-l", logFile, "-o", serverOpts)
		if err != nil {
			// pg_ctl may time out with the server still coming up: make sure
			// nothing is left running.
			_, _ = s.run(s.pgCtl, "stop", "-D", s.dataDir, "-m", "immediate", "-w")
			logText, _ := os.ReadFile(logFile)
			lastErr = fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, tail(string(logText), 2000))
			continue
		}
		s.url = &url.URL{Scheme: "postgres", User: url.User("postgres"), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			Path: "/postgres", RawQuery: "sslmode=disable"}
		s.adminDSN = s.url.String()
		if err := ping(s.adminDSN, 30*time.Second); err != nil {
			_, _ = s.run(s.pgCtl, "stop", "-D", s.dataDir, "-m", "immediate", "-w")
			return nil, err
		}
		return s, nil
	}
	return nil, lastErr
}

func (s *server) stop() error {
	out, err := s.run(s.pgCtl, "stop", "-D", s.dataDir, "-m", "fast", "-w", "-t", "60")
	if err != nil {
		_, _ = s.run(s.pgCtl, "stop", "-D", s.dataDir, "-m", "immediate", "-w")
		err = fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	return errors.Join(err, os.RemoveAll(s.dir))
}

// run runs a command, as s.runAs when set.
func (s *server) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if s.runAs != nil {
		if err := runAsUser(cmd, s.runAs); err != nil {
			return nil, err
		}
	}
	return cmd.CombinedOutput()
}

func ping(dsn string, within time.Duration) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server does not accept connections: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return hex.EncodeToString(b)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
