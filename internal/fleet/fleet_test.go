package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The run's fixed shape.
const (
	// apiDomain is every instance's -api-domain: the access tokens' issuer,
	// which must be the same on all of them. The cookies are host-only on
	// 127.0.0.1 (the host the harness calls), which shares them across the
	// instances' ports; the frontend's origin is the API's, so SameSite is
	// Lax and anti-CSRF NONE by default. The harness sends the SDK's rid
	// header anyway.
	apiDomain = "http://127.0.0.1"
	accessTTL = 2 * time.Second

	killDownFor = 2 * time.Second // the SIGKILLed instance's port stays closed this long
	dbDownFor   = 3 * time.Second // the database is stopped this long

	// restart503Margin is how long after the database is back a 503 still
	// counts as part of the outage. A request may reach an instance after
	// Start and still fail once: the pool holds connections to the
	// stopped server until it uses them (database/sql then drops them),
	// and pgbouncer refuses clients until its next server login attempt,
	// at most server_login_retry (1 s in pgtest) after Start.
	restart503Margin = 2 * time.Second
	// recoveryLimit bounds the recovery after the database restart: every
	// instance must serve a refresh and a query of the app's own tables
	// within it, without being restarted.
	recoveryLimit = 20 * time.Second
	// killConnMargin: connections to the killed instance may fail until
	// its replacement answers, and for this long after (keep-alive
	// connections to the dead process being noticed).
	killConnMargin = time.Second
	// signUpWorkers bounds the concurrent sign-ups (bcrypt) at set-up.
	signUpWorkers = 4
)

// TestFleet is the fleet harness: one run per database (-fleet.db) and
// instance count (-fleet.n). See doc.go.
func TestFleet(t *testing.T) {
	s, err := parseSettings()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := *flagBin
	var rows []string
	for _, dbName := range s.dbs {
		// One server per database kind, for all its runs; without the
		// database its runs skip (fail with CI=true), the others go on.
		t.Run(dbName, func(t *testing.T) {
			b := backends[dbName](t)
			if bin == "" {
				bin = buildExample(t, dir)
			}
			for _, n := range s.ns {
				t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) {
					res := runFleet(t, s, dbName, b, bin, n)
					row := res.row()
					rows = append(rows, row)
					t.Log("\n" + tableHeader + "\n" + row)
				})
			}
		})
	}
	if len(rows) > 0 {
		table := tableHeader + "\n" + strings.Join(rows, "\n")
		t.Log("fleet figures:\n" + table)
		fmt.Println("\nfleet figures (" + time.Now().UTC().Format(time.DateTime) + " UTC):\n" + table)
	}
}

// window is a span of the run during which something was injected.
type window struct{ from, to time.Time }

// overlaps reports whether [a, b] meets the window extended by margin.
func (w window) overlaps(a, b time.Time, margin time.Duration) bool {
	return !w.from.IsZero() && a.Before(w.to.Add(margin)) && b.After(w.from)
}

// result is one run's figures and findings.
type result struct {
	db           string
	n            int
	load         time.Duration
	startup      time.Duration
	requests     int64
	refreshes    int64
	races        int
	lost         []string
	forks        []string
	bad5xx       []string // 5xx other than a 503 with Retry-After while the database was down
	ok503        int
	revocations  revocationFigures
	peak, budget int
	keys         int
	keysLo       int
	keysHi       int
	jwksKids     int
	recovery     time.Duration
}

const tableHeader = "| database | N | load | requests | refreshes | two-tab races | lost sessions | forks | 5xx (not 503 while down) | 503 while down | revocation p50 / p99 (samples; p99 away from the DB restart) | peak connections / budget | keys published / expected | recovery after DB restart |\n" +
	"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|"

