//go:build unix

package pgtest

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Pause makes the server stop answering without refusing anything: the
// postmaster and every process it started (the backends behind open
// connections included) get SIGSTOP, so queries hang and new connections
// wait, as with a database host that froze or a network that drops packets.
// Resume (or the end of the test) sends SIGCONT. Linux only: the children are
// found through /proc.
func (s *Server) Pause(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		t.Fatal("pgtest: Pause: the server is not running")
	}
	pids, err := s.srv.processTree()
	if err != nil {
		t.Fatalf("pgtest: Pause: %v", err)
	}
	t.Cleanup(func() { signalAll(pids, syscall.SIGCONT) })
	signalAll(pids, syscall.SIGSTOP)
}

// Resume undoes Pause.
func (s *Server) Resume(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	pids, err := s.srv.processTree()
	if err != nil {
		t.Fatalf("pgtest: Resume: %v", err)
	}
	signalAll(pids, syscall.SIGCONT)
}

// signalAll signals the children first and the postmaster (pids[0]) last.
func signalAll(pids []int, sig syscall.Signal) {
	for i := len(pids) - 1; i >= 0; i-- {
		_ = syscall.Kill(pids[i], sig)
	}
}

// processTree returns the postmaster's pid (first) and its children's.
func (s *server) processTree() ([]int, error) {
	b, err := os.ReadFile(filepath.Join(s.dataDir, "postmaster.pid"))
	if err != nil {
		return nil, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	root, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return nil, err
	}
	pids := []int{root}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if parentOf(pid) == root {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// parentOf reads a process's parent pid from /proc/<pid>/status (0 if gone).
func parentOf(pid int) int {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PPid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}
