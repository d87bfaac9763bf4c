package ginsession_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

// A browser's cookie store, as far as stray cookies need it, and a client
// that plays the frontend SDK on top of it: the tests of cookies planted on
// a parent domain (cookie tossing), left on another domain, or kept in
// another partition ask what the browser still holds after the server's
// answers, and whether the SDK's "401, refresh, retry" comes to an end.
// net/http/cookiejar cannot: the test server is 127.0.0.1 (no Domain
// cookies there), and it knows nothing of partitions.

// jarCookie is one stored cookie. A browser tells two cookies of one name
// apart by domain (a host-only cookie and a Domain cookie of the same host
// are two), path and partition: a Set-Cookie replaces or expires only the
// cookie with all three equal.
type jarCookie struct {
	name, value string
	domain      string // the host for a host-only cookie, else the Domain attribute without its dot
	hostOnly    bool
	path        string
	partitioned bool // in the one partition this jar models (one top-level site)
}

func (c jarCookie) key() string {
	d := c.domain
	if !c.hostOnly {
		d = "." + d
	}
	p := "unpartitioned"
	if c.partitioned {
		p = "partitioned"
	}
	return c.name + " " + d + " " + c.path + " " + p
}

// String names the cookie as the tests report it: name@domain/path, a
// leading dot for a Domain cookie, "(partitioned)" when it is.
func (c jarCookie) String() string {
	d := c.domain
	if !c.hostOnly {
		d = "." + d
	}
	s := c.name + "@" + d + c.path
	if c.partitioned {
		s += " (partitioned)"
	}
	return s
}

// browserJar holds the cookies a browser would send to one API host.
type browserJar struct {
	host    string // the API's host name as the browser knows it (APIDomain's)
	cookies []jarCookie
}

// plant stores c as a page on a sibling subdomain (or an older backend)
// would have: replacing a cookie of the same key.
func (j *browserJar) plant(c jarCookie) {
	if c.path == "" {
		c.path = "/"
	}
	if c.hostOnly {
		c.domain = j.host
	}
	j.remove(c.key())
	j.cookies = append(j.cookies, c)
}

func (j *browserJar) remove(key string) {
	kept := j.cookies[:0]
	for _, c := range j.cookies {
		if c.key() != key {
			kept = append(kept, c)
		}
	}
	j.cookies = kept
}

// apply stores or expires what the response's Set-Cookie headers say.
func (j *browserJar) apply(h http.Header) {
	for _, ck := range setCookies(h) {
		c := jarCookie{name: ck.Name, value: ck.Value, path: ck.Path, partitioned: ck.Partitioned}
		if c.path == "" {
			c.path = "/"
		}
		if ck.Domain == "" {
			c.domain, c.hostOnly = j.host, true
		} else {
			c.domain = strings.ToLower(strings.TrimPrefix(ck.Domain, "."))
			if !j.domainMatches(c.domain) {
				continue // a browser refuses a Domain the host is not in
			}
		}
		j.remove(c.key())
		expired := ck.MaxAge < 0 || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now()))
		if !expired {
			j.cookies = append(j.cookies, c)
		}
	}
}

func (j *browserJar) domainMatches(domain string) bool {
	return j.host == domain || strings.HasSuffix(j.host, "."+domain)
}

// header is the Cookie header a request to path carries.
func (j *browserJar) header(path string) string {
	var parts []string
	for _, c := range j.cookies {
		if c.hostOnly && c.domain != j.host || !c.hostOnly && !j.domainMatches(c.domain) {
			continue
		}
		if path != c.path && !(strings.HasPrefix(path, c.path) && (strings.HasSuffix(c.path, "/") || path[len(c.path)] == '/')) {
			continue
		}
		parts = append(parts, c.name+"="+c.value)
	}
	return strings.Join(parts, "; ")
}

// named lists the stored cookies called name (sorted, as String gives them).
func (j *browserJar) named(name string) []string {
	var out []string
	for _, c := range j.cookies {
		if c.name == name {
			out = append(out, c.String())
		}
	}
	sort.Strings(out)
	return out
}

// sdkMaxRefreshes is supertokens-website's maxRetryAttemptsForSessionRefresh
// default: after that many refreshes for one call, each followed by a 401
// again, the SDK gives up and the call fails.
const sdkMaxRefreshes = 10

// sdkClient is the frontend SDK in one browser: cookies in jar, and in
// header mode the tokens it keeps itself.
type sdkClient struct {
	t               *testing.T
	e               *env
	jar             *browserJar
	mode            string
	access, refresh string // header mode
	refreshes       int    // refresh calls sent so far
}

func newSDKClient(t *testing.T, e *env, host, mode string) *sdkClient {
	return &sdkClient{t: t, e: e, jar: &browserJar{host: host}, mode: mode}
}

// send sends one request as the SDK does (rid, st-auth-mode, the bearer
// token in header mode; the browser adds the cookies) and stores what the
// answer sets.
func (s *sdkClient) send(method, path, body string) *resp {
	s.t.Helper()
	rid := "anti-csrf"
	if path == refreshPath {
		rid = "session"
		s.refreshes++
	}
	h := []string{"rid", rid, "st-auth-mode", s.mode}
	if ck := s.jar.header(path); ck != "" {
		h = append(h, "Cookie", ck)
	}
	if s.mode == "header" {
		tok := s.access
		if path == refreshPath {
			tok = s.refresh
		}
		if tok != "" {
			h = append(h, "Authorization", "Bearer "+tok)
		}
	}
	r := sendRaw(s.t, s.e.server.URL, method, path, body, h...)
	s.jar.apply(r.header)
	if v, ok := r.header["St-Access-Token"]; ok {
		s.access = v[0]
	}
	if v, ok := r.header["St-Refresh-Token"]; ok {
		s.refresh = v[0]
	}
	return r
}

func (s *sdkClient) signIn(user string) {
	s.t.Helper()
	if r := s.send("POST", "/signin", `{"user":"`+user+`"}`); r.status != 200 {
		s.t.Fatalf("sign-in: %d %s", r.status, r.raw)
	}
}

// call is a call through the SDK: on a 401 it refreshes and, when the
// refresh succeeded, sends the call again; at most sdkMaxRefreshes times.
func (s *sdkClient) call(method, path string) *resp {
	s.t.Helper()
	for n := 0; ; n++ {
		r := s.send(method, path, "")
		if r.status != 401 || n == sdkMaxRefreshes {
			return r
		}
		if s.send("POST", refreshPath, "").status != 200 {
			return r
		}
	}
}
