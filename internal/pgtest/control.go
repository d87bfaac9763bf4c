package pgtest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Server is a private Postgres server owned by one test, which may stop it
// and start it again to inject faults ("the database goes away"). It is
// never the shared server and never one named by GINSESSION_TEST_POSTGRES_DSN:
// stopping a server other tests use is not a test's business. It is started
// from the machine's initdb and pg_ctl like the shared one, on its own free
// loopback port and temporary directory.
type Server struct {
	srv *server

	mu      sync.Mutex
	running bool
}

// StartServer starts a private server for t and stops and removes it when t
// ends. Without initdb/pg_ctl it skips t (fails it when CI=true).
func StartServer(t testing.TB) *Server {
	t.Helper()
	srv, err := startLocal()
	if err != nil {
		msg := fmt.Sprintf("pgtest: cannot start a private Postgres server: %v (install postgresql)", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; CI=true requires Postgres")
		}
		t.Skip(msg)
	}
	s := &Server{srv: srv, running: true}
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.running {
			if err := srv.stop(); err != nil {
				t.Errorf("pgtest: %v", err)
			}
			return
		}
		if err := os.RemoveAll(srv.dir); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return s
}

// NewDatabase creates an empty database on this server and returns its DSN.
// The server must be running.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	return s.srv.dsnFor(s.srv.createDatabase(t, "ginsession_fault_"))
}

// Stop stops the server (pg_ctl stop -m fast): open connections are cut and
// new ones refused until Start. Fast, not immediate: the server runs with
// synchronous_commit=off for speed, and an immediate stop would lose commits
// that a production server would have kept.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		t.Fatal("pgtest: Stop: the server is not running")
	}
	if out, err := s.srv.run(s.srv.pgCtl, "stop", "-D", s.srv.dataDir, "-m", "fast", "-w", "-t", "60"); err != nil {
		t.Fatalf("pgtest: pg_ctl stop: %v\n%s", err, out)
	}
	s.running = false
}

// Start starts the stopped server again on the same port and data directory
// and waits until it accepts connections.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		t.Fatal("pgtest: Start: the server is already running")
	}
	// The options startLocal used, on the port the server had.
	serverOpts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %s -c unix_socket_directories=%s "+
		"-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
		s.srv.url.Port(), filepath.Join(s.srv.dir, "sock"))
	logFile := filepath.Join(s.srv.dir, "postgres.log")
	if out, err := s.srv.run(s.srv.pgCtl, "start", "-D", s.srv.dataDir, "-w", "-t", "60", "-l", logFile, "-o", serverOpts); err != nil {
		logText, _ := os.ReadFile(logFile)
		t.Fatalf("pgtest: pg_ctl start: %v\n%s\n%s", err, out, tail(string(logText), 2000))
	}
	if err := ping(s.srv.adminDSN, 30*time.Second); err != nil {
		t.Fatalf("pgtest: restarted server: %v", err)
	}
	s.running = true
}
