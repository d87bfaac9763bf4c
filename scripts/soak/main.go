// Command soak drives the example app with bounded mixed traffic on loopback
// and reports whether it stays healthy: 90 % verify, 9 % refresh, 1 %
// sign-out followed by a new sign-in, half the users in cookie mode and half
// in header mode, with a signing-key rotation in the middle. It starts the
// example binary itself (scripts/soak.sh builds it) and watches its RSS,
// threads and open files through /proc.
//
// The example has no flag for a short key rotation interval, so at the
// middle of the run the driver opens the example's SQLite database as a
// second ginsession instance with KeyRotationInterval = 1 minute: that
// instance finds the current key's turn over and stores a new key that signs
// at once, exactly as another instance of the app would. The example picks
// it up at its next key reload (at most a minute later), and makes a key of
// its own when that short-lived key nears its end: two rotations under load.
//
// Goroutines: the example exposes no goroutine count, so at the end the
// driver sends it SIGQUIT (GOTRACEBACK=all: the runtime prints every
// goroutine and exits) and compares the count with a fresh instance of the
// example, idle, killed the same way.
//
// It exits 1 when a check fails: any 5xx, any unexpected 401 (a 401 is
// expected only for an access token past its exp), RSS growth of 10 % or more
// after warm-up, or more goroutines than the fresh instance.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

type config struct {
	bin       string
	dir       string
	duration  time.Duration
	warmup    time.Duration
	users     int
	workers   int
	rate      int
	accessTTL time.Duration
	sample    time.Duration
	cacheSize int
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "", "the example binary (cd example && go build -o BIN .)")
	flag.StringVar(&c.dir, "dir", "", "working directory for the databases and logs (default: a new temporary one)")
	flag.DurationVar(&c.duration, "duration", 10*time.Minute, "how long the traffic runs")
	flag.DurationVar(&c.warmup, "warmup", 0, "RSS baseline is taken after this long (default: a fifth of -duration)")
	flag.IntVar(&c.users, "users", 40, "virtual users (half cookie mode, half header mode)")
	flag.IntVar(&c.workers, "workers", 8, "concurrent requests")
	flag.IntVar(&c.rate, "rate", 300, "operations per second, at most")
	flag.DurationVar(&c.accessTTL, "access-ttl", 30*time.Second, "the example's -access-ttl")
	flag.DurationVar(&c.sample, "sample", 10*time.Second, "how often RSS, threads and open files are sampled")
	flag.IntVar(&c.cacheSize, "cache-size", 10000, "the example's verify-cache bound (ginsession's default VerifyCacheSize): the warm-up lasts at least until this many access tokens were issued, so the bounded cache is full")
	flag.Parse()
	if c.bin == "" {
		fmt.Fprintln(os.Stderr, "soak: -bin is required")
		os.Exit(2)
	}
	if c.warmup == 0 {
		c.warmup = c.duration / 5
	}
	if c.dir == "" {
		d, err := os.MkdirTemp("", "ginsession-soak-")
		if err != nil {
			fatal(err)
		}
		c.dir = d
	}
	ok, err := run(c)
	if err != nil {
		fatal(err)
	}
	if !ok {
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "soak:", err)
	os.Exit(2)
}

