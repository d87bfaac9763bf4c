package boundary

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const module = "github.com/ginsession/ginsession"

// goTool returns the go command of the toolchain running the tests.
func goTool(t *testing.T) string {
	t.Helper()
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	return p
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// run runs the go command with args in this package's directory, with env
// added to the environment, and returns its combined output; it fails t
// when the command fails.
func run(t *testing.T, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// deps returns the packages pkg depends on (itself included), as go list
// -deps prints them for a normal build (tests excluded).
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	return strings.Fields(run(t, nil, "list", "-deps", "-f", "{{.ImportPath}}", pkg))
}

// drivers are the database packages the engine side never compiles.
var drivers = []string{"gorm.io/", "github.com/jackc/pgx", "github.com/mattn/go-sqlite3", "github.com/go-sql-driver/mysql"}

// TestDependencyBoundaries: the engine, the routes and the store contract
// compile no GORM and no database driver; each opener compiles only its
// own driver.
func TestDependencyBoundaries(t *testing.T) {
	cases := []struct {
		pkg       string
		forbidden []string
	}{
		{module + "/ginsession", drivers},
		{module + "/routes", drivers},
		{module + "/store", drivers},
		{module + "/store/memstore", drivers},
		{module + "/store/storetest", drivers},
		{module + "/store/gormstore", []string{"github.com/jackc/pgx", "github.com/mattn/go-sqlite3", "github.com/go-sql-driver/mysql", "gorm.io/driver/"}},
		{module + "/store/postgresstore", []string{"github.com/mattn/go-sqlite3", "gorm.io/driver/sqlite", "github.com/go-sql-driver/mysql", "gorm.io/driver/mysql"}},
		{module + "/store/mysqlstore", []string{"github.com/mattn/go-sqlite3", "gorm.io/driver/sqlite", "github.com/jackc/pgx", "gorm.io/driver/postgres"}},
	}
	for _, c := range cases {
		t.Run(strings.TrimPrefix(c.pkg, module+"/"), func(t *testing.T) {
			for _, d := range deps(t, c.pkg) {
				for _, f := range c.forbidden {
					if strings.HasPrefix(d, f) {
						t.Errorf("%s depends on %s", c.pkg, d)
					}
				}
			}
		})
	}
	// The check would pass vacuously if go list printed nothing useful.
	if !slicesContains(deps(t, module+"/store/sqlitestore"), "github.com/mattn/go-sqlite3") {
		t.Fatal("store/sqlitestore does not depend on go-sqlite3: the check above proves nothing")
	}
	if !slicesContains(deps(t, module+"/store/mysqlstore"), "github.com/go-sql-driver/mysql") {
		t.Fatal("store/mysqlstore does not depend on the MySQL driver: the check above proves nothing")
	}
}

// TestProtocolCoreWithoutHTTP: the protocol core decides refreshes in
// values; it compiles neither Gin nor net/http (nor a database), so its
// state machine runs and is tested without a request or a server.
func TestProtocolCoreWithoutHTTP(t *testing.T) {
	forbidden := append([]string{"net/http", "github.com/gin-gonic/"}, drivers...)
	for _, pkg := range []string{module + "/internal/protocol", module + "/internal/refreshtoken", module + "/internal/sessionhandle", module + "/internal/keycrypto", module + "/internal/stcore"} {
		d := deps(t, pkg)
		if !slicesContains(d, pkg) {
			t.Fatalf("go list printed no %s: the check below proves nothing", pkg)
		}
		for _, dep := range d {
			for _, f := range forbidden {
				if dep == f || strings.HasPrefix(dep, f+"/") || strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}

// TestTokenMechanismsStandAlone: the JOSE checks, the keyring, the
// access tokens and the DBSC proofs (internal/dbsc) take their inputs as small options values; they compile
// neither Gin nor net/http nor a database, nor the engine or the routes,
// so each is tested on its own (an in-memory key store, a fixed key).
func TestTokenMechanismsStandAlone(t *testing.T) {
	forbidden := append([]string{"net/http", "github.com/gin-gonic/", module + "/ginsession", module + "/routes"}, drivers...)
	for _, pkg := range []string{module + "/internal/jose", module + "/internal/keyring", module + "/internal/accesstoken", module + "/internal/dbsc"} {
		d := deps(t, pkg)
		if !slicesContains(d, pkg) {
			t.Fatalf("go list printed no %s: the check below proves nothing", pkg)
		}
		for _, dep := range d {
			for _, f := range forbidden {
				if dep == f || strings.HasPrefix(dep, f+"/") || strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}

// TestEngineTestsNeedNoSQL: ginsession's own tests (in-package and
// Examples) run on store/memstore, so `go test ./ginsession` compiles no
// GORM, no driver and no cgo.
func TestEngineTestsNeedNoSQL(t *testing.T) {
	list := strings.Fields(run(t, nil, "list", "-deps", "-test", "-f", "{{.ImportPath}}", module+"/ginsession"))
	if !slicesContains(list, module+"/store/memstore") {
		t.Fatal("ginsession's tests do not use store/memstore: the check below proves nothing")
	}
	for _, d := range list {
		for _, f := range drivers {
			if strings.HasPrefix(d, f) {
				t.Errorf("ginsession's tests depend on %s", d)
			}
		}
	}
}

// TestMetricsAPIOnly: the engine records metrics through OpenTelemetry's
// API alone; the SDK and every exporter are the app's choice.
func TestMetricsAPIOnly(t *testing.T) {
	api := []string{"go.opentelemetry.io/otel/attribute", "go.opentelemetry.io/otel/metric"}
	var otel []string
	for _, d := range deps(t, module+"/ginsession") {
		if !strings.HasPrefix(d, "go.opentelemetry.io/") {
			continue
		}
		otel = append(otel, d)
		allowed := false
		for _, a := range api {
			allowed = allowed || d == a || strings.HasPrefix(d, a+"/")
		}
		if !allowed || strings.Contains(d, "/sdk") || strings.Contains(d, "/exporters/") {
			t.Errorf("ginsession depends on %s", d)
		}
	}
	if !slicesContains(otel, "go.opentelemetry.io/otel/metric") {
		t.Fatalf("ginsession does not depend on the metric API (%q): the check above proves nothing", otel)
	}
}

func slicesContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestPostgresOnlyAppWithoutCgo builds the Postgres-only application in
// testdata/pgonlyapp with CGO_ENABLED=0 and runs its test (sign in, refresh,
// verify over HTTP on Postgres) the same way. -race needs cgo, so that run
// has none.
func TestPostgresOnlyAppWithoutCgo(t *testing.T) {
	nocgo := []string{"CGO_ENABLED=0"}
	run(t, nocgo, "build", "-o", filepath.Join(t.TempDir(), "pgonlyapp"), "./testdata/pgonlyapp")
	// The app's test creates its databases on the server this test uses.
	dsn := pgtest.NewDatabase(t)
	out := run(t, append(nocgo, pgtest.EnvDSN+"="+dsn), "test", "-count=1", "-v", "-run", "TestSignInRefresh", "./testdata/pgonlyapp")
	if !strings.Contains(out, "--- PASS: TestSignInRefresh") {
		t.Fatalf("the app's test did not pass:\n%s", out)
	}
	t.Logf("%s", out)
}

// TestSQLiteWithoutCgo: a binary built with CGO_ENABLED=0 that imports
// store/sqlitestore builds, and Open returns sqlitestore.ErrNoCgo, which
// says what is missing.
func TestSQLiteWithoutCgo(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "nocgosqlite")
	run(t, []string{"CGO_ENABLED=0"}, "build", "-o", bin, "./testdata/nocgosqlite")
	out, err := exec.CommandContext(t.Context(), bin).CombinedOutput()
	if err == nil {
		t.Fatalf("sqlitestore.Open succeeded without cgo:\n%s", out)
	}
	want := "is ErrNoCgo: true\nsqlitestore: this binary was built without cgo (CGO_ENABLED=0)"
	if !strings.HasPrefix(string(out), want) {
		t.Fatalf("output:\n%s\nwant it to start with:\n%s", out, want)
	}
	t.Logf("%s", out)
}
