//go:build unix

package mysqltest

import (
	"os"
	"sync"
	"syscall"
)

// terminate asks the server to shut down cleanly.
func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }

var openFilesOnce sync.Once

// allowChildrenOpenFiles makes the processes this one starts inherit its
// open files limit. The Go runtime raises its own soft limit to the hard
// one at start-up but gives child processes the original soft limit back
// (often 1024), unless the program sets the limit itself. A mariadbd that
// is not root cannot raise its soft limit past 1024 itself (it asks for
// more than the hard limit, is refused, and keeps 1024): with 500
// connections allowed it then shrinks its table cache to 247 and runs with
// a connection's descriptor and its tables' files competing for 1024. Setting
// the limit to what it is now is enough. (As root, mariadbd raises its own.)
func allowChildrenOpenFiles() {
	openFilesOnce.Do(func() {
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
			_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		}
	})
}
