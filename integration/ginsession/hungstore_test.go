package ginsession_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/postgresstore"
)

// The promise: verification keeps working from memory while the database
// is down, slow or hung. The revocation set is the one thing the verify path
// reads from the database (in the background); these tests hang it and
// check that verifies never wait for it, that at most one poll is in flight,
// and that failed polls back off.

// watchedLog counts the revocation polls a real store serves, and can make
// them hang (until their context ends) or fail at once.
type watchedLog struct {
	*gormstore.GORMStore
	hang, fail                        atomic.Bool
	calls, returned, ok, inflight, hi atomic.Int64
}

func (w *watchedLog) RevocationsSince(ctx context.Context, since, now time.Time) ([]store.Revocation, error) {
	w.calls.Add(1)
	n := w.inflight.Add(1)
	for {
		hi := w.hi.Load()
		if n <= hi || w.hi.CompareAndSwap(hi, n) {
			break
		}
	}
	defer func() {
		w.inflight.Add(-1)
		w.returned.Add(1)
	}()
	switch {
	case w.hang.Load():
		<-ctx.Done()
		return nil, ctx.Err()
	case w.fail.Load():
		return nil, errors.New("connection refused")
	}
	revs, err := w.GORMStore.RevocationsSince(ctx, since, now)
	if err == nil {
		w.ok.Add(1)
	}
	return revs, err
}

const hungPollInterval = 100 * time.Millisecond

// hungEnv is an engine on st (watched) with the real clock.
func hungEnv(t *testing.T, st *gormstore.GORMStore) (*env, *watchedLog) {
	w := &watchedLog{GORMStore: st}
	e := newEnvOn(t, w, nil, func(cfg *ginsession.Config) { cfg.RevocationPollInterval = hungPollInterval })
	return e, w
}

// verifyBurst sends n verifies of a valid header-mode token from 8
// goroutines and returns their latencies; any answer but 200 fails t.
func verifyBurst(t *testing.T, e *env, access string, n int) []time.Duration {
	t.Helper()
	var mu sync.Mutex
	var lat []time.Duration
	var bad atomic.Int64
	var wg sync.WaitGroup
	per := n / 8
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				req, _ := http.NewRequest("GET", e.server.URL+"/api/me", nil)
				req.Header.Set("Authorization", "Bearer "+access)
				start := time.Now()
				res, err := plainHTTP.Do(req)
				d := time.Since(start)
				if err != nil || res.StatusCode != 200 {
					bad.Add(1)
				}
				if err == nil {
					res.Body.Close()
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if b := bad.Load(); b > 0 {
		t.Fatalf("%d of %d verifies of a valid token were refused while the database hung", b, n)
	}
	slices.Sort(lat)
	return lat
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	return sorted[int(float64(len(sorted)-1)*q)]
}

// checkHung runs the hung-database scenario: hang() makes revocation reads
// stop answering until their context ends.
func checkHung(t *testing.T, e *env, w *watchedLog, hang, resume func()) {
	c := e.newClient("header")
	c.signIn("u")
	expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
	// A healthy poll first, so the set is fresh and the token cached.
	deadline := time.Now().Add(10 * time.Second)
	for w.ok.Load() == 0 && time.Now().Before(deadline) {
		expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
		time.Sleep(hungPollInterval)
	}
	base := verifyBurst(t, e, c.access, 400)
	t.Logf("database healthy: %d verifies, p50 %v, p99 %v, max %v", len(base), quantile(base, 0.5), quantile(base, 0.99), base[len(base)-1])
	hang()
	// Idle long enough that the set is older than twice the interval: the
	// old code then polled synchronously on the request path.
	time.Sleep(3 * hungPollInterval)
	callsBefore, returnedBefore := w.calls.Load(), w.returned.Load()
	lat := verifyBurst(t, e, c.access, 400)
	if r := w.returned.Load() - returnedBefore; r != 0 {
		t.Errorf("%d revocation polls returned during the burst: verifies waited for the hung database", r)
	}
	if n := w.calls.Load() - callsBefore; n > 1 {
		t.Errorf("%d revocation polls started during one hang, want at most 1", n)
	}
	if hi := w.hi.Load(); hi > 1 {
		t.Errorf("%d revocation polls in flight at once, want at most 1", hi)
	}
	t.Logf("database hung: %d verifies, p50 %v, p99 %v, max %v", len(lat), quantile(lat, 0.5), quantile(lat, 0.99), lat[len(lat)-1])
	resume()
	// The engine recovers: a later poll succeeds.
	okBefore := w.ok.Load()
	deadline = time.Now().Add(15 * time.Second)
	for w.ok.Load() == okBefore {
		if time.Now().After(deadline) {
			t.Fatal("no successful revocation poll after the database came back")
		}
		expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHungDatabaseVerifyDoesNotWaitForRevocationPolls(t *testing.T) {
	e, w := hungEnv(t, openSQLite(t))
	checkHung(t, e, w, func() { w.hang.Store(true) }, func() { w.hang.Store(false) })
}

// Against a real Postgres that stops answering: every server process gets
// SIGSTOP (queries hang, nothing is refused), then SIGCONT.
func TestHungDatabasePostgresStopsAnswering(t *testing.T) {
	srv := pgtest.StartServer(t)
	e, w := hungEnv(t, openPostgres(t, srv.NewDatabase(t)))
	checkHung(t, e, w, func() { srv.Pause(t) }, func() { srv.Resume(t) })
}

// A database that refuses at once: failed polls back off instead of
// polling on every request.
func TestHungDatabaseFailedPollsBackOff(t *testing.T) {
	e, w := hungEnv(t, openSQLite(t))
	c := e.newClient("header")
	c.signIn("u")
	w.fail.Store(true)
	start := time.Now()
	before := w.calls.Load()
	verifies := 0
	for time.Since(start) < time.Second {
		verifyBurst(t, e, c.access, 80)
		verifies += 80
	}
	polls := w.calls.Load() - before
	t.Logf("%d verifies in %v with the database refusing: %d polls", verifies, time.Since(start).Round(time.Millisecond), polls)
	// With the interval doubling from 100 ms, one second holds at most
	// about four attempts; polling on every stale request would be hundreds.
	if polls > 8 {
		t.Errorf("%d polls in one second against a refusing database: no backoff", polls)
	}
}

// Closing a store whose Postgres stopped answering returns: the revocation
// listener (a connection of its own, blocked waiting for notifications)
// and the cleanup lease must not hold Close up.
func TestHungDatabaseCloseWhilePostgresHangs(t *testing.T) {
	srv := pgtest.StartServer(t)
	st, err := postgresstore.Open(srv.NewDatabase(t), gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, nil, nil)
	c := e.newClient("header")
	c.signIn("u")
	expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
	srv.Pause(t)
	defer srv.Resume(t)
	closed := make(chan error, 1)
	go func() { closed <- st.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Logf("Close on a hung server: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not return within 30 s of the server hanging")
	}
}
