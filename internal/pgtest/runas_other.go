//go:build !unix

package pgtest

import (
	"errors"
	"os/exec"
	"os/user"
)

func runAsUser(*exec.Cmd, *user.User) error {
	return errors.New("running the server as another user is only supported on Unix")
}

func chownTo(string, *user.User) error {
	return errors.New("changing file ownership is only supported on Unix")
}
