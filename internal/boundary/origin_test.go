package boundary

import (
	"strings"
	"testing"
)

// TestOriginNarrowInputs: internal/origin works from its Options alone. It
// imports no engine, route or store code, so it cannot reach the engine's
// settings, and its rules stay testable without an engine.
func TestOriginNarrowInputs(t *testing.T) {
	pkg := module + "/internal/origin"
	forbidden := []string{module + "/ginsession", module + "/routes", module + "/store", "gorm.io/"}
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
