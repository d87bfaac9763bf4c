package puresqlite_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// goCmd runs the go command that runs this test, with CGO_ENABLED=0 and
// a time limit, and returns its standard output.
func goCmd(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(runtime.GOROOT(), "bin", "go"), args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// TestNoCgoInTheBuild: the package and the documented program
// (internal/docexample) build from pure Go: with CGO_ENABLED=0 their
// dependencies hold modernc.org/sqlite and neither the cgo SQLite driver
// nor its GORM dialector (the stub go-sqlite3 compiles to without cgo, and
// which sqlitestore.Open turns into ErrNoCgo).
func TestNoCgoInTheBuild(t *testing.T) {
	for _, pkg := range []string{".", "./internal/docexample"} {
		out := goCmd(t, "list", "-deps", "-f", "{{.ImportPath}}", pkg)
		paths := strings.Fields(out)
		for _, path := range paths {
			for _, banned := range []string{"github.com/mattn/go-sqlite3", "gorm.io/driver/sqlite", "runtime/cgo"} {
				if path == banned {
					t.Errorf("%s depends on %s", pkg, banned)
				}
			}
		}
		if !slices.Contains(paths, "modernc.org/sqlite") {
			t.Errorf("%s does not depend on modernc.org/sqlite; its dependencies:\n%s", pkg, out)
		}
	}
}

// TestDocExample: docs/sqlite-without-cgo.md shows internal/docexample's
// main.go whole, so the program the page shows is the one this module
// compiles and vets.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "sqlite-without-cgo.md"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("internal", "docexample", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```go\n"+string(src)+"```\n") {
		t.Fatal("docs/sqlite-without-cgo.md does not show internal/docexample/main.go as it is: copy the file into the page's go block")
	}
}
