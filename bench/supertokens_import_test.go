package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/internal/stcore/stcoretest"
	"github.com/ginsession/ginsession/migrate/supertokens"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/postgresstore"
)

// stImportEnvVar sets how many core sessions BenchmarkSuperTokensImport
// imports (the figure in docs/benchmarks.md is for 100 000). Unset, the
// benchmark skips: each op creates a database, which CI's -benchtime 100x
// would do a hundred times.
const stImportEnvVar = "GINSESSION_BENCH_STIMPORT_SESSIONS"

// BenchmarkSuperTokensImport imports a generated SuperTokens core on
// Postgres (its own tables, live sessions of the public tenant, keys and the
// refresh-token key) into a ginsession store on another Postgres database
// of the same server, as cmd/supertokens-import does. Each op is one whole
// import into a new, empty store. Reported besides ns/op: sessions/s, the
// peak Go heap in use during the import (sampled every 5 ms) and the
// process's peak RSS (VmHWM, reset before each import).
func BenchmarkSuperTokensImport(b *testing.B) {
	v := os.Getenv(stImportEnvVar)
	if v == "" {
		b.Skipf("set %s to the number of sessions to import (e.g. 100000)", stImportEnvVar)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive count", stImportEnvVar, v)
	}
	ctx := context.Background()
	coreDSN := pgtest.NewDatabase(b)
	db, err := sql.Open("pgx", coreDSN)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	core := &stcoretest.Core{DB: db, Dialect: stcoretest.Postgres}
	if err := core.Create(ctx); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	g := stcoretest.New(100, now)
	key := g.RefreshKey()
	if err := core.AddTenant(ctx, "public", "public"); err != nil {
		b.Fatal(err)
	}
	if err := core.PutRefreshKey(ctx, "public", key); err != nil {
		b.Fatal(err)
	}
	if err := core.PutKey(ctx, "public", g.DynamicKey(0, now.Add(-time.Hour))); err != nil {
		b.Fatal(err)
	}
	const chunk = 5000
	for done := 0; done < n; done += chunk {
		var batch []*stcoretest.Session
		for range min(chunk, n-done) {
			batch = append(batch, g.Session(key, stcoretest.SessionOptions{Rotations: 1}))
		}
		if err := core.PutSessions(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		var peakHeap, peakRSS uint64
		for b.Loop() {
			b.StopTimer()
			src, err := supertokens.Open(coreDSN)
			if err != nil {
				b.Fatal(err)
			}
			dst, err := postgresstore.Open(pgtest.NewDatabase(b), gormstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			resetPeakRSS()
			stop := sampleHeap(&peakHeap)
			b.StartTimer()
			r, err := supertokens.Import(ctx, src, dst, supertokens.Options{Now: now})
			b.StopTimer()
			stop()
			peakRSS = max(peakRSS, readPeakRSS())
			if err != nil || r.Sessions.Imported != n {
				b.Fatalf("import: %v, %+v", err, r.Sessions)
			}
			dst.Close()
			src.DB.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "sessions/s")
		b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MiB")
		if peakRSS > 0 {
			b.ReportMetric(float64(peakRSS)/(1<<10), "peak-RSS-MiB")
		}
	})
}

// sampleHeap records the largest HeapInuse seen until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for !done.Load() {
			runtime.ReadMemStats(&m)
			*peak = max(*peak, m.HeapInuse)
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return func() { done.Store(true); wg.Wait() }
}

// resetPeakRSS resets the kernel's peak RSS of this process (Linux); when
// it cannot, VmHWM is the peak since the process started.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// readPeakRSS is VmHWM in KiB, 0 when unknown.
func readPeakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			v, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return v
		}
	}
	return 0
}
