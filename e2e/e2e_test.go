//go:build unix

// Package e2e runs the real SuperTokens frontend SDKs (supertokens-website
// and supertokens-web-js, pinned in package.json) in Debian's Chromium
// against the example app, through playwright-core. The Go test is the
// harness: it builds the example, starts every server the scenarios need on
// free loopback ports, builds the SDK bundles with esbuild, runs the Node
// driver run.mjs and stops everything it started.
//
// Without node, /usr/bin/chromium or e2e/node_modules (npm ci) the test
// skips with a message; under CI=true it fails instead.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	chromiumPath = "/usr/bin/chromium"
	accessTTL    = 3 * time.Second // short, so refreshes happen during the run; long enough that a loaded CI machine finishes a step before expiry
	driverLimit  = 9 * time.Minute // the whole browser run (about 4 min on an idle 2-core machine; room for a loaded one)
	buildLimit   = 2 * time.Minute // go build and the esbuild bundles
	readyLimit   = 30 * time.Second
)

// server is one example-app process.
type server struct {
	Name   string `json:"-"`
	Origin string `json:"origin"` // as the browser reaches it
	Direct string `json:"direct"` // http://127.0.0.1:port, for the driver's own requests
	port   int
	args   []string
	after  string // start only once this server is up (they share a database)
	cmd    *exec.Cmd
	Log    string `json:"log"` // its stdout and stderr, which the driver may read
	// tlsConfig, for a server on HTTPS, trusts its certificate (waitReady).
	tlsConfig *tls.Config
}

// driverConfig is what run.mjs reads from $E2E_CONFIG.
type driverConfig struct {
	Chromium    string             `json:"chromium"`
	Artifacts   string             `json:"artifacts"`
	Modes       []string           `json:"modes"`
	AccessTTLMs int64              `json:"accessTtlMs"`
	Pages       map[string]string  `json:"pages"`
	Servers     map[string]*server `json:"servers"`
	Only        string             `json:"only,omitempty"`
	Sequential  bool               `json:"sequential,omitempty"`
	// Core is the base URL of the harness's SuperTokens core routes
	// (takeover_test.go); empty when no core could be made (no Postgres).
	Core string `json:"core,omitempty"`
}

// browserSuite skips a browser test in -short mode (unless CI=true) and
// when node, Chromium or e2e/node_modules are missing (failing instead
// under CI=true), and returns e2e/ and the repository root.
func browserSuite(t *testing.T) (here, root string) {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	if testing.Short() && !ci {
		t.Skip("real-browser suite skipped in -short mode")
	}
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root = filepath.Dir(here)
	if missing := prerequisites(here); len(missing) > 0 {
		msg := "real-browser suite needs " + strings.Join(missing, ", ") +
			" (install Debian's chromium and Node.js with npm, then run npm ci in e2e/)"
		if ci {
			t.Fatal("CI=true: " + msg)
		}
		t.Skip(msg)
	}
	return here, root
}

