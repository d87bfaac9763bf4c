package bench

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

// scaleEnvVar opts in to the 1 000 000-session rows of BenchmarkScale
// (seeding takes a while and the file is a few hundred MB). Without it only
// the 1 000-session rows run, so CI stays quick.
const scaleEnvVar = "GINSESSION_BENCH_SCALE"

const (
	scalePool     = 256  // sessions created through Create, refreshed round-robin
	scaleDBTokens = 4096 // access tokens of random seeded sessions (verify-checkdb)
)

// scaleEnv is a store holding n sessions and a ginsession engine on it. It
// is built once per size per process and shared by every -count run, so the
// million rows are seeded once.
type scaleEnv struct {
	dir      string
	st       *gormstore.GORMStore
	gs       *gsEnv
	seen     string       // a pool session's access token, already verified
	dbTokens []string     // "Bearer …" for random seeded sessions, already verified
	pool     []*refresher // one per pool session
	next     int
	settled  bool // settleScaleEnv ran
}

var (
	scaleMu   sync.Mutex
	scaleEnvs = map[int]*scaleEnv{}
)

func closeScaleEnvs() {
	scaleMu.Lock()
	defer scaleMu.Unlock()
	for n, env := range scaleEnvs {
		_ = env.st.Close()
		_ = os.RemoveAll(env.dir)
		delete(scaleEnvs, n)
	}
}

// BenchmarkScale compares the same operations with 1 000 and 1 000 000
// sessions in the SQLite store:
//
//   - verify: Verify() with a token seen before. It never reads the store,
//     so the row count cannot matter; the row is here to show that it does
//     not.
//   - verify-checkdb: Verify(CheckDatabase()), one indexed read per request,
//     on 4096 random sessions spread over the whole table.
//   - refresh: the refresh route, round-robin over 256 sessions created
//     after seeding (their handles are random, so they land all over the
//     primary-key index).
func BenchmarkScale(b *testing.B) {
	sizes := []int{1000}
	if os.Getenv(scaleEnvVar) != "" {
		sizes = append(sizes, 1000000)
	}
	// Operation first, size second: the two sizes of one operation run back
	// to back, so load on a shared machine hits both alike. Each size's
	// store is built on first use, before any timer starts.
	ops := []struct {
		name string
		run  func(*testing.B, *scaleEnv)
	}{
		{"verify", func(b *testing.B, env *scaleEnv) {
			runRoute(b, env.gs.engine, newGET("/api/me", http.Header{"Authorization": {"Bearer " + env.seen}}))
		}},
		{"verify-checkdb", func(b *testing.B, env *scaleEnv) {
			tmpl := newGET("/api/me-db", http.Header{"Authorization": {""}})
			auth := tmpl.Header["Authorization"]
			rec := newRecorder()
			b.ReportAllocs()
			resetTimers(b)
			for i := 0; i < b.N; i++ {
				auth[0] = env.dbTokens[i%len(env.dbTokens)]
				serveOnce(env.gs.engine, rec, tmpl)
				if rec.code != http.StatusOK {
					b.Fatalf("op %d answered %d", i, rec.code)
				}
			}
		}},
		{"refresh", func(b *testing.B, env *scaleEnv) {
			b.ReportAllocs()
			resetTimers(b)
			for i := 0; i < b.N; i++ {
				f := env.pool[env.next%len(env.pool)]
				env.next++
				if err := f.step(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "refresh/s")
		}},
	}
	// Build every size before the first timed op and let the machine settle:
	// seeding a million rows leaves a few hundred MB of dirty pages, and the
	// kernel writing them back while the first rows of the big size run
	// made those rows slower for a reason that has nothing to do with the
	// row count.
	for _, n := range sizes {
		settleScaleEnv(b, getScaleEnv(b, n))
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			for _, n := range sizes {
				b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
					op.run(b, getScaleEnv(b, n))
				})
			}
		})
	}
}

// settleScaleEnv moves the WAL into the database file, flushes the file to
// disk and collects garbage, once per environment.
func settleScaleEnv(b *testing.B, env *scaleEnv) {
	b.Helper()
	scaleMu.Lock()
	defer scaleMu.Unlock()
	if env.settled {
		return
	}
	if err := env.st.DB().Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(filepath.Join(env.dir, "sessions.db"))
	if err != nil {
		b.Fatal(err)
	}
	err = f.Sync()
	_ = f.Close()
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	env.settled = true
}

func getScaleEnv(b *testing.B, n int) *scaleEnv {
	b.Helper()
	scaleMu.Lock()
	defer scaleMu.Unlock()
	if env := scaleEnvs[n]; env != nil {
		return env
	}
	env, err := buildScaleEnv(b, n)
	if err != nil {
		b.Fatal(err)
	}
	scaleEnvs[n] = env
	return env
}

