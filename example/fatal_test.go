package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store/sqlitestore"
)

// TestFatalMessageOnePrefix: the error that ends the example is logged with
// "example: " once, whether or not NewApp already put it there (it was
// doubled: "example: example: opening the database: …").
func TestFatalMessageOnePrefix(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("example: opening the database: %w", errors.New("boom")),
		errors.New("listen tcp :8080: bind: address already in use"),
	} {
		var out bytes.Buffer
		reportFatal(&out, slog.New(slog.NewTextHandler(&out, nil)), err)
		if got := out.String(); strings.Count(got, "example: ") != 1 {
			t.Errorf("reportFatal(%q) wrote %q: want \"example: \" exactly once", err, got)
		}
	}
	var out bytes.Buffer
	reportFatal(&out, slog.New(slog.NewTextHandler(&out, nil)), fmt.Errorf("example: opening the database: %w", sqlitestore.ErrNoCgo))
	if out.String() != noCgoAdvice {
		t.Errorf("reportFatal(ErrNoCgo) wrote %q, want the advice alone", out.String())
	}
}

// TestNoCgoAdvice builds the example with CGO_ENABLED=0, as `go run
// ./example` does on a machine without a C compiler, runs it on an SQLite
// file and checks that it exits 1 at once with the advice alone.
func TestNoCgoAdvice(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example without cgo (about a minute on a cold build cache)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "example")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}

	ctx, cancel = context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "sessions.db"))
	cmd.Env = append(os.Environ(), "DATABASE_URL=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("the example built without cgo ended with %v, want exit status 1; stderr:\n%s", err, stderr.String())
	}
	if stderr.String() != noCgoAdvice || stdout.Len() != 0 {
		t.Fatalf("stderr:\n%s\nstdout:\n%s\nwant the advice alone on stderr:\n%s", stderr.String(), stdout.String(), noCgoAdvice)
	}
	t.Logf("stderr:\n%s", stderr.String())
}