func TestRealBrowser(t *testing.T) {
	here, root := browserSuite(t)
	started := time.Now()
	tmp := t.TempDir()

	// The example binary and the SDK bundles; meanwhile the SuperTokens
	// core of scenario 29, imported into the
	// stores its servers will open (takeover_test.go).
	var core *coreTakeover
	bin, site := buildSite(t, root, here, tmp, func() {
		if only := os.Getenv("E2E_ONLY"); only == "" || slices.Contains(strings.Split(only, ","), "29") {
			core = prepareTakeover(t, tmp, []string{"cookie", "header"})
		}
	})

	artifacts := os.Getenv("E2E_ARTIFACTS")
	if artifacts == "" {
		// Kept after the test, so screenshots can be looked at.
		var err error
		if artifacts, err = os.MkdirTemp("", "ginsession-e2e-"); err != nil {
			t.Fatal(err)
		}
	} else if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("artifacts (screenshots) in %s", artifacts)

	pagePort, servers := plan(t, tmp, site)

	pageMux := http.NewServeMux()
	pageMux.Handle("/", noCache(http.FileServer(http.Dir(site))))
	if core != nil {
		pageMux.Handle("/e2e-core/", core.handler())
	}
	pageSrv := &http.Server{Handler: pageMux, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(pagePort))
	if err != nil {
		t.Fatal(err)
	}
	go pageSrv.Serve(ln)
	t.Cleanup(func() { pageSrv.Close() })

	startServers(t, bin, servers)

	cfg := driverConfig{
		Chromium:    chromiumPath,
		Artifacts:   artifacts,
		Modes:       []string{"cookie", "header"},
		AccessTTLMs: accessTTL.Milliseconds(),
		Pages: map[string]string{
			"localhost": fmt.Sprintf("http://localhost:%d", pagePort),
			"app":       fmt.Sprintf("http://app.example.test:%d", pagePort),
			"other":     fmt.Sprintf("http://other.example.test:%d", pagePort),
			"evil":      fmt.Sprintf("http://evil.example.test:%d", pagePort),
			// 20, 21: tenants on subdomains matched by one pattern, and a
			// subdomain two labels deep that the pattern does not match.
			"acme":     fmt.Sprintf("http://acme.apps.example.test:%d", pagePort),
			"globex":   fmt.Sprintf("http://globex.apps.example.test:%d", pagePort),
			"twoLabel": fmt.Sprintf("http://a.b.apps.example.test:%d", pagePort),
			// 22: the site that embeds the frontend in an iframe.
			"portal": fmt.Sprintf("http://portal.example.test:%d", pagePort),
			// 27: the frontend and a hostile sibling under e2e.localhost,
			// where Chromium takes Secure cookies over http.
			"lhApp":  fmt.Sprintf("http://app.e2e.localhost:%d", pagePort),
			"lhEvil": fmt.Sprintf("http://evil.e2e.localhost:%d", pagePort),
		},
		Servers:    map[string]*server{},
		Only:       os.Getenv("E2E_ONLY"),
		Sequential: os.Getenv("E2E_SEQUENTIAL") == "1",
	}
	if core != nil {
		cfg.Core = fmt.Sprintf("http://127.0.0.1:%d/e2e-core", pagePort)
	}
	for _, s := range servers {
		cfg.Servers[s.Name] = s
	}
	if m := os.Getenv("E2E_MODES"); m != "" {
		cfg.Modes = strings.Split(m, ",")
	}
	enc, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}

	t.Logf("setup took %v; running the driver (limit %v)", time.Since(started).Round(time.Millisecond), driverLimit)
	driverStart := time.Now()
	err = runDriver(t, here, enc)
	t.Logf("driver wall time %v, whole test %v", time.Since(driverStart).Round(time.Millisecond), time.Since(started).Round(time.Millisecond))
	if err != nil {
		for _, s := range servers {
			t.Logf("--- last lines of %s (%s)\n%s", s.Name, s.Origin, tail(s.Log, 25))
		}
		t.Fatalf("driver: %v", err)
	}
}

// buildSite builds the example binary and the SDK bundles (concurrently)
// into tmp, and returns the binary and one directory of pages and bundles,
// served both by the test's own static server (other origins) and by the
// example (-static-dir, same origin).
//
// meanwhile, when not nil, runs while they build.
func buildSite(t *testing.T, root, here, tmp string, meanwhile func()) (bin, site string) {
	t.Helper()
	bin = filepath.Join(tmp, "example")
	var wg sync.WaitGroup
	var buildErr, bundleErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		// example/ is a module of its own: built from its directory.
		buildErr = runLogged(t, filepath.Join(root, "example"), buildLimit, goTool(), "build", "-o", bin, ".")
	}()
	go func() {
		defer wg.Done()
		bundleErr = runLogged(t, here, buildLimit, "node", "build.mjs")
	}()
	if meanwhile != nil {
		meanwhile()
	}
	wg.Wait()
	if buildErr != nil {
		t.Fatalf("go build ./example: %v", buildErr)
	}
	if bundleErr != nil {
		t.Fatalf("node build.mjs: %v", bundleErr)
	}
	site = filepath.Join(tmp, "site")
	if err := copyDir(filepath.Join(here, "pages"), site); err != nil {
		t.Fatal(err)
	}
	if err := copyDir(filepath.Join(here, "dist"), filepath.Join(site, "dist")); err != nil {
		t.Fatal(err)
	}
	return bin, site
}