// app is a running example process.
type app struct {
	cmd    *exec.Cmd
	base   string
	db     string
	stderr string
	done   chan error
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startApp(c config, name string) (*app, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	a := &app{
		base:   "http://127.0.0.1:" + strconv.Itoa(port),
		db:     filepath.Join(c.dir, name+".db"),
		stderr: filepath.Join(c.dir, name+".stderr"),
		done:   make(chan error, 1),
	}
	logFile, err := os.Create(a.stderr)
	if err != nil {
		return nil, err
	}
	a.cmd = exec.Command(c.bin, "-addr", "127.0.0.1:"+strconv.Itoa(port), "-api-domain", a.base,
		"-db", a.db, "-access-ttl", c.accessTTL.String(), "-test-hooks")
	a.cmd.Env = append(os.Environ(), "GOTRACEBACK=all")
	a.cmd.Stdout, a.cmd.Stderr = logFile, logFile
	if err := a.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() { a.done <- a.cmd.Wait(); logFile.Close() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(a.base + "/auth/jwt/jwks.json")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return a, nil
			}
		}
		if time.Now().After(deadline) {
			a.cmd.Process.Kill()
			return nil, fmt.Errorf("%s did not come up: %v (see %s)", name, err, a.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// goroutines kills the app with SIGQUIT and counts the goroutines of the
// dump the runtime prints: all of them, and the application's (those with a
// frame outside the runtime; GC workers and the like come and go with the
// garbage collector).
func (a *app) goroutines() (all, application int, err error) {
	if err := a.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		return 0, 0, err
	}
	select {
	case <-a.done:
	case <-time.After(30 * time.Second):
		a.cmd.Process.Kill()
		return 0, 0, errors.New("no exit after SIGQUIT")
	}
	b, err := os.ReadFile(a.stderr)
	if err != nil {
		return 0, 0, err
	}
	i := bytes.Index(b, []byte("\nSIGQUIT"))
	if i < 0 {
		return 0, 0, errors.New("no goroutine dump in " + a.stderr)
	}
	for _, block := range strings.Split(string(b[i:]), "\ngoroutine ")[1:] {
		all++
		for _, line := range strings.Split(block, "\n")[1:] {
			if line == "" || line[0] == '\t' || strings.HasPrefix(line, "created by") {
				continue
			}
			if !strings.HasPrefix(line, "runtime.") && !strings.HasPrefix(line, "internal/") && strings.Contains(line, "(") {
				application++
				break
			}
		}
	}
	return all, application, nil
}

type procSample struct {
	at      time.Duration
	rssKB   int
	threads int
	fds     int // open file descriptors
	sockets int // of which sockets (the listener and live connections)
	tokens  int // access tokens issued so far (driver's count)
}

func sampleProc(pid int, at time.Duration) (procSample, error) {
	s := procSample{at: at}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			s.rssKB, _ = strconv.Atoi(f[1])
		case "Threads:":
			s.threads, _ = strconv.Atoi(f[1])
		}
	}
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		return s, err
	}
	s.fds = len(fds)
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && strings.HasPrefix(target, "socket:") {
			s.sockets++
		}
	}
	return s, nil
}

// user is one virtual user, used by one worker at a time.
type user struct {
	email, password string
	cookie          bool
	jar             http.CookieJar
	access, refresh string
}

// tally counts outcomes.
type tally struct {
	mu     sync.Mutex
	counts map[string]int
	kids   map[string]time.Duration // kid -> first seen
	start  time.Time
	errs   []string
}

func (t *tally) add(k string) {
	t.mu.Lock()
	t.counts[k]++
	t.mu.Unlock()
}

func (t *tally) fail(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.counts["FAILURE"]++
	if len(t.errs) < 20 {
		t.errs = append(t.errs, fmt.Sprintf(format, args...))
	}
}

func (t *tally) kid(tok string) {
	k := kidOf(tok)
	if k == "" {
		return
	}
	t.mu.Lock()
	if _, ok := t.kids[k]; !ok {
		t.kids[k] = time.Since(t.start).Round(time.Second)
	}
	t.mu.Unlock()
}

