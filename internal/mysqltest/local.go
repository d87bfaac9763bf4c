package mysqltest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// maxConnections is the server's max_connections: fleet tests open many
// stores, each with its own pool.
const maxConnections = 500

// local is a MariaDB server this package started: its directory and, while
// it runs, its process.
//
// When the tests run as root, mariadbd runs as root too, with --user=root.
// Unlike Postgres, which refuses root outright (pgtest runs it as the
// "postgres" OS user), mariadbd only refuses root unless told --user=root.
// Running it as the "mysql" OS user instead would need the temporary
// directory chowned to it and every parent of TMPDIR traversable by it
// (t.TempDir's parent, for one, is private to root), and a user "mysql" to
// exist; as root, the server's files stay ours and private. The server is
// the tests': it listens on 127.0.0.1 and a socket in the private
// directory only. As any other user, mariadbd runs as that user.
type local struct {
	dir      string // the temporary directory holding everything below
	dataDir  string
	socket   string
	errLog   string // mariadbd's --log-error
	outLog   string // mariadbd's stdout and stderr (errors before the error log opens)
	mariadbd string
	port     int
	asRoot   bool

	proc *process // nil while stopped
}

// process is a running mariadbd this package started.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // cmd.Wait's result, set before done is closed
}

// findProgram returns the first of names found in PATH or in the
// directories Debian installs MariaDB's programs in (/usr/sbin is not in
// every user's PATH).
func findProgram(names ...string) (string, error) {
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"} {
			p := filepath.Join(dir, name)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("none of %s found in PATH, /usr/sbin or /usr/bin", strings.Join(names, ", "))
}

// startLocal creates a data directory with mariadb-install-db and starts
// mariadbd on it, on a free loopback port. root@127.0.0.1 logs in without
// a password and holds every privilege.
func startLocal() (_ *server, err error) {
	mariadbd, err := findProgram("mariadbd", "mysqld")
	if err != nil {
		return nil, err
	}
	installDB, err := findProgram("mariadb-install-db", "mysql_install_db")
	if err != nil {
		return nil, err
	}
	l := &local{mariadbd: mariadbd, asRoot: os.Geteuid() == 0}
	l.dir, err = os.MkdirTemp("", "ginsession-mysqltest-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(l.dir)
		}
	}()
	l.dataDir = filepath.Join(l.dir, "data")
	l.socket = filepath.Join(l.dir, "mariadbd.sock")
	l.errLog = filepath.Join(l.dir, "mariadbd.err")
	l.outLog = filepath.Join(l.dir, "mariadbd.out")
	// sun_path holds 108 bytes on Linux, 104 on the BSDs.
	if len(l.socket) > 100 {
		return nil, fmt.Errorf("socket path %s is too long for a unix socket (set TMPDIR to a shorter directory)", l.socket)
	}

	installArgs := []string{"--no-defaults", // must come first
		"--auth-root-authentication-method=normal", // root without a password, not only for the OS root
		"--datadir=" + l.dataDir,
		"--skip-test-db",
		"--skip-name-resolve", // no DNS lookup of this host's name
	}
	if l.asRoot {
		installArgs = append(installArgs, "--user=root")
	} else if u, err := user.Current(); err == nil {
		installArgs = append(installArgs, "--user="+u.Username)
	}
	// Passed on to the bootstrap server: the redo log is created at its size.
	installArgs = append(installArgs, innodbArgs...)
	cmd := exec.Command(installDB, installArgs...)
	cmd.Dir = l.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", filepath.Base(installDB), err, tail(string(out), 3000))
	}

	allowChildrenOpenFiles()
	// A free port can be taken between our probe and the server's bind; try
	// a few.
	for attempt := 0; ; attempt++ {
		if l.port, err = freePort(); err != nil {
			return nil, err
		}
		err = l.start()
		if err == nil {
			break
		}
		if attempt == 2 || !errors.Is(err, errPortTaken) {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			_ = l.stop()
		}
	}()

	// mariadb-install-db --auth-root-authentication-method=normal creates
	// root@localhost, root@127.0.0.1, root@::1 and root@<host name>, all
	// without a password. Make sure of the one the tests use (it is the one
	// a TCP connection from 127.0.0.1 is, with --skip-name-resolve), over
	// the socket, where root@localhost logs in.
	sock := l.rootConfig()
	sock.Net, sock.Addr = "unix", l.socket
	db := openConfig(sock)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, q := range []string{
		"CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'",
		"GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}

	s := &server{
		admin: l.rootConfig(),
		url:   &url.URL{Scheme: "mysql", User: url.User("root"), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(l.port)), Path: "/"},
		local: l,
	}
	if err := ping(s.admin, 10*time.Second, l.proc.done); err != nil {
		return nil, fmt.Errorf("root@127.0.0.1: %w", err)
	}
	// The server lowers max_connections, with a warning in its log, when it
	// cannot open enough files.
	adminDB := s.openAdmin()
	defer adminDB.Close()
	var maxConns int
	if err := adminDB.QueryRowContext(ctx, "SELECT @@max_connections").Scan(&maxConns); err != nil {
		return nil, fmt.Errorf("SELECT @@max_connections: %w", err)
	}
	if maxConns < maxConnections {
		return nil, fmt.Errorf("the server runs with max_connections=%d, not %d: it cannot open enough files (raise ulimit -n)\n%s",
			maxConns, maxConnections, l.logTail(0))
	}
	return s, nil
}