func (r *result) row() string {
	expected := fmt.Sprint(r.keysLo)
	if r.keysHi != r.keysLo {
		expected = fmt.Sprintf("%d–%d", r.keysLo, r.keysHi)
	}
	return fmt.Sprintf("| %s | %d | %s | %d (%.0f/s) | %d | %d | %d | %d | %d | %d | %s | %d / %d | %d / %s (JWKS: %d) | %s |",
		r.db, r.n, r.load.Round(time.Second), r.requests, float64(r.requests)/r.load.Seconds(), r.refreshes, r.races,
		len(r.lost), len(r.forks), len(r.bad5xx), r.ok503, r.revocations, r.peak, r.budget,
		r.keys, expected, r.jwksKids, ms(r.recovery))
}

// monitor samples the database's connections and signing keys, and the
// instances' JWKS, from outside.
type monitor struct {
	mu        sync.Mutex
	peak      int
	peakAt    time.Time
	samples   int
	failures  int
	keys      map[string]time.Time // every key id seen in the table, with its sign_from
	kids      map[string]bool      // every kid seen in a JWKS
	jwksFails []string
	done      chan struct{}
}

func startMonitor(ctx context.Context, f *fleet, db database) *monitor {
	m := &monitor{keys: map[string]time.Time{}, kids: map[string]bool{}, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			m.sampleConns(ctx, db)
			if i%10 == 0 {
				m.sampleKeys(ctx, db)
			}
			if i%20 == 0 {
				m.sampleJWKS(ctx, f, f.ins[(i/20)%len(f.ins)])
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

func (m *monitor) sampleConns(ctx context.Context, db database) {
	c, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	n, err := db.Connections(c)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.failures++ // the database is down
		return
	}
	m.samples++
	if n > m.peak {
		m.peak, m.peakAt = n, time.Now()
	}
}

func (m *monitor) sampleKeys(ctx context.Context, db database) {
	c, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	keys, err := db.SigningKeys(c)
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		m.keys[k.ID] = k.SignFrom
	}
}

// sampleJWKS adds the kids an instance publishes.
func (m *monitor) sampleJWKS(ctx context.Context, f *fleet, in *instance) {
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r, err := f.do(c, probe, in, request{method: http.MethodGet, path: "/auth/jwt/jwks.json"})
	if err != nil {
		return
	}
	var jwks struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.status != http.StatusOK || json.Unmarshal(r.body, &jwks) != nil {
		m.jwksFails = append(m.jwksFails, fmt.Sprintf("instance %d: %d %s", in.idx, r.status, truncate(string(r.body), 120)))
		return
	}
	for _, k := range jwks.Keys {
		m.kids[k.Kid] = true
	}
}

// probeSession is a header-mode session the recovery probe refreshes on
// one instance.
type probeSession struct {
	access, refresh string
}

// recover waits until instance in serves a refresh (ginsession's store)
// and GET /api/notes (the example's own table) with 200.
func (f *fleet) recover(ctx context.Context, in *instance, p *probeSession, limit time.Duration) (time.Duration, error) {
	begin := time.Now()
	for time.Since(begin) < limit && ctx.Err() == nil {
		r, err := f.do(ctx, probe, in, request{method: http.MethodPost, path: "/auth/session/refresh",
			header: map[string]string{"Authorization": "Bearer " + p.refresh, "st-auth-mode": "header", "rid": "session"}})
		switch {
		case err != nil, r.status == http.StatusServiceUnavailable:
			sleep(ctx, 50*time.Millisecond)
			continue
		case r.status != http.StatusOK:
			if r.status == http.StatusUnauthorized {
				f.mu.Lock()
				f.lost = append(f.lost, fmt.Sprintf("%6.2fs recovery probe on instance %d: refresh answered 401 %q",
					r.recv.Sub(f.begin).Seconds(), in.idx, r.message))
				f.mu.Unlock()
			}
			return 0, fmt.Errorf("instance %d: recovery refresh: %d %s", in.idx, r.status, truncate(string(r.body), 200))
		}
		p.access, p.refresh = r.header.Get("St-Access-Token"), r.header.Get("St-Refresh-Token")
		r, err = f.do(ctx, probe, in, request{method: http.MethodGet, path: "/api/notes",
			header: map[string]string{"Authorization": "Bearer " + p.access, "st-auth-mode": "header", "rid": "anti-csrf"}})
		switch {
		case err != nil, r.status == http.StatusServiceUnavailable:
			sleep(ctx, 50*time.Millisecond)
			continue
		case r.status != http.StatusOK:
			return 0, fmt.Errorf("instance %d: recovery GET /api/notes: %d %s", in.idx, r.status, truncate(string(r.body), 200))
		}
		return time.Since(begin), nil
	}
	return 0, fmt.Errorf("instance %d: not recovered %v after the database restart", in.idx, limit)
}

// runFleet makes one run: N instances on one empty database, the load,
// the faults, the figures and the checks.
func runFleet(t *testing.T, s settings, dbName string, b backend, bin string, n int) *result {
	db := b.newDatabase(t)
	dir := t.TempDir()
	args := []string{"-api-domain", apiDomain, "-access-ttl", accessTTL.String(), "-test-hooks"}
	if s.keyRotation > 0 {
		args = append(args, "-key-rotation", s.keyRotation.String())
	}
	args = append(args, db.Args()...)
	ins := make([]*instance, n)
	for i := range ins {
		ins[i] = newInstance(t, i, bin, dir, args)
	}
	f := newFleet(ins)
	res := &result{db: dbName, n: n, budget: n * db.PerInstance()}
	// After the instances have stopped (cleanups run last first), before
	// dir is removed: a failed run keeps the instances' logs.
	t.Cleanup(func() {
		if t.Failed() {
			keepLogs(t, dir)
		}
	})
	res.startup = startTogether(t, f.hc, ins)
	t.Logf("%d instances on one empty database answering after %v", n, res.startup.Round(time.Millisecond))
	defer func() {
		for _, in := range ins {
			if d := in.unexpectedExits(); len(d) > 0 {
				t.Errorf("instance %d exited without being asked: %s", in.idx, strings.Join(d, "; "))
			}
		}
	}()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mon := startMonitor(ctx, f, db)

	// Set-up: the users, the revocation samplers' accounts and one recovery
	// probe session per instance.
	users := make([]*user, s.users*n)
	for i := range users {
		tabs := 1
		if i%4 == 0 {
			tabs = 2
		}
		users[i] = f.newUser(i, i%3 == 0, tabs)
	}
	setupBegin := time.Now()
	jobs := make(chan *user)
	errs := make(chan error, len(users))
	var setup sync.WaitGroup
	for range signUpWorkers {
		setup.Go(func() {
			for u := range jobs {
				errs <- u.signIn(ctx, probe, "/signup")
			}
		})
	}
	for _, u := range users {
		jobs <- u
	}
	close(jobs)
	setup.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("set-up: %v", err)
		}
	}
	probes := make([]*probeSession, n)
	for i, in := range ins {
		r, err := f.signInAt(ctx, probe, in, "/signup", fmt.Sprintf("probe%d@fleet.example", i), "probe password", false)
		if err != nil {
			t.Fatalf("set-up: %v", err)
		}
		probes[i] = &probeSession{access: r.header.Get("St-Access-Token"), refresh: r.header.Get("St-Refresh-Token")}
	}
	for i := range samplers {
		if _, err := f.signInAt(ctx, probe, f.pick(-1), "/signup", fmt.Sprintf("revoke%d@fleet.example", i), "revoke password", false); err != nil {
			t.Fatalf("set-up: %v", err)
		}
	}
	t.Logf("%d users (%d with two tabs, %d in cookie mode) signed up in %v", len(users),
		(len(users)+3)/4, (len(users)+2)/3, time.Since(setupBegin).Round(time.Millisecond))

	// The load.
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var wg sync.WaitGroup
	loadBegin := time.Now()
	f.begin = loadBegin // the times the harness logs count from here
	var metrics *scraper
	if s.dashboard != "" {
		metrics = startScraper(ctx, ins, loadBegin)
	}
	for _, u := range users {
		for tab := range u.tabs {
			wg.Go(func() { u.run(loadCtx, tab) })
		}
	}
	samples := make(chan revSample, 1024)
	var collected []revSample
	collectDone := make(chan struct{})
	go func() {
		defer close(collectDone)
		for s := range samples {
			collected = append(collected, s)
		}
	}()
	var samplersWG sync.WaitGroup
	for i := range samplers {
		samplersWG.Go(func() {
			f.sampleRevocations(loadCtx, fmt.Sprintf("revoke%d@fleet.example", i), "revoke password", samples)
		})
	}
	var refreshesAtDBUp atomic.Int64

	// The faults, on this goroutine (pgtest's Stop and Start may fail the
	// test).
	at := func(frac float64) { sleep(ctx, time.Until(loadBegin.Add(time.Duration(frac*float64(s.duration))))) }
	at(0.25)
	victim := ins[rand.IntN(n)]
	var kill window
	kill.from = time.Now()
	victim.kill()
	t.Logf("%5.1fs instance %d SIGKILLed", time.Since(loadBegin).Seconds(), victim.idx)
	sleep(ctx, killDownFor)
	if err := victim.start(); err != nil {
		t.Fatalf("restarting instance %d: %v", victim.idx, err)
	}
	if err := victim.ready(f.hc, instanceStartLimit); err != nil {
		t.Fatalf("restarting instance %d: %v", victim.idx, err)
	}
	kill.to = time.Now()
	t.Logf("%5.1fs instance %d answering again on its port (%v after the kill)", time.Since(loadBegin).Seconds(), victim.idx, kill.to.Sub(kill.from).Round(time.Millisecond))

	at(0.55)
	var down window
	down.from = time.Now()
	db.Stop(t)
	t.Logf("%5.1fs database stopped (%v)", time.Since(loadBegin).Seconds(), time.Since(down.from).Round(time.Millisecond))
	sleep(ctx, dbDownFor)
	db.Start(t)
	down.to = time.Now()
	refreshesAtDBUp.Store(f.refreshes.Load())
	t.Logf("%5.1fs database accepting connections again (%v after the stop began)", time.Since(loadBegin).Seconds(), down.to.Sub(down.from).Round(time.Millisecond))
	recovered := make(chan error, n)
	var slowest atomic.Int64
	for i, in := range ins {
		go func() {
			d, err := f.recover(ctx, in, probes[i], recoveryLimit)
			for {
				old := slowest.Load()
				if int64(d) <= old || slowest.CompareAndSwap(old, int64(d)) {
					break
				}
			}
			recovered <- err
		}()
	}
	for range ins {
		if err := <-recovered; err != nil {
			t.Errorf("no recovery after the database restart: %v", err)
		}
	}
	res.recovery = time.Duration(slowest.Load())
	t.Logf("%5.1fs every instance serves refreshes and its own tables again (%v after the database was back)",
		time.Since(loadBegin).Seconds(), res.recovery.Round(time.Millisecond))

	at(1)
	stopLoad()
	wg.Wait()
	samplersWG.Wait()
	close(samples)
	<-collectDone
	loadEnd := time.Now()
	res.load = loadEnd.Sub(loadBegin)
	if metrics != nil {
		writeRunDashboard(t, s, res, metrics.stop(), loadBegin, victim.idx, kill, down)
	}

	// The last look at the keys: the table, and every instance's JWKS.
	for _, in := range ins {
		mon.sampleJWKS(ctx, f, in)
	}
	mon.sampleKeys(ctx, db)
	cancel()
	<-mon.done
	refreshesAfter := f.refreshes.Load() - refreshesAtDBUp.Load()

	// Figures.
	f.mu.Lock()
	defer f.mu.Unlock()
	res.requests, res.refreshes, res.races = f.requests.Load(), f.refreshes.Load(), f.races
	res.lost, res.forks = f.lost, f.forks
	var last503 time.Time
	for _, e := range f.fiveXXs {
		if e.status == http.StatusServiceUnavailable && e.retryAfter != "" && down.overlaps(e.sent, e.recv, restart503Margin) {
			res.ok503++
			if e.recv.After(last503) {
				last503 = e.recv
			}
			continue
		}
		res.bad5xx = append(res.bad5xx, fmt.Sprintf("%6.2fs %s on instance %d: %d (Retry-After %q) %s",
			e.recv.Sub(loadBegin).Seconds(), e.path, e.instance, e.status, e.retryAfter, e.body))
	}
	res.revocations = summariseRevocations(collected, down)
	res.peak = mon.peak
	res.keys = len(mon.keys)
	res.jwksKids = len(mon.kids)

	t.Logf("load %v: %d requests (%d GET /api/me answered 200, %d 401 try refresh token of which %d with over a second of life left), %d refreshes (%d after the database restart, %d retried after a 503), %d sign-ins again, %d probe and %d revocation-sampler requests",
		res.load.Round(time.Millisecond), res.requests, f.meOK.Load(), f.tryRefresh.Load(), f.earlyRefresh.Load(),
		res.refreshes, refreshesAfter, f.retried503.Load(), f.signIns.Load(), f.probes.Load(), f.revPolls.Load())
	t.Logf("statuses: %v; connection errors: %d", f.status, len(f.connErrs))
	slow := append([]revSample(nil), collected...)
	sort.Slice(slow, func(i, j int) bool { return slow[i].latency > slow[j].latency })
	for _, r := range slow[:min(3, len(slow))] {
		what := "refused as revoked"
		if r.expired {
			what = fmt.Sprintf("expired first (%v of life left at the sign-out)", r.left.Round(time.Millisecond))
		}
		t.Logf("slow revocation: %v, signed out on instance %d at %.2fs, instance %d: %s",
			r.latency.Round(time.Millisecond), r.a, r.at.Sub(loadBegin).Seconds(), r.b, what)
	}
	if !last503.IsZero() {
		t.Logf("503s while the database was down: %d, the last answered at %+.3fs from its return", res.ok503, last503.Sub(down.to).Seconds())
	}
	t.Logf("connections: peak %d at %.1fs (budget %d = %d × %d), %d samples, %d failed (database down)",
		mon.peak, mon.peakAt.Sub(loadBegin).Seconds(), res.budget, n, db.PerInstance(), mon.samples, mon.failures)
	for _, note := range f.notes {
		t.Log("note: " + note)
	}

	// Checks.
	for _, l := range res.lost {
		t.Errorf("lost session: %s", l)
	}
	for _, fk := range res.forks {
		t.Errorf("fork: %s", fk)
	}
	for _, e := range res.bad5xx {
		t.Errorf("5xx that is not a 503 with Retry-After while the database was down (%v + %v): %s", down.to.Sub(down.from).Round(time.Millisecond), restart503Margin, e)
	}
	for _, c := range f.connErrs {
		if c.instance != victim.idx || !kill.overlaps(c.sent, c.recv, killConnMargin) {
			t.Errorf("no answer from instance %d at %.2fs outside the SIGKILL of instance %d (%.2fs–%.2fs): %s",
				c.instance, c.recv.Sub(loadBegin).Seconds(), victim.idx, kill.from.Sub(loadBegin).Seconds(), kill.to.Sub(loadBegin).Seconds(), c.err)
		}
	}
	if res.refreshes == 0 || refreshesAfter == 0 {
		t.Errorf("refreshes: %d in all, %d after the database restart: the load did not run (or did not recover)", res.refreshes, refreshesAfter)
	}
	if res.peak > res.budget {
		t.Errorf("peak connections %d > budget %d (%d instances × (MaxOpenConns %d + listener))", res.peak, res.budget, n, maxOpenConns)
	}
	if mon.samples < int(res.load/time.Second) {
		t.Errorf("only %d connection samples in %v", mon.samples, res.load.Round(time.Second))
	}
	if len(res.revocations.seen) < minRevSamples {
		t.Errorf("%d revocation samples, want at least %d", len(res.revocations.seen), minRevSamples)
	}
	for _, e := range res.revocations.expired {
		if e.left > expiredFailsAbove && !down.overlaps(e.at, e.at.Add(accessTTL), revDegradedFor) {
			t.Errorf("revocation at %.2fs (sign-out on instance %d) not seen by instance %d in the %v the access token had left, with the database up",
				e.at.Sub(loadBegin).Seconds(), e.a, e.b, e.left.Round(time.Millisecond))
		}
	}
	checkKeys(t, res, mon, s, down)
	for _, j := range mon.jwksFails {
		t.Errorf("JWKS: %s", j)
	}
	return res
}

