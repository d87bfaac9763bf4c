package ginsession_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/postgresstore"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// refreshOnce sends one header-mode refresh with tok to base and returns the
// status and the new refresh token.
func refreshOnce(hc *http.Client, base, tok string) (int, string, string, error) {
	req, _ := http.NewRequest("POST", base+"/auth/session/refresh", nil)
	req.Header.Set("rid", "session")
	req.Header.Set("st-auth-mode", "header")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := hc.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res.StatusCode, res.Header.Get("st-refresh-token"), string(body), nil
}

// raceRefresh has `workers` goroutines refresh the same token at once, for
// `rounds` rounds, spreading the requests over the given servers. Every
// request must succeed with the same child token: one lineage, no theft,
// no 5xx.
func raceRefresh(t *testing.T, servers []string, first string, workers, rounds int) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}}
	defer hc.CloseIdleConnections()
	tok := first
	statuses := map[int]int{}
	for round := 0; round < rounds; round++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		children := map[string]int{}
		var failure string
		start := make(chan struct{})
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				<-start
				status, child, body, err := refreshOnce(hc, servers[w%len(servers)], tok)
				mu.Lock()
				defer mu.Unlock()
				statuses[status]++
				if err != nil || status != 200 {
					if failure == "" {
						failure = fmt.Sprintf("worker %d: status %d err %v body %s", w, status, err, body)
					}
					return
				}
				children[child]++
			}(w)
		}
		close(start)
		wg.Wait()
		if failure != "" {
			t.Fatalf("round %d: %s (statuses so far %v)", round, failure, statuses)
		}
		if len(children) != 1 {
			t.Fatalf("round %d: %d different children: the lineage forked", round, len(children))
		}
		for child := range children {
			if child == "" || child == tok {
				t.Fatalf("round %d: no rotation", round)
			}
			tok = child
		}
	}
	t.Logf("%d rounds x %d workers: statuses %v", rounds, workers, statuses)
}

func TestRefreshRaceSQLite(t *testing.T) {
	e := newEnv(t, nil)
	c := e.newClient("header")
	c.signIn("racer")
	raceRefresh(t, []string{e.server.URL}, c.refresh, 50, 200)
	if n := e.events.count(&e.events.theft); n != 0 {
		t.Fatalf("%d thefts reported", n)
	}
	// The lineage is intact: the session still verifies against the database.
	expectStatus(t, c.do("GET", "/api/checked", ""), 200, "")
}

// TestRefreshRacePostgresTwoEngines runs the same race across two app
// instances (two engines, two stores) on one real Postgres database.
func TestRefreshRacePostgresTwoEngines(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	open := func() store.Store {
		st, err := postgresstore.Open(dsn, gormstore.Options{CleanupInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	clk := newClock()
	// Two instances of one app behind one API domain.
	sameAPI := func(cfg *ginsession.Config) { cfg.APIDomain = "http://api.example.test" }
	a := newEnvOn(t, open(), clk, sameAPI)
	b := newEnvOn(t, open(), clk, sameAPI)
	c := a.newClient("header")
	c.signIn("racer")
	// B verifies A's access token: keys are shared through the store.
	res, err := http.NewRequest("GET", b.server.URL+"/api/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Header.Set("Authorization", "Bearer "+c.access)
	got, err := http.DefaultClient.Do(res)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if got.StatusCode != 200 || !strings.Contains(string(body), "racer") {
		t.Fatalf("engine B did not accept engine A's token: %d %s", got.StatusCode, body)
	}
	raceRefresh(t, []string{a.server.URL, b.server.URL}, c.refresh, 50, 100)
	if a.events.count(&a.events.theft)+b.events.count(&b.events.theft) != 0 {
		t.Fatal("theft reported during the race")
	}
}
