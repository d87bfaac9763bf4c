package ginsession_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/postgresstore"
)

// revocationLatencies revokes sessions on instance 0 of several instances
// on one Postgres database and measures, from outside, how long each other
// instance keeps accepting the session's access token: a client asks every
// millisecond until it gets 401. It returns every latency, or fails t when
// an instance still accepts the token after giveUp.
func revocationLatencies(t *testing.T, instances []*env, sessions int, giveUp time.Duration) []time.Duration {
	t.Helper()
	var all []time.Duration
	for i := range sessions {
		c := instances[0].newClient("header")
		handle, _ := c.signIn("user-push").body["handle"].(string)
		tok := c.accessToken()
		for k, e := range instances {
			if r := sendWithToken(t, e.server.URL, "header", "GET", "/api/me", "", tok); r.status != 200 {
				t.Fatalf("session %d: instance %d refuses a fresh token: %d %s", i, k, r.status, r.raw)
			}
		}
		revoked := time.Now()
		if _, err := instances[0].sessions.RevokeSession(t.Context(), handle); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for k, e := range instances[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					req, _ := http.NewRequest("GET", e.server.URL+"/api/me", nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					req.Header.Set("st-auth-mode", "header")
					res, err := http.DefaultClient.Do(req)
					if err == nil {
						res.Body.Close()
					}
					took := time.Since(revoked)
					if err == nil && res.StatusCode == http.StatusUnauthorized {
						mu.Lock()
						all = append(all, took)
						mu.Unlock()
						return
					}
					if took > giveUp {
						t.Errorf("session %d: instance %d still accepts the revoked session's token after %v", i, k+1, took)
						return
					}
					time.Sleep(time.Millisecond)
				}
			}()
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
	}
	slices.Sort(all)
	return all
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func instancesOnPostgres(t *testing.T, n int, opts gormstore.Options, poll time.Duration) []*env {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	var out []*env
	for range n {
		opts.CleanupInterval = -1
		st, err := postgresstore.Open(dsn, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		out = append(out, newEnvOn(t, st, nil, func(cfg *ginsession.Config) {
			cfg.APIDomain = "http://api.example.test"
			cfg.RevocationPollInterval = poll
		}))
	}
	return out
}

// With push (Postgres LISTEN/NOTIFY), other instances learn of a
// revocation without polling: here the poll interval is an hour, so only
// the push can tell them within the test. The latencies are logged, not
// asserted (speed belongs to measurements; the fleet figures are in
// docs/fleet.md).
func TestRevocationPushReachesOtherInstancesWithoutPolling(t *testing.T) {
	instances := instancesOnPostgres(t, 4, gormstore.Options{}, time.Hour)
	lat := revocationLatencies(t, instances, 20, 10*time.Second)
	t.Logf("push, 4 instances, %d measurements: p50 %v, p99 %v, max %v", len(lat), percentile(lat, 0.5), percentile(lat, 0.99), lat[len(lat)-1])
}

// Without push (ListenDSN "off", as behind pgbouncer without a direct DSN)
// polling alone still delivers every revocation.
func TestRevocationPushPollingAloneStillDelivers(t *testing.T) {
	instances := instancesOnPostgres(t, 4, gormstore.Options{ListenDSN: "off"}, 250*time.Millisecond)
	lat := revocationLatencies(t, instances, 10, 10*time.Second)
	t.Logf("polling every 250ms, 4 instances, %d measurements: p50 %v, p99 %v, max %v", len(lat), percentile(lat, 0.5), percentile(lat, 0.99), lat[len(lat)-1])
}
