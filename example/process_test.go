package main

// Tests that run the example as real processes: the test binary re-executes
// itself with runMainEnv set, and TestMain then runs the example's main with
// the given flags instead of the tests. Every process listens on 127.0.0.1
// with a port of its own choosing (-addr 127.0.0.1:0), and is stopped by its
// PID when the test ends.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ginsession/ginsession/internal/pgtest"
)

// runMainEnv, set to "1", makes the test binary run main (see TestMain).
const runMainEnv = "GINSESSION_EXAMPLE_RUN_MAIN"

// startGateEnv, set to "1" with runMainEnv, makes the process say
// atGateLine on its standard output and then wait until its standard input
// closes before it runs main, so that a test can start several processes and
// let them all go at once, without the stagger of their start-up.
const startGateEnv = "GINSESSION_EXAMPLE_START_GATE"

const atGateLine = "at the start gate"

// waitStartGate waits at the start gate (startGateEnv) if it is set.
func waitStartGate() {
	if os.Getenv(startGateEnv) == "1" {
		fmt.Println(atGateLine)
		_, _ = io.Copy(io.Discard, os.Stdin)
	}
}

// procStartLimit bounds one process's start-up (database included) under
// the race detector on a busy 2-core machine.
const procStartLimit = 60 * time.Second

// exampleProc is one example process the test started.
type exampleProc struct {
	cmd    *exec.Cmd
	base   string        // http://127.0.0.1:PORT, once listening
	port   chan string   // the port, when the process logs it
	atGate chan struct{} // closed when a gated process waits at the gate
	exited chan struct{} // closed when the process has exited

	mu  sync.Mutex
	log strings.Builder // its stderr (slog text lines)
}

