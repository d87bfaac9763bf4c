package fleet

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildExample builds the example binary into dir and returns its path.
// The binary is built without -race whatever the test runs with.
func buildExample(t *testing.T, dir string) string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Fatalf("fleet: no go command to build the example: %v", err)
		}
	}
	bin := filepath.Join(dir, "example")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The package directory is internal/fleet: the example is ../../example,
	// a module of its own, so built from its directory.
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".")
	cmd.Dir = filepath.Join("..", "..", "example")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fleet: go build ./example: %v\n%s", err, out)
	}
	return bin
}

// instanceStartLimit bounds one instance's start, database included, on a
// busy 2-core machine with eight of them starting at once.
const instanceStartLimit = 60 * time.Second

// instance is one example process, or the successive processes on one port
// after a restart.
type instance struct {
	idx  int
	port int
	base string // http://127.0.0.1:PORT
	args []string
	bin  string
	log  string // stderr of every process on this port, appended

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when the current process has exited
	// expectExit is set before the harness kills the process itself.
	expectExit bool
	// died records processes that exited without the harness asking.
	died []string
}

// freePort returns a free 127.0.0.1 port below the kernel's ephemeral
// range, never one it returned before. An instance's port must stay free
// from the moment it is chosen until the instance binds it, and again while
// a SIGKILLed instance is down: a port of the ephemeral range can meanwhile
// become the local port of any outgoing connection (the harness's, an
// instance's to the database), and the instance then fails to bind.
func freePort() (int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	low := ephemeralLow()
	if low >= 1024+2000 {
		for range 200 {
			p := max(1024, low-10000) + rand.IntN(min(10000, low-1024))
			if portsUsed[p] {
				continue
			}
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				continue
			}
			l.Close()
			portsUsed[p] = true
			return p, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0") // no room below the range
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var (
	portsMu   sync.Mutex
	portsUsed = map[int]bool{}
)

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's
// ip_local_port_range; 32768, its default, elsewhere).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				return n
			}
		}
	}
	return 32768
}

// newInstance prepares instance idx on a free port; start starts it.
func newInstance(t *testing.T, idx int, bin, dir string, args []string) *instance {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatalf("fleet: %v", err)
	}
	return &instance{
		idx:  idx,
		port: port,
		base: "http://127.0.0.1:" + strconv.Itoa(port),
		args: append([]string{"-addr", "127.0.0.1:" + strconv.Itoa(port)}, args...),
		bin:  bin,
		log:  filepath.Join(dir, fmt.Sprintf("instance-%d.log", idx)),
	}
}

// start starts a process on the instance's port; it does not wait for it
// to answer (ready does).
func (in *instance) start() error {
	f, err := os.OpenFile(in.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(in.bin, in.args...)
	cmd.Stdout, cmd.Stderr = f, f
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		f.Close()
		return err
	}
	exited := make(chan struct{})
	in.mu.Lock()
	in.cmd, in.exited, in.expectExit = cmd, exited, false
	in.mu.Unlock()
	go func() {
		err := cmd.Wait()
		f.Close()
		in.mu.Lock()
		if !in.expectExit || in.cmd != cmd {
			in.died = append(in.died, fmt.Sprintf("pid %d: %v", cmd.Process.Pid, err))
		}
		in.mu.Unlock()
		close(exited)
	}()
	return nil
}

// ready waits until the current process answers GET /auth/jwt/jwks.json
// with 200, it exits, or the limit passes.
func (in *instance) ready(hc *http.Client, limit time.Duration) error {
	in.mu.Lock()
	exited := in.exited
	in.mu.Unlock()
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-exited:
			return fmt.Errorf("instance %d exited during start-up (see %s)", in.idx, in.log)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, in.base+"/auth/jwt/jwks.json", nil)
		res, err := hc.Do(req)
		if err == nil {
			res.Body.Close()
		}
		cancel()
		if err == nil && res.StatusCode == http.StatusOK {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("instance %d did not answer within %v: %v (see %s)", in.idx, limit, err, in.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL to the current process, by its pid, and waits for it
// to exit.
func (in *instance) kill() {
	in.mu.Lock()
	cmd, exited := in.cmd, in.exited
	in.expectExit = true
	in.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// stop ends the current process by its pid: SIGTERM (a graceful
// shutdown), then SIGKILL if it is still there after 10 s.
func (in *instance) stop() {
	in.mu.Lock()
	cmd, exited := in.cmd, in.exited
	in.expectExit = true
	in.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
	}
}

// unexpectedExits lists the processes of this instance that exited
// without the harness killing or stopping them.
func (in *instance) unexpectedExits() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.died...)
}

// startTogether starts every instance at once (each process is started
// before any is waited for) and waits until all answer.
func startTogether(t *testing.T, hc *http.Client, ins []*instance) time.Duration {
	t.Helper()
	begin := time.Now()
	for _, in := range ins {
		if err := in.start(); err != nil {
			t.Fatalf("fleet: starting instance %d: %v", in.idx, err)
		}
		t.Cleanup(in.stop)
	}
	errs := make(chan error, len(ins))
	for _, in := range ins {
		go func() { errs <- in.ready(hc, instanceStartLimit) }()
	}
	for range ins {
		if err := <-errs; err != nil {
			t.Fatalf("fleet: %v", err)
		}
	}
	return time.Since(begin)
}

// keepLogs copies the instances' logs of a failed run out of dir (which
// the test removes) into a new directory under the system's temporary
// directory, and says where.
func keepLogs(t *testing.T, dir string) {
	logs, _ := filepath.Glob(filepath.Join(dir, "instance-*.log"))
	if len(logs) == 0 {
		return
	}
	keep, err := os.MkdirTemp("", "ginsession-fleet-logs-")
	if err != nil {
		t.Logf("fleet: keeping the instance logs: %v", err)
		return
	}
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err == nil {
			err = os.WriteFile(filepath.Join(keep, filepath.Base(l)), b, 0o644)
		}
		if err != nil {
			t.Logf("fleet: keeping %s: %v", l, err)
		}
	}
	t.Logf("fleet: the instances' logs are kept in %s", keep)
}
