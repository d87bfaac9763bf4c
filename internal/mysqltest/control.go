package mysqltest

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// Server is a private MariaDB server owned by one test, which may stop it
// and start it again to inject faults ("the database goes away"). It is
// never the shared server and never one named by GINSESSION_TEST_MYSQL_DSN:
// stopping a server other tests use is not a test's business. It is started
// from the machine's mariadb-install-db and mariadbd like the shared one,
// on its own free loopback port and temporary directory.
type Server struct {
	srv *server

	mu sync.Mutex // guards srv.local.proc
}

// StartServer starts a private server for t and stops and removes it when t
// ends. Without MariaDB it skips t (fails it when CI=true).
func StartServer(t testing.TB) *Server {
	t.Helper()
	srv, err := startLocal()
	if err != nil {
		skipOrFail(t, fmt.Sprintf("mysqltest: cannot start a private MariaDB server: %v (install mariadb-server)", err))
	}
	s := &Server{srv: srv}
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if err := srv.local.stop(); err != nil {
			t.Errorf("mysqltest: %v", err)
		}
		if err := os.RemoveAll(srv.local.dir); err != nil {
			t.Errorf("mysqltest: %v", err)
		}
	})
	return s
}

// NewDatabase creates an empty database on this server and returns its DSN,
// mysql://root@127.0.0.1:port/name. The server must be running. The
// database is not dropped: the server is removed whole when its test ends.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	return s.srv.dsnFor(s.srv.createDatabase(t, "ginsession_fault_"))
}

// AdminDSN returns the URL of root on this server with no database
// selected, mysql://root@127.0.0.1:port/, for a test that needs to look at
// the server itself (its connections, say). root holds every privilege.
func (s *Server) AdminDSN() string { return s.srv.dsnFor("") }

// Stop stops the server with SIGTERM (a clean shutdown: every committed
// transaction is kept) and waits for it to exit: open connections are cut
// and new ones refused until Start.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv.local.proc == nil {
		t.Fatal("mysqltest: Stop: the server is not running")
	}
	if err := s.srv.local.stop(); err != nil {
		t.Fatalf("mysqltest: Stop: %v", err)
	}
}

// Start starts the stopped server again on the same port and data directory
// and waits until it accepts connections.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv.local.proc != nil {
		t.Fatal("mysqltest: Start: the server is already running")
	}
	if err := s.srv.local.start(); err != nil {
		t.Fatalf("mysqltest: Start: %v", err)
	}
}