// innodbArgs size InnoDB for tests: a small buffer pool and redo log, and
// speed over durability (the redo log is written at each commit and flushed
// about once a second; no doublewrite buffer).
var innodbArgs = []string{
	"--innodb-buffer-pool-size=64M",
	"--innodb-log-file-size=32M",
	"--innodb-flush-log-at-trx-commit=2",
	"--skip-innodb-doublewrite",
}

// serverArgs are mariadbd's options, the same at every start.
func (l *local) serverArgs() []string {
	args := []string{"--no-defaults"} // must come first
	if l.asRoot {
		args = append(args, "--user=root") // see local
	}
	args = append(args,
		"--datadir="+l.dataDir,
		"--socket="+l.socket,
		"--port="+strconv.Itoa(l.port),
		"--bind-address=127.0.0.1",
		"--pid-file="+filepath.Join(l.dir, "mariadbd.pid"),
		"--log-error="+l.errLog,
		"--skip-name-resolve", // accounts by IP: no DNS lookup per connection
		"--skip-log-bin",
		"--max-connections="+strconv.Itoa(maxConnections),
		// Nothing to warm up: skip dumping and reloading the buffer pool's
		// page list across a restart.
		"--skip-innodb-buffer-pool-dump-at-shutdown",
		"--skip-innodb-buffer-pool-load-at-startup",
	)
	return append(args, innodbArgs...)
}

// rootConfig is the driver configuration of root@127.0.0.1 on the server's
// port, no database selected.
func (l *local) rootConfig() *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(l.port))
	cfg.User = "root"
	cfg.Timeout = 5 * time.Second
	return cfg
}

// errPortTaken: mariadbd could not bind its port (taken since freePort
// found it free).
var errPortTaken = errors.New("port taken")

// start starts mariadbd on the data directory and waits until it accepts
// connections on its socket.
func (l *local) start() error {
	var logStart int64
	if fi, err := os.Stat(l.errLog); err == nil {
		logStart = fi.Size()
	}
	out, err := os.OpenFile(l.outLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(l.mariadbd, l.serverArgs()...)
	cmd.Dir = l.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	// A file, not a pipe: nothing in this process copies the output, and a
	// server outliving a crashed test binary holds nothing of it open.
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Start()
	_ = out.Close() // the child has its own descriptor
	if err != nil {
		return fmt.Errorf("start %s: %w", l.mariadbd, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	l.proc = p

	sock := l.rootConfig()
	sock.Net, sock.Addr = "unix", l.socket
	if err := ping(sock, 60*time.Second, p.done); err != nil {
		_ = l.stop()
		logText := l.logTail(logStart)
		if strings.Contains(logText, "Address already in use") {
			err = fmt.Errorf("%w: %w", errPortTaken, err)
		}
		return fmt.Errorf("mariadbd on port %d: %w\n%s", l.port, err, logText)
	}
	return nil
}

// stop stops mariadbd (SIGTERM: a clean shutdown) and waits for it to exit;
// after 60 s it kills it. It reports a server that had exited on its own
// or exited with an error.
func (l *local) stop() error {
	p := l.proc
	if p == nil {
		return nil
	}
	l.proc = nil
	select {
	case <-p.done:
		return fmt.Errorf("mariadbd had exited on its own: %v\n%s", p.err, l.logTail(0))
	default:
	}
	if err := terminate(p.cmd.Process); err != nil {
		_ = p.cmd.Process.Kill()
	}
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("mariadbd did not stop within 60 s of SIGTERM and was killed\n%s", l.logTail(0))
	}
	if p.err != nil {
		return fmt.Errorf("mariadbd: %v\n%s", p.err, l.logTail(0))
	}
	return nil
}

// logTail returns the end of the error log from byte from on, and of the
// server's output.
func (l *local) logTail(from int64) string {
	var b strings.Builder
	if f, err := os.Open(l.errLog); err == nil {
		if _, err := f.Seek(from, io.SeekStart); err == nil {
			text, _ := io.ReadAll(f)
			fmt.Fprintf(&b, "%s:\n%s\n", l.errLog, tail(string(text), 3000))
		}
		f.Close()
	}
	if text, err := os.ReadFile(l.outLog); err == nil && len(text) > 0 {
		fmt.Fprintf(&b, "%s:\n%s\n", l.outLog, tail(string(text), 1000))
	}
	return b.String()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