// checkKeys: exactly one signing key per rotation turn. The first key
// signs from the moment the first instance started (signFrom of the oldest
// key, t0); the key of turn k (k ≥ 1) signs from t0 + k·I and is made by
// the first instance to reload its keys after t0 + k·I − lead (lead: half
// the interval, at most 10 min), and instances reload every lead/2 (at
// most a minute) while they serve; a database outage delays that reload
// by the outage. So at the end E, the keys made are at least 1 + #{k ≥ 1:
// k·I − lead + lead/2 + outage + 2 s ≤ E − t0} and at most 1 + #{k ≥ 1:
// k·I − lead ≤ E − t0}; and no two keys sign from less than one interval
// apart (a second key in one turn would).
func checkKeys(t *testing.T, res *result, mon *monitor, s settings, down window) {
	t.Helper()
	interval := s.keyRotation
	if interval == 0 {
		interval = 7 * 24 * time.Hour // ginsession's default
	}
	lead := min(interval/2, 10*time.Minute)
	reload := min(lead/2, time.Minute)
	var froms []time.Time
	for _, from := range mon.keys {
		froms = append(froms, from)
	}
	sort.Slice(froms, func(i, j int) bool { return froms[i].Before(froms[j]) })
	if len(froms) == 0 {
		t.Errorf("keys: none seen in the signing-key table")
		return
	}
	elapsed := time.Since(froms[0])
	slack := down.to.Sub(down.from) + 2*time.Second
	res.keysLo, res.keysHi = 1, 1
	for k := 1; time.Duration(k)*interval-lead <= elapsed; k++ {
		res.keysHi++
		if time.Duration(k)*interval-lead+reload+slack <= elapsed {
			res.keysLo++
		}
	}
	if res.keys < res.keysLo || res.keys > res.keysHi {
		t.Errorf("keys: %d published in %v, want %s (one per rotation turn of %v)", res.keys, elapsed.Round(time.Second),
			map[bool]string{true: fmt.Sprint(res.keysLo), false: fmt.Sprintf("%d to %d", res.keysLo, res.keysHi)}[res.keysLo == res.keysHi], interval)
	}
	for i := 1; i < len(froms); i++ {
		if gap := froms[i].Sub(froms[i-1]); gap < interval-time.Second {
			t.Errorf("keys: two keys sign from %v apart, less than the interval %v: two keys in one turn", gap, interval)
		}
	}
	for kid := range mon.kids {
		if _, ok := mon.keys[kid]; !ok {
			t.Errorf("keys: JWKS publishes kid %s, which the signing-key table never held", kid)
		}
	}
	if len(mon.kids) == 0 {
		t.Errorf("keys: no JWKS answered")
	}
}