func segment(tok string, i int) map[string]any {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		return nil
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func kidOf(tok string) string {
	k, _ := segment(tok, 0)["kid"].(string)
	return k
}

// expired reports whether an access token's exp has passed.
func expired(tok string) bool {
	exp, ok := segment(tok, 1)["exp"].(float64)
	return ok && !time.Now().Before(time.Unix(int64(exp), 0))
}

type driver struct {
	c     config
	app   *app
	hc    *http.Client
	stats *tally
}

type answer struct {
	status  int
	message string
	body    string
}

// do sends one request as the frontend SDK would and keeps the tokens it
// is given.
func (d *driver) do(u *user, method, path string, body any) (answer, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, d.app.base+path, rd)
	if err != nil {
		return answer{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	mode := "header"
	if u.cookie {
		mode = "cookie"
	}
	req.Header.Set("st-auth-mode", mode)
	if strings.HasPrefix(path, "/auth/") {
		req.Header.Set("rid", "session")
	} else {
		req.Header.Set("rid", "anti-csrf")
	}
	if !u.cookie {
		tok := u.access
		if path == "/auth/session/refresh" {
			tok = u.refresh
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
	} else {
		for _, ck := range u.jar.Cookies(req.URL) {
			req.AddCookie(ck)
		}
	}
	res, err := d.hc.Do(req)
	if err != nil {
		return answer{}, err
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	a := answer{status: res.StatusCode, body: string(raw)}
	var m struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(raw, &m)
	a.message = m.Message
	if u.cookie {
		u.jar.SetCookies(req.URL, res.Cookies())
		for _, ck := range u.jar.Cookies(req.URL) {
			if ck.Name == "sAccessToken" {
				u.access = ck.Value
			}
		}
	} else {
		if v, ok := res.Header["St-Access-Token"]; ok {
			u.access = v[0]
		}
		if v, ok := res.Header["St-Refresh-Token"]; ok {
			u.refresh = v[0]
		}
	}
	if res.StatusCode >= 500 {
		d.stats.add("5xx")
		d.stats.fail("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	return a, nil
}

func (d *driver) signIn(u *user, path string) error {
	if u.cookie {
		u.jar, _ = cookiejar.New(nil)
	}
	u.access, u.refresh = "", ""
	a, err := d.do(u, "POST", path, map[string]string{"email": u.email, "password": u.password})
	if err != nil {
		return err
	}
	if a.status != 200 || strings.Contains(a.body, "ERROR") || u.access == "" {
		return fmt.Errorf("%s %s: %d %s", path, u.email, a.status, a.body)
	}
	d.stats.add("sign-in 200")
	d.stats.kid(u.access)
	return nil
}

func (d *driver) refresh(u *user, why string) {
	a, err := d.do(u, "POST", "/auth/session/refresh", nil)
	switch {
	case err != nil:
		d.stats.fail("refresh: %v", err)
	case a.status == 200:
		d.stats.add("refresh 200 (" + why + ")")
		d.stats.kid(u.access)
	default:
		d.stats.add(fmt.Sprintf("refresh %d %s", a.status, a.message))
		if a.status == 401 {
			d.stats.fail("unexpected 401 on refresh (%s): %s", u.email, a.body)
		}
	}
}

// verify calls GET /api/me; a 401 is expected only when the access token
// has expired, and is followed by a refresh and a retry, as the SDK does.
func (d *driver) verify(u *user) {
	tok := u.access
	a, err := d.do(u, "GET", "/api/me", nil)
	switch {
	case err != nil:
		d.stats.fail("verify: %v", err)
	case a.status == 200:
		d.stats.add("verify 200")
	case a.status == 401 && a.message == "try refresh token" && expired(tok):
		d.stats.add("verify 401 (token expired: expected)")
		d.refresh(u, "after expiry")
		if b, err := d.do(u, "GET", "/api/me", nil); err != nil || b.status != 200 {
			d.stats.fail("verify after refresh: %v %d %s", err, b.status, b.body)
		} else {
			d.stats.add("verify 200 (retry)")
		}
	default:
		d.stats.add(fmt.Sprintf("verify %d %s", a.status, a.message))
		if a.status == 401 {
			d.stats.fail("unexpected 401 on verify (%s, kid %s): %s", u.email, kidOf(tok), a.body)
		}
	}
}

func (d *driver) signOutIn(u *user) {
	a, err := d.do(u, "POST", "/auth/signout", nil)
	if err == nil && a.status == 401 && a.message == "try refresh token" && expired(u.access) {
		d.stats.add("sign-out 401 (token expired: expected)")
		d.refresh(u, "before sign-out")
		a, err = d.do(u, "POST", "/auth/signout", nil)
	}
	switch {
	case err != nil:
		d.stats.fail("sign-out: %v", err)
		return
	case a.status != 200:
		d.stats.fail("sign-out: %d %s", a.status, a.body)
		return
	}
	d.stats.add("sign-out 200")
	if err := d.signIn(u, "/signin"); err != nil {
		d.stats.fail("sign-in after sign-out: %v", err)
	}
}

// rotateKey opens the example's database as a second ginsession instance
// with a one-minute key rotation interval: it stores a new key that signs
// at once.
func rotateKey(c config, a *app) ([]string, error) {
	st, err := sqlitestore.Open(a.db, gormstore.Options{CleanupInterval: -1})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if _, err := ginsession.New(ginsession.Config{
		Store: st, APIDomain: a.base, AccessTokenTTL: c.accessTTL,
		KeyRotationInterval: time.Minute, RevocationPollInterval: -1,
	}); err != nil {
		return nil, err
	}
	keys, err := st.SigningKeys(context.Background(), time.Now())
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, fmt.Sprintf("%s (signs from %s)", k.ID, k.SignFrom.Format(time.TimeOnly)))
	}
	return ids, nil
}

func run(c config) (bool, error) {
	fmt.Printf("soak: %v of traffic, %d users, %d workers, at most %d ops/s, access tokens of %v; files in %s\n",
		c.duration, c.users, c.workers, c.rate, c.accessTTL, c.dir)
	a, err := startApp(c, "soak")
	if err != nil {
		return false, err
	}
	defer a.cmd.Process.Kill()
	pid := a.cmd.Process.Pid
	tr := &http.Transport{MaxIdleConnsPerHost: c.workers, MaxConnsPerHost: c.workers}
	d := &driver{c: c, app: a, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second},
		stats: &tally{counts: map[string]int{}, kids: map[string]time.Duration{}, start: time.Now()}}

	users := make([]*user, c.users)
	for i := range users {
		users[i] = &user{email: fmt.Sprintf("soak-%d@example.test", i), password: "soak-password-" + strconv.Itoa(i), cookie: i%2 == 0}
		if users[i].cookie {
			users[i].jar, _ = cookiejar.New(nil)
		}
		if err := d.signIn(users[i], "/signup"); err != nil {
			return false, err
		}
	}
	idle, err := sampleProc(pid, 0)
	if err != nil {
		return false, err
	}
	fmt.Printf("soak: before traffic: RSS %d KB, %d threads, %d open files (%d sockets)\n", idle.rssKB, idle.threads, idle.fds, idle.sockets)

	free := make(chan *user, len(users))
	for _, u := range users {
		free <- u
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.duration)
	defer cancel()
	tick := time.NewTicker(time.Second / time.Duration(c.rate))
	defer tick.Stop()
	var wg sync.WaitGroup
	for w := 0; w < c.workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				u := <-free
				switch p := rng.IntN(100); {
				case p < 90:
					d.verify(u)
				case p < 99:
					d.refresh(u, "scheduled")
				default:
					d.signOutIn(u)
				}
				free <- u
			}
		}(w)
	}

	var samples []procSample
	var rotated []string
	rotateAt := c.duration / 2
	start := time.Now()
	every := time.NewTicker(c.sample)
	defer every.Stop()
	rotateTimer := time.NewTimer(rotateAt)
	defer rotateTimer.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-rotateTimer.C:
			ids, err := rotateKey(c, a)
			if err != nil {
				d.stats.fail("key rotation: %v", err)
			}
			rotated = ids
			fmt.Printf("soak: %v: key rotation by a second instance; keys now: %s\n", time.Since(start).Round(time.Second), strings.Join(ids, ", "))
		case <-every.C:
			s, err := sampleProc(pid, time.Since(start).Round(time.Second))
			if err != nil {
				return false, err
			}
			d.stats.mu.Lock()
			s.tokens = d.stats.counts["sign-in 200"]
			for k, n := range d.stats.counts {
				if strings.HasPrefix(k, "refresh 200") {
					s.tokens += n
				}
			}
			d.stats.mu.Unlock()
			samples = append(samples, s)
			d.stats.mu.Lock()
			ops := 0
			for k, n := range d.stats.counts {
				if k != "FAILURE" && k != "5xx" {
					ops += n
				}
			}
			failures := d.stats.counts["FAILURE"]
			d.stats.mu.Unlock()
			fmt.Printf("soak: %6v RSS %6d KB  threads %3d  files %3d (sockets %2d)  operations %7d  tokens issued %6d  failures %d\n",
				s.at, s.rssKB, s.threads, s.fds, s.sockets, ops, s.tokens, failures)
		}
	}
	wg.Wait()
	elapsed := time.Since(start)

	// Traffic over: drop the idle keep-alive connections and let the
	// server settle, then measure.
	tr.CloseIdleConnections()
	time.Sleep(5 * time.Second)
	after, err := sampleProc(pid, elapsed.Round(time.Second))
	if err != nil {
		return false, err
	}
	var server struct {
		Requests map[string]struct {
			Count    int            `json:"count"`
			ByStatus map[string]int `json:"byStatus"`
		} `json:"requests"`
		Events map[string]int `json:"events"`
	}
	if res, err := http.Get(a.base + "/test/stats"); err == nil {
		json.NewDecoder(res.Body).Decode(&server)
		res.Body.Close()
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	time.Sleep(time.Second)
	soakedAll, soakedG, gerr := a.goroutines()

	fresh, err := startApp(c, "fresh")
	if err != nil {
		return false, err
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	time.Sleep(2 * time.Second)
	freshProc, _ := sampleProc(fresh.cmd.Process.Pid, 0)
	freshAll, freshG, ferr := fresh.goroutines()

	// Report.
	ok := true
	check := func(pass bool, format string, args ...any) {
		mark := "ok  "
		if !pass {
			mark = "FAIL"
			ok = false
		}
		fmt.Printf("  [%s] %s\n", mark, fmt.Sprintf(format, args...))
	}
	fmt.Printf("\nsoak: %v of traffic\n", elapsed.Round(time.Second))
	keys := make([]string, 0, len(d.stats.counts))
	total := 0
	for k, n := range d.stats.counts {
		keys = append(keys, k)
		if k != "FAILURE" && k != "5xx" {
			total += n
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("  %-45s %8d\n", k, d.stats.counts[k])
	}
	fmt.Printf("  %-45s %8d (%.0f/s)\n", "operations", total, float64(total)/elapsed.Seconds())
	server5xx, server401 := 0, 0
	for path, p := range server.Requests {
		for st, n := range p.ByStatus {
			if strings.HasPrefix(st, "5") {
				server5xx += n
			}
			if st == "401" {
				server401 += n
			}
			_ = path
		}
	}
	fmt.Printf("  server side: %d requests answered 5xx, %d answered 401; session events %v\n", server5xx, server401, server.Events)
	kidList := make([]string, 0, len(d.stats.kids))
	for k, at := range d.stats.kids {
		kidList = append(kidList, fmt.Sprintf("%s… first seen at %v", k[:8], at))
	}
	sort.Slice(kidList, func(i, j int) bool {
		return kidList[i][strings.Index(kidList[i], "at "):] < kidList[j][strings.Index(kidList[j], "at "):]
	})
	fmt.Printf("  signing keys seen in access tokens: %s\n", strings.Join(kidList, "; "))
	_ = rotated

	// Warm-up: at least -warmup, and until the verify cache (bounded at
	// -cache-size tokens) has filled.
	var base procSample
	for _, s := range samples {
		if s.at >= c.warmup && s.tokens >= c.cacheSize {
			base = s
			break
		}
	}
	maxRSS := 0
	for _, s := range samples {
		if base.rssKB > 0 && s.at >= base.at && s.rssKB > maxRSS {
			maxRSS = s.rssKB
		}
	}
	fmt.Println()
	check(d.stats.counts["5xx"] == 0 && server5xx == 0, "zero 5xx (driver saw %d, server answered %d)", d.stats.counts["5xx"], server5xx)
	check(d.stats.counts["FAILURE"] == 0, "zero unexpected 401 and failures (%d)", d.stats.counts["FAILURE"])
	for _, e := range d.stats.errs {
		fmt.Println("         ", e)
	}
	if base.rssKB > 0 {
		growth := 100 * float64(after.rssKB-base.rssKB) / float64(base.rssKB)
		check(growth < 10, "RSS after warm-up (%v, %d tokens issued): %d KB; at the end: %d KB (%+.1f %%); highest after warm-up %d KB; before traffic %d KB",
			base.at, base.tokens, base.rssKB, after.rssKB, growth, maxRSS, idle.rssKB)
	} else {
		check(false, "no RSS sample after the warm-up (%v and %d tokens issued)", c.warmup, c.cacheSize)
	}
	check(len(d.stats.kids) >= 2, "key rotation under load: %d signing keys used", len(d.stats.kids))
	fmt.Printf("  [info] OS threads: %d before traffic, %d after, %d in a fresh instance (Go keeps idle threads); open files: %d before, %d after, %d fresh (SQLite's bounded reader pool opens more connections under load)\n",
		idle.threads, after.threads, freshProc.threads, idle.fds, after.fds, freshProc.fds)
	if gerr != nil || ferr != nil {
		check(false, "goroutine counts: %v %v", gerr, ferr)
	} else {
		check(soakedG <= freshG, "goroutines back to baseline: %d application goroutines after the soak, %d in a fresh idle instance (all, runtime included: %d and %d)",
			soakedG, freshG, soakedAll, freshAll)
	}
	check(after.sockets <= idle.sockets, "sockets back to baseline (no connection left behind): %d before traffic, %d after", idle.sockets, after.sockets)
	if ok {
		fmt.Println("\nsoak: PASS")
	} else {
		fmt.Println("\nsoak: FAIL")
	}
	return ok, nil
}