func buildScaleEnv(b *testing.B, n int) (*scaleEnv, error) {
	dir, err := os.MkdirTemp("", "ginsession-bench-scale-")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "sessions.db")
	st, err := sqlitestore.Open(path, gormstore.Options{CleanupInterval: -1})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	env := &scaleEnv{dir: dir, st: st}
	fail := func(err error) (*scaleEnv, error) {
		_ = st.Close()
		_ = os.RemoveAll(dir)
		return nil, err
	}

	start := time.Now()
	handles, err := seedSessions(st, n-scalePool, time.Now())
	if err != nil {
		return fail(err)
	}
	seeded := time.Since(start)

	env.gs = newGSOnStore(b, st, ginsession.Config{VerifyCacheSize: 4 * scaleDBTokens})
	for i := 0; i < scalePool; i++ {
		access, refresh := env.gs.signIn(b, fmt.Sprintf("pool-%d", i))
		if i == 0 {
			env.seen = access
		}
		env.pool = append(env.pool, newRefresher(env.gs.engine, refresh))
	}

	minter := newTokenMinter(b, st, env.seen)
	rng := rand.New(rand.NewPCG(uint64(n), 2))
	rec := newRecorder()
	warm := func(path, bearer string) error {
		serveOnce(env.gs.engine, rec, newGET(path, http.Header{"Authorization": {bearer}}))
		if rec.code != http.StatusOK {
			return fmt.Errorf("warming %s answered %d", path, rec.code)
		}
		return nil
	}
	for i := 0; i < scaleDBTokens; i++ {
		j := rng.IntN(len(handles))
		tok, err := minter.mint(fmt.Sprintf("seed-%d", j), handles[j])
		if err != nil {
			return fail(err)
		}
		env.dbTokens = append(env.dbTokens, "Bearer "+tok)
		if err := warm("/api/me-db", env.dbTokens[i]); err != nil {
			return fail(err)
		}
	}
	if err := warm("/api/me", "Bearer "+env.seen); err != nil {
		return fail(err)
	}
	var size int64
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	b.Logf("scale: %d sessions (%d seeded in %v, %d created), database %.1f MB",
		n, len(handles), seeded.Round(time.Millisecond), scalePool, float64(size)/1e6)
	return env, nil
}

// seedSessions inserts count live sessions straight into the store's
// sessions table through its writer connection: one transaction, prepared
// multi-row INSERTs, handles sorted so every index grows at its end. The
// rows look like Create's (UUID handle, 32-byte hash, JSON payload and
// data, times in UTC); their refresh tokens are unknown, which is fine:
// they are the crowd, not the sessions being refreshed.
func seedSessions(st *gormstore.GORMStore, count int, now time.Time) ([]string, error) {
	if count <= 0 {
		return nil, nil
	}
	sqlDB, err := st.DB().DB()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(count), 1))
	handles := make([]string, count)
	for i := range handles {
		handles[i] = randomUUID(rng)
	}
	slices.Sort(handles)

	const perStmt = 500
	const cols = "(handle, user_id, refresh_hash, prev_refresh_hash, generation, rotated_at, expires_at, created_at, payload, data)"
	row := "(?, ?, ?, NULL, 0, ?, ?, ?, ?, ?)"
	insert := func(rows int) string {
		return "INSERT INTO " + gormstore.DefaultTablePrefix + "sessions " + cols + " VALUES " +
			strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
	}
	tx, err := sqlDB.Begin()
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	full, err := tx.Prepare(insert(perStmt))
	if err != nil {
		return nil, err
	}
	defer func() { _ = full.Close() }()
	hash := hashOf(0)
	payload, data := []byte(`{"role":"editor"}`), []byte(`{}`)
	created, expires := now.UTC(), now.Add(100*24*time.Hour).UTC()
	args := make([]any, 0, perStmt*8)
	for startRow := 0; startRow < count; startRow += perStmt {
		rows := min(perStmt, count-startRow)
		args = args[:0]
		for i := startRow; i < startRow+rows; i++ {
			args = append(args, handles[i], fmt.Sprintf("seed-%d", i), hash, created, expires, created, payload, data)
		}
		stmt := full
		if rows < perStmt {
			var err error
			if stmt, err = tx.Prepare(insert(rows)); err != nil {
				return nil, err
			}
		}
		if _, err := stmt.Exec(args...); err != nil {
			return nil, err
		}
		if stmt != full {
			_ = stmt.Close()
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return handles, nil
}

// randomUUID formats 16 random bytes as a version-4 UUID, like Create's
// handles.
func randomUUID(rng *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