// prerequisites lists what is missing to run the suite.
func prerequisites(here string) []string {
	var missing []string
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = append(missing, chromiumPath)
	}
	for _, pkg := range []string{"playwright-core", "esbuild", "supertokens-website", "supertokens-web-js", "jose"} {
		if _, err := os.Stat(filepath.Join(here, "node_modules", pkg, "package.json")); err != nil {
			missing = append(missing, "e2e/node_modules/"+pkg)
		}
	}
	return missing
}

func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// plan picks free loopback ports and describes every server. All listen on
// 127.0.0.1; Chromium reaches *.example.test there through
// --host-resolver-rules.
func plan(t *testing.T, tmp, site string) (pagePort int, servers []*server) {
	t.Helper()
	type spec struct {
		name, host string
		db         string
		issuer     string // another server whose APIDomain this one shares (one issuer for one database)
		after      string
		flags      []string
	}
	pageOrigin := func(host string) string { return "http://" + host + ":" + "{page}" }
	var specs []spec
	for _, mode := range []string{"cookie", "header"} {
		m := "-" + mode
		specs = append(specs,
			// 1–12, 16: a page on another port (cross-origin, same site) or
			// on the API itself (-static-dir: same origin).
			spec{name: "main" + m, host: "localhost", db: "main" + m, flags: []string{
				"-origins", pageOrigin("localhost"), "-static-dir", site}},
			// 11: anti-CSRF VIA_TOKEN.
			spec{name: "viatoken" + m, host: "localhost", db: "viatoken" + m, flags: []string{
				"-origins", pageOrigin("localhost"), "-anti-csrf", "VIA_TOKEN"}},
			// 13: two frontends, one of them cross-site. SameSite=None
			// cookies need Secure, which Chromium accepts from
			// http://localhost.
			spec{name: "multi" + m, host: "localhost", db: "multi" + m, flags: []string{
				"-origins", pageOrigin("localhost") + "," + pageOrigin("app.example.test"), "-cookie-secure", "true"}},
			// 14: two API servers on subdomains, one database and keys.
			spec{name: "api" + m, host: "api.example.test", db: "sub" + m, flags: []string{
				"-origins", pageOrigin("app.example.test"), "-cookie-domain", ".example.test"}},
			spec{name: "api2" + m, host: "api2.example.test", db: "sub" + m, issuer: "api" + m, after: "api" + m, flags: []string{
				"-origins", pageOrigin("app.example.test"), "-cookie-domain", ".example.test"}},
			// 15: the same API host before and after cookieDomain changed
			// (two ports stand for the redeploy; cookies ignore ports).
			spec{name: "old" + m, host: "api.example.test", db: "migrate" + m, flags: []string{
				"-origins", pageOrigin("app.example.test")}},
			spec{name: "new" + m, host: "api.example.test", db: "migrate" + m, issuer: "old" + m, after: "old" + m, flags: []string{
				"-origins", pageOrigin("app.example.test"), "-cookie-domain", ".example.test", "-older-cookie-domain", "host-only"}},
			// 17, 23: the example's own demo page (?mode=header in header
			// mode); 23's second device is the SDK page, same origin.
			spec{name: "demo" + m, host: "localhost", db: "demo" + m, flags: []string{"-static-dir", site}},
			// 29: the SuperTokens core's sessions, imported into this
			// database before the server starts (takeoverDB).
			spec{name: "takeover" + m, host: "localhost", db: "takeover" + m, flags: []string{
				"-origins", pageOrigin("localhost"), "-refresh-grace", takeoverGrace.String()}},
		)
	}
	// 18, 19: cookie tossing from a sibling subdomain (cookie mode only).
	// The common subdomain deployment: frontend on app.example.test, API on
	// api.example.test with the default host-only cookies; the hostile page
	// is on evil.example.test and plants Domain=.example.test cookies, which
	// the browser sends to the API beside the API's own. (With -cookie-domain
	// .example.test a plant with the same Domain and Path is refused, as
	// script may not overwrite an HttpOnly cookie; it takes another Path.)
	specs = append(specs, spec{name: "sibling-cookie", host: "api.example.test", db: "sibling-cookie", flags: []string{
		"-origins", pageOrigin("app.example.test")}})
	// 20, 21: one API for a default frontend and every tenant subdomain
	// under apps.example.test (one pattern); 21's mobile client names its
	// tenant in X-Tenant. Header lane only for 21.
	for _, mode := range []string{"cookie", "header"} {
		specs = append(specs, spec{name: "tenants-" + mode, host: "api.example.test", db: "tenants-" + mode, flags: []string{
			"-origins", pageOrigin("app.example.test") + "," + pageOrigin("*.apps.example.test")}})
	}
	// 22: a frontend on localhost embedded in an iframe by a page on
	// portal.example.test: with Partitioned cookies, and the cookie lane's
	// control, the same server without them.
	for _, mode := range []string{"cookie", "header"} {
		specs = append(specs, spec{name: "embed-" + mode, host: "localhost", db: "embed-" + mode, flags: []string{
			"-origins", pageOrigin("localhost"), "-cookie-partitioned", "-cookie-secure", "true"}})
	}
	specs = append(specs, spec{name: "embed-plain", host: "localhost", db: "embed-plain", flags: []string{
		"-origins", pageOrigin("localhost"), "-cookie-secure", "true"}})
	// 27: Partitioned cookies on an API with sibling subdomains. Every
	// *.localhost name is a secure context (Secure cookies over http) and
	// loopback to Chromium, and e2e.localhost is a site of its own, so
	// evil.e2e.localhost can plant cookies for e2e.localhost. Cookie mode
	// only.
	specs = append(specs, spec{name: "partitioned-sibling", host: "api.e2e.localhost", db: "partitioned-sibling", flags: []string{
		"-origins", pageOrigin("app.e2e.localhost"), "-cookie-partitioned", "-cookie-secure", "true"}})
	// 28 (outside review, round 3): the same sibling plant against the
	// default, unpartitioned cookies: the plant is Partitioned instead.
	specs = append(specs, spec{name: "plain-sibling", host: "api.e2e.localhost", db: "plain-sibling", flags: []string{
		"-origins", pageOrigin("app.e2e.localhost"), "-cookie-secure", "true"}})
	// 24: cookie mode with the access token also sent in st-access-token
	// (for the SDK's getAccessToken()), verified by another service; the
	// page is on another port (another origin), listed here.
	specs = append(specs, spec{name: "expose", host: "localhost", db: "expose", flags: []string{
		"-origins", pageOrigin("localhost"), "-expose-access-token"}})
	// 25: forged sign-in forms, against Partitioned (SameSite=None) cookies
	// from another site and VIA_TOKEN's Lax ones from a sibling. The page is
	// the API's own: with -origins, CORS answers a form's unlisted Origin 403
	// before any route runs.
	specs = append(specs,
		spec{name: "forged-partitioned", host: "localhost", db: "forged-partitioned", flags: []string{
			"-static-dir", site, "-cookie-partitioned", "-cookie-secure", "true"}},
		spec{name: "forged-viatoken", host: "api.example.test", db: "forged-viatoken", flags: []string{
			"-static-dir", site, "-anti-csrf", "VIA_TOKEN"}})

	ports := freePorts(t, len(specs)+1)
	pagePort = ports[0]
	byName := map[string]*server{}
	for i, sp := range specs {
		port := ports[i+1]
		s := &server{
			Name:   sp.name,
			Origin: fmt.Sprintf("http://%s:%d", sp.host, port),
			Direct: fmt.Sprintf("http://127.0.0.1:%d", port),
			port:   port,
			after:  sp.after,
			Log:    filepath.Join(tmp, sp.name+".log"),
		}
		apiDomain := s.Origin
		if sp.issuer != "" {
			apiDomain = byName[sp.issuer].Origin
		}
		s.args = []string{
			"-addr", fmt.Sprintf("127.0.0.1:%d", port),
			"-db", filepath.Join(tmp, sp.db+".db"),
			"-api-domain", apiDomain,
			"-access-ttl", accessTTL.String(),
			"-test-hooks",
		}
		for _, f := range sp.flags {
			s.args = append(s.args, strings.ReplaceAll(f, "{page}", strconv.Itoa(pagePort)))
		}
		byName[sp.name] = s
		servers = append(servers, s)
	}
	return pagePort, servers
}

