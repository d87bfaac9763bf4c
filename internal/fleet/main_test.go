package fleet

import (
	"flag"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/internal/pgtest"
)

// The harness's flags, after -args. The defaults are the short run CI
// makes under go test ./...: N = 2 on Postgres and through pgbouncer, 20 s
// each.
var (
	flagN        = flag.String("fleet.n", "2", "comma-separated instance counts: one run per count and database")
	flagDB       = flag.String("fleet.db", "postgres,pgbouncer,mariadb", "comma-separated databases: postgres (direct), pgbouncer (transaction mode in front of Postgres), mariadb")
	flagDuration = flag.Duration("fleet.duration", 20*time.Second, "load per run, the SIGKILL and the database restart included (at least 15s)")
	flagUsers    = flag.Int("fleet.users", 20, "users per instance (every fourth has two tabs, every third uses cookies)")
	flagBin      = flag.String("fleet.bin", "", "an example binary to run instead of building ./example (another version of it, say)")
	flagDash     = flag.String("fleet.dashboard", "", "write an SVG dashboard of each run to this file (relative: to the repository's root; several runs: -<db>-N<n> added to the name, e.g. dashboard-postgres-N2.svg), from every instance's GET /metrics scraped once a second")
	flagKeyRot   = flag.Duration("fleet.key-rotation", 0, "the instances' -key-rotation (at least 1m); 0: 1m for runs of 2m or more, else ginsession's 7-day default (one key)")
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// settings are the parsed flags.
type settings struct {
	ns          []int
	dbs         []string
	duration    time.Duration
	users       int
	keyRotation time.Duration // 0: the example's default
	dashboard   string        // -fleet.dashboard; "": none
}

func parseSettings() (settings, error) {
	s := settings{duration: *flagDuration, users: *flagUsers, keyRotation: *flagKeyRot, dashboard: *flagDash}
	for _, f := range strings.Split(*flagN, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 16 {
			return s, fmt.Errorf("-fleet.n: %q is not an instance count from 1 to 16", f)
		}
		s.ns = append(s.ns, n)
	}
	for _, f := range strings.Split(*flagDB, ",") {
		name := strings.TrimSpace(f)
		if _, ok := backends[name]; !ok {
			return s, fmt.Errorf("-fleet.db: no database %q in this build (have %s)", name, strings.Join(backendNames(), ", "))
		}
		s.dbs = append(s.dbs, name)
	}
	if s.duration < 15*time.Second || s.duration > time.Hour {
		return s, fmt.Errorf("-fleet.duration %v: want 15s to 1h (the SIGKILL and the database restart need room)", s.duration)
	}
	if s.users < 1 || s.users > 100 {
		return s, fmt.Errorf("-fleet.users %d: want 1 to 100 per instance", s.users)
	}
	switch {
	case s.keyRotation == 0 && s.duration >= 2*time.Minute:
		s.keyRotation = time.Minute
	case s.keyRotation != 0 && s.keyRotation < time.Minute:
		return s, fmt.Errorf("-fleet.key-rotation %v: ginsession's minimum is 1m", s.keyRotation)
	}
	return s, nil
}

func backendNames() []string {
	names := make([]string, 0, len(backends))
	for n := range backends {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
