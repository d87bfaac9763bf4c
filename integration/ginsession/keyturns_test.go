package ginsession_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store"
)

// fetchKids returns the kids of the JWKS a server publishes. It reports
// errors instead of failing, so goroutines may call it.
func fetchKids(url string) ([]string, error) {
	resp, err := http.Get(url + "/auth/jwt/jwks.json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("jwks: %d %s", resp.StatusCode, body)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, err
	}
	var kids []string
	for _, k := range set.Keys {
		kid, _ := k["kid"].(string)
		kids = append(kids, kid)
	}
	sort.Strings(kids)
	return kids, nil
}

// TestOneKeyPerTurnAcrossInstances: eight instances on one Postgres (and on
// one MariaDB)
// database, started together on an empty database and moved through several
// rotation turns by one clock, all reloading at every step at the same
// moment. The store ends up with exactly one key per turn (the first one
// included), and after each step every instance publishes the same kids:
// the keys the store holds.
func TestOneKeyPerTurnAcrossInstances(t *testing.T) {
	onSharedDatabases(t, oneKeyPerTurn)
}

func oneKeyPerTurn(t *testing.T, db sharedDatabase) {
	const (
		instances = 8
		interval  = time.Minute // the minimum KeyRotationInterval
		turns     = 5
		// The reload period for a one-minute interval (half the 30 s
		// publish lead): every instance reloads, and may rotate, at
		// every step.
		step = 15 * time.Second
	)
	dsn := db.newDB(t)
	clk := newClock()
	stores := make([]store.Store, instances)
	for i := range stores {
		stores[i] = db.open(t, dsn)
	}
	cfg := func(cfg *ginsession.Config) {
		cfg.APIDomain = "http://api.example.test"
		cfg.KeyRotationInterval = interval
		cfg.AccessTokenTTL = 10 * time.Minute
	}

	// All start together: each Register loads the keys and finds none.
	envs := make([]*env, instances)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range envs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			envs[i] = newEnvOn(t, stores[i], clk, cfg)
		}()
	}
	close(start)
	wg.Wait()
	for _, e := range envs {
		if e == nil {
			t.FailNow() // newEnvOn failed and said why
		}
	}

	// everyone fetches every JWKS at once and checks each lists the keys
	// the store holds now.
	check := func(label string) {
		t.Helper()
		got := make([][]string, instances)
		errs := make([]error, instances)
		var wg sync.WaitGroup
		for i, e := range envs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], errs[i] = fetchKids(e.server.URL)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("%s: instance %d: %v", label, i, err)
			}
		}
		rows, err := stores[0].SigningKeys(context.Background(), clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, r := range rows {
			want = append(want, r.ID)
		}
		sort.Strings(want)
		for i := range got {
			if !slices.Equal(got[i], want) {
				t.Errorf("%s: instance %d publishes %d kids %q, the store holds %d: %q", label, i, len(got[i]), got[i], len(want), want)
			}
		}
	}

	check("start")
	for n := 1; n <= turns*int(interval/step); n++ {
		clk.Advance(step)
		check(fmt.Sprintf("step %d", n))
	}

	// One key per turn: keys made for one turn share their SignFrom.
	rows, err := stores[0].SigningKeys(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	perTurn := map[time.Time]int{}
	var starts []time.Time
	for _, r := range rows {
		if perTurn[r.SignFrom] == 0 {
			starts = append(starts, r.SignFrom)
		}
		perTurn[r.SignFrom]++
	}
	most := 0
	for _, s := range starts {
		most = max(most, perTurn[s])
	}
	t.Logf("%d keys for %d turns, at most %d in one turn", len(rows), len(starts), most)
	for i, s := range starts {
		if perTurn[s] != 1 {
			t.Errorf("turn %d (signing from %s): %d keys, want 1", i, s.Format(time.TimeOnly), perTurn[s])
		}
		if i > 0 && s.Sub(starts[i-1]) != interval {
			t.Errorf("turn %d starts %s after the one before, want %s", i, s.Sub(starts[i-1]), interval)
		}
	}
	if len(starts) < turns {
		t.Errorf("%d turns over %d intervals", len(starts), turns)
	}

	// And signing works on every instance, with a key of the store.
	for i, e := range envs {
		c := e.newClient("header")
		c.signIn(fmt.Sprintf("user%d", i))
		if kid := kidOf(t, c.access); signFromOf(rows, kid).IsZero() {
			t.Errorf("instance %d signs with %s, not a key of the store", i, kid)
		}
	}
}

func signFromOf(rows []store.SigningKey, kid string) time.Time {
	for _, r := range rows {
		if r.ID == kid {
			return r.SignFrom
		}
	}
	return time.Time{}
}
