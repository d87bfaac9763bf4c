//go:build !unix

package mysqltest

import "os"

// terminate stops the server: without signals, by killing it.
func terminate(p *os.Process) error { return p.Kill() }

func allowChildrenOpenFiles() {}
