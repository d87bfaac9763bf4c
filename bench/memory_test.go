package bench

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
)

// memoryEnvVar runs TestVerifyCacheMemory (cmd/report sets it). It takes
// 15–30 s, so a plain go test skips it.
const memoryEnvVar = "GINSESSION_BENCH_MEMORY"

// cacheEntries is the cache bound under test and the number of distinct live
// tokens the first phase verifies; overflowTokens more follow into the full
// cache (fewer: every insert into a full cache currently costs a shard scan).
const (
	cacheEntries   = 100000
	overflowTokens = 20000
)

// TestVerifyCacheMemory fills the verified-token cache
// (Config.VerifyCacheSize = 100 000) with 100 000 distinct live tokens
// through the real route and reports the process RSS (VmRSS) and live heap
// before and after; then it verifies 20 000 more, which must leave memory
// roughly where it was: the cache is bounded. It prints one line starting
// with VERIFY_CACHE_MEMORY that cmd/report reads.
func TestVerifyCacheMemory(t *testing.T) {
	if os.Getenv(memoryEnvVar) == "" {
		t.Skipf("set %s=1 to fill the verify cache with %d tokens (cmd/report does)", memoryEnvVar, cacheEntries)
	}
	env := newGS(t, t.TempDir(), ginsession.Config{VerifyCacheSize: cacheEntries})
	access, _ := env.signIn(t, benchUser)
	minter := newTokenMinter(t, env.st, access)

	tmpl := newGET("/api/me", http.Header{"Authorization": {""}})
	auth := tmpl.Header["Authorization"]
	rec := newRecorder()
	fill := func(n int) time.Duration {
		const batch = 2000
		var spent time.Duration
		for done := 0; done < n; done += batch {
			tokens := minter.mintMany(t, batch)
			start := time.Now()
			for _, tok := range tokens {
				// A new string per request, as net/http makes: the cache
				// keeps the request's own copy, not the test's.
				auth[0] = "Bearer " + tok
				serveOnce(env.engine, rec, tmpl)
				if rec.code != http.StatusOK {
					t.Fatalf("verify answered %d", rec.code)
				}
			}
			spent += time.Since(start)
		}
		auth[0] = ""
		return spent
	}

	before := measureMemory(t)
	firstFill := fill(cacheEntries) / cacheEntries
	after := measureMemory(t)
	secondFill := fill(overflowTokens) / overflowTokens
	again := measureMemory(t)
	runtime.KeepAlive(env) // the cache is measured above: keep it reachable until here

	perEntry := (float64(after.heap) - float64(before.heap)) / cacheEntries
	t.Logf("RSS %d kB -> %d kB with %d cached tokens (+%.1f MB), live heap +%.1f MB (%.0f B/entry); after %d more tokens: RSS %d kB, live heap %+.1f MB",
		before.rssKB, after.rssKB, cacheEntries, float64(after.rssKB-before.rssKB)/1024,
		float64(after.heap-before.heap)/(1<<20), perEntry, overflowTokens, again.rssKB, (float64(again.heap)-float64(after.heap))/(1<<20))
	t.Logf("verify of an unseen token: %v/op while filling the empty cache, %v/op once it is full (eviction on every insert)",
		firstFill, secondFill)
	fmt.Printf("VERIFY_CACHE_MEMORY entries=%d overflow=%d rss_before_kb=%d rss_after_kb=%d rss_again_kb=%d heap_before=%d heap_after=%d heap_again=%d fill_ns=%d refill_ns=%d\n",
		cacheEntries, overflowTokens, before.rssKB, after.rssKB, again.rssKB, before.heap, after.heap, again.heap,
		firstFill.Nanoseconds(), secondFill.Nanoseconds())
}

type memSample struct {
	rssKB int64
	heap  uint64 // live heap bytes after a full GC
}

func measureMemory(t *testing.T) memSample {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, err := rssKB()
	if err != nil {
		t.Fatal(err)
	}
	return memSample{rssKB: rss, heap: ms.HeapAlloc}
}