func (p *exampleProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

var listeningLine = regexp.MustCompile(`listening on http://localhost:(\d+)`)

// startExample starts the example with args (plus -addr 127.0.0.1:0) and
// returns once the process has either logged that it listens or ended; the
// caller checks which (waitListening). It is stopped (SIGTERM, then SIGKILL
// after 5 s) by its PID when the test ends.
func startExample(t *testing.T, args ...string) *exampleProc {
	t.Helper()
	p := launchExample(t, nil, args...)
	p.awaitStart()
	return p
}

// launchExample starts the example with args (plus -addr 127.0.0.1:0).
// With a gate, the process waits until gate is closed before running main
// (startGateEnv). It is stopped (SIGTERM, then SIGKILL after 5 s) by its PID
// when the test ends.
func launchExample(t *testing.T, gate *gatePipe, args ...string) *exampleProc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	dieWithTest(cmd)
	atGate := make(chan struct{})
	if gate != nil {
		cmd.Env = append(cmd.Env, startGateEnv+"=1")
		cmd.Stdin = gate.r
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if sc.Text() == atGateLine {
					close(atGate)
					break
				}
			}
			_, _ = io.Copy(io.Discard, stdout)
		}()
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &exampleProc{cmd: cmd, exited: make(chan struct{}), port: make(chan string, 1), atGate: atGate}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log.WriteString(line + "\n")
			p.mu.Unlock()
			if m := listeningLine.FindStringSubmatch(line); m != nil {
				select {
				case p.port <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() {
		<-copied // Wait closes the pipe: read it to the end first
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { stopExamples(t, p) })
	return p
}

// stopExamples stops the processes by their PIDs: SIGTERM to each (a
// graceful shutdown), then SIGKILL to any still running 5 s later.
func stopExamples(t *testing.T, procs ...*exampleProc) {
	for _, p := range procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM) // an error: it has exited
	}
	deadline := time.After(5 * time.Second)
	for _, p := range procs {
		select {
		case <-p.exited:
			continue
		case <-deadline:
		}
		t.Logf("example pid %d ignored SIGTERM; killing it", p.cmd.Process.Pid)
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// awaitStart returns once p has logged that it listens (setting p.base), has
// exited, or procStartLimit has passed.
func (p *exampleProc) awaitStart() {
	select {
	case pt := <-p.port:
		p.base = "http://127.0.0.1:" + pt
	case <-p.exited:
	case <-time.After(procStartLimit):
	}
}

// gatePipe is the start gate of launchExample: every gated process has its
// read end as standard input; open closes the write end, and they all go.
type gatePipe struct{ r, w *os.File }

func newGate(t *testing.T) *gatePipe {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	g := &gatePipe{r, w}
	t.Cleanup(g.open)
	return g
}

// open lets the gated processes run main; later calls do nothing.
func (g *gatePipe) open() {
	_ = g.w.Close()
	_ = g.r.Close()
}

// waitListening fails the test unless p is listening and alive.
func (p *exampleProc) waitListening(t *testing.T, name string) {
	t.Helper()
	select {
	case <-p.exited:
		t.Fatalf("%s exited during start-up (%v):\n%s", name, p.cmd.ProcessState, p.output())
	default:
	}
	if p.base == "" {
		t.Fatalf("%s did not listen within %v:\n%s", name, procStartLimit, p.output())
	}
}

// TestInstancesStartTogetherOnPostgres: several instances of the example
// started at once on one empty Postgres database all create their tables,
// start and serve. Their creation of the example's own tables used to race:
// of 4 instances, 1 or 2 exited in about 6 rounds of 10 with 'duplicate key
// value violates unique constraint "pg_type_typname_nsp_index"' (two CREATE
// TABLE users at once) or 'relation "users" already exists'. The store's
// own migration serialises the instances, so the race is between the first
// instance's table creation and the next one; a round misses it at times,
// hence a few rounds, each on a fresh database.
func TestInstancesStartTogetherOnPostgres(t *testing.T) {
	t.Parallel()
	const rounds, n = 4, 4
	for round := 1; round <= rounds; round++ {
		t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) {
			dsn := pgtest.NewDatabase(t)
			start := time.Now()
			// All started first, then let go at once (the start gate), as
			// replicas an orchestrator starts together, not staggered by
			// the time each process takes to come up.
			gate := newGate(t)
			procs := make([]*exampleProc, n)
			for i := range procs {
				// One API domain (the token issuer) for all, as deployed.
				procs[i] = launchExample(t, gate, "-db", dsn, "-api-domain", "http://api.example.test")
			}
			defer stopExamples(t, procs...)
			for i, p := range procs {
				select {
				case <-p.atGate:
				case <-p.exited:
					t.Fatalf("instance %d exited before the start gate:\n%s", i+1, p.output())
				case <-time.After(procStartLimit):
					t.Fatalf("instance %d did not reach the start gate within %v", i+1, procStartLimit)
				}
			}
			gate.open()
			for i, p := range procs {
				p.awaitStart()
				p.waitListening(t, fmt.Sprintf("instance %d of %d", i+1, n))
			}
			t.Logf("%d instances listening after %v", n, time.Since(start).Round(time.Millisecond))

			// Each serves, and they share one database: a note added on
			// each instance with one user's token is listed by the first
			// instance; the user signs in on the last one.
			client := &http.Client{Timeout: 30 * time.Second}
			for i, p := range procs {
				resp, err := client.Get(p.base + "/auth/jwt/jwks.json")
				if err != nil {
					t.Fatalf("instance %d: %v", i+1, err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("instance %d: jwks.json %d", i+1, resp.StatusCode)
				}
			}
			u := newClient(t, procs[0].base, "header")
			u.hc.Timeout = 30 * time.Second
			wantField(t, "signup on instance 1", u.signUp("multi@example.com", "a good password"), "status", "OK")
			for i, p := range procs {
				u.base = p.base
				wantStatus(t, fmt.Sprintf("note on instance %d", i+1),
					u.do(http.MethodPost, "/api/notes", map[string]string{"text": fmt.Sprintf("from %d", i+1)}), http.StatusCreated)
			}
			u.base = procs[0].base
			r := u.do(http.MethodGet, "/api/notes", nil)
			if notes, _ := r.body["notes"].([]any); len(notes) != n {
				t.Fatalf("instance 1 lists %d notes, want %d: %s", len(notes), n, r.raw)
			}
			last := newClient(t, procs[n-1].base, "cookie")
			last.hc.Timeout = 30 * time.Second
			wantField(t, "signin on the last instance", last.signIn("multi@example.com", "a good password"), "status", "OK")
			t.Logf("served after %v", time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestSlowBodyIsCutOff: a client that sends a request's headers and then
// dribbles its body (a byte every 500 ms, never finishing) has its
// connection closed by the server once the read timeout passes, instead of
// holding it for as long as it keeps dribbling. The assertion is the
// server's close (EOF or reset while the body is still incomplete), within a
// generous test deadline.
func TestSlowBodyIsCutOff(t *testing.T) {
	t.Parallel() // mostly waiting: overlap it with the other process tests

	const deadline = 60 * time.Second // far above the server's read timeout
	p := startExample(t, "-db", filepath.Join(t.TempDir(), "slow.db"))
	p.waitListening(t, "the example")

	conn, err := net.Dial("tcp", strings.TrimPrefix(p.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const bodyLen = 1000 // at 2 bytes a second: 500 s, never done within the deadline
	head := "POST /signup HTTP/1.1\r\nHost: " + strings.TrimPrefix(p.base, "http://") + "\r\n" +
		"Content-Type: application/json\r\nrid: emailpassword\r\nst-auth-mode: cookie\r\n" +
		"Content-Length: " + strconv.Itoa(bodyLen) + "\r\n\r\n"
	if _, err := io.WriteString(conn, head+`{"email":"`); err != nil {
		t.Fatal(err)
	}

	// Dribble the body until the server closes the connection (a write
	// fails) or the test is over.
	done := make(chan struct{})
	var sent atomic.Int64
	sent.Store(int64(len(`{"email":"`)))
	dribbled := make(chan struct{})
	go func() {
		defer close(dribbled)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for sent.Load() < bodyLen-1 {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if _, err := conn.Write([]byte("a")); err != nil {
				return
			}
			sent.Add(1)
		}
	}()
	defer func() { close(done); <-dribbled }()

	// Read whatever the server answers until it closes the connection.
	start := time.Now()
	if err := conn.SetReadDeadline(time.Now().Add(deadline)); err != nil {
		t.Fatal(err)
	}
	answer, err := io.ReadAll(conn)
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		t.Fatalf("the server kept a connection whose body dribbled open for %v (sent %d of %d body bytes); answer so far %q",
			deadline, sent.Load(), bodyLen, answer)
	case err != nil && !errors.Is(err, syscall.ECONNRESET):
		t.Fatalf("reading the answer: %v", err)
	}
	if n := sent.Load(); n >= bodyLen {
		t.Fatalf("the whole body was sent (%d bytes): the close proves nothing", n)
	}
	t.Logf("the server closed the connection after %v, %d of %d body bytes sent; answer %q",
		time.Since(start).Round(time.Millisecond), sent.Load(), bodyLen, firstLine(answer))
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\r\n")
	return s
}