// freePorts reserves n distinct free loopback ports (released on return;
// the servers bind them right after).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// startServers starts every server (those sharing a database after the
// first of them is up, so only one creates the keys) and waits until each
// answers. Cleanup stops each by its PID.
func startServers(t *testing.T, bin string, servers []*server) {
	t.Helper()
	byName := map[string]*server{}
	for _, s := range servers {
		byName[s.Name] = s
	}
	start := func(s *server) error {
		logf, err := os.Create(s.Log)
		if err != nil {
			return err
		}
		cmd := exec.Command(bin, s.args...)
		cmd.Stdout = logf
		cmd.Stderr = logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			logf.Close()
			return fmt.Errorf("%s: %w", s.Name, err)
		}
		s.cmd = cmd
		exited := make(chan struct{})
		go func() {
			cmd.Wait()
			logf.Close()
			close(exited)
		}()
		t.Cleanup(func() { stop(t, s, exited) })
		return waitReady(s, exited)
	}
	var first, second []*server
	for _, s := range servers {
		if s.after == "" {
			first = append(first, s)
		} else {
			second = append(second, s)
		}
	}
	for _, batch := range [][]*server{first, second} {
		errs := make(chan error, len(batch))
		for _, s := range batch {
			go func() { errs <- start(s) }()
		}
		for range batch {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
}

func waitReady(s *server, exited <-chan struct{}) error {
	deadline := time.Now().Add(readyLimit)
	client := &http.Client{Timeout: time.Second}
	if s.tlsConfig != nil {
		client.Transport = &http.Transport{TLSClientConfig: s.tlsConfig}
	}
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("%s exited during start-up:\n%s", s.Name, tail(s.Log, 20))
		default:
		}
		resp, err := client.Get(s.Direct + "/auth/jwt/jwks.json")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %v:\n%s", s.Name, readyLimit, tail(s.Log, 20))
}

