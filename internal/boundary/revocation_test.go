package boundary

import (
	"strings"
	"testing"
)

// TestRevocationNarrowInputs: internal/revocation works from its Options
// alone. Of the repository it imports only store, for the row type of the
// revocation log, and nothing of HTTP: it cannot reach the engine's
// settings, and the poll's decisions stay testable without an engine, a
// request or a database.
func TestRevocationNarrowInputs(t *testing.T) {
	pkg := module + "/internal/revocation"
	forbidden := []string{module + "/ginsession", module + "/routes", module + "/store/", "gorm.io/", "github.com/gin-gonic/", "net/http"}
	got := deps(t, pkg)
	if !slicesContains(got, pkg) {
		t.Fatalf("go list printed no %s (%q): the check below proves nothing", pkg, got)
	}
	for _, d := range got {
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, f+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(d, f)) {
				t.Errorf("%s depends on %s", pkg, d)
			}
		}
	}
}
