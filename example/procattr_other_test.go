//go:build !linux

package main

import "os/exec"

// dieWithTest: only Linux can tie a child's life to its parent's; elsewhere
// the test's cleanups stop the processes.
func dieWithTest(*exec.Cmd) {}