// stop ends a server by its PID: SIGTERM (graceful), then SIGKILL.
func stop(t *testing.T, s *server, exited <-chan struct{}) {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Logf("%s (pid %d) ignored SIGTERM; killing it", s.Name, s.cmd.Process.Pid)
		_ = s.cmd.Process.Kill()
		<-exited
	}
}

// runDriver runs node run.mjs in its own process group, streaming its
// output into the test log. On timeout the whole group (node and the
// Chromium it started) is killed by the group id, which is node's PID.
func runDriver(t *testing.T, dir string, cfg []byte) error {
	return runDriverScript(t, dir, "run.mjs", cfg)
}

// runDriverScript is runDriver for any driver script of dir.
func runDriverScript(t *testing.T, dir, script string, cfg []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), driverLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "E2E_CONFIG="+string(cfg))
	out := &lineLogger{t: t}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if cmd.Process != nil {
		// Anything the driver left behind (a browser after a crash).
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	out.flush()
	if ctx.Err() != nil {
		return fmt.Errorf("timed out after %v: %w", driverLimit, err)
	}
	return err
}

// runLogged runs a command with a time limit, logging its output.
func runLogged(t *testing.T, dir string, limit time.Duration, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out := &lineLogger{t: t}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	out.flush()
	return err
}

// lineLogger writes each complete line to t.Log as it arrives.
type lineLogger struct {
	t   *testing.T
	mu  sync.Mutex
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.t.Log(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	return len(p), nil
}

func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.t.Log(string(l.buf))
		l.buf = nil
	}
}

func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// copyDir copies the regular files of src (one level of subdirectories
// deep is enough here) into dst.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		lines = append(lines, "(reading: "+err.Error()+")")
	}
	return strings.Join(lines, "\n")
}
