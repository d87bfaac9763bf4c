package fleet

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
	"time"
)

// The users: each has one session, used by one tab or by two.
//
// Two tabs share the session's token storage, as the tabs of one browser
// share its cookies (or the SDK's storage in header mode): each request
// reads the tokens stored at that moment, and each answer stores what it
// carries. When the access token expires, both tabs see 401 on their next
// call; they meet (waiting at most twoTabWait for each other), read the
// same refresh token R, and send it at the same moment to two different
// instances. Like the SDK, a tab that finds the access token changed since
// its call failed does not refresh (the other tab did).
//
// What each must get, by internal/protocol/rotation.go: the first refresh to
// reach the database rotates R (one guarded write makes child(R) current);
// the second finds R as the previous token within the grace window and is
// answered child(R) again, without a write. child(R) is derived from R
// alone, so both answers carry the same new refresh token, and the session
// goes on as one chain.
//
// A fork, as the harness counts it: two answers 200 to refreshes that
// presented the same refresh token, carrying different new refresh tokens
// (two live chains, each tab holding a token the other chain does not
// know), or a refresh answered "token theft detected" (the server saw a
// token of a chain it had left: the chains diverged earlier). Every
// successful refresh of every user is checked, not only the races: a
// retry after a 503 or a lost answer presents the same token again and
// must get the same answer too. The theft answer also counts as a lost
// session.
//
// A lost session: a refresh answered 401 (any message; the SDK signs the
// user out) for a session the harness did not revoke. The harness revokes
// none of the users' sessions (only the revocation sampler's own), so
// every such 401 is lost. The user then signs in again to keep the load up.
//
// A race is counted when two tabs' refreshes presenting the same token
// were in flight at the same time.

// twoTabWait bounds how long a tab waits for the other before refreshing
// alone.
const twoTabWait = 300 * time.Millisecond

// jarURL is where the session cookies live for the harness: cookies ignore
// ports, so the cookies of 127.0.0.1 serve every instance.
var (
	accessURL  = &url.URL{Scheme: "http", Host: "127.0.0.1", Path: "/"}
	refreshURL = &url.URL{Scheme: "http", Host: "127.0.0.1", Path: "/auth/session/refresh"}
)

type user struct {
	f               *fleet
	idx             int
	email, password string
	cookie          bool
	tabs            int

	mu      sync.Mutex // the token storage below, shared by the tabs
	jar     *cookiejar.Jar
	access  string // header mode
	refresh string // header mode
	epoch   int    // sign-ins so far

	signInMu sync.Mutex // one re-sign-in for both tabs
	meet     rendezvous

	// answers maps each refresh token presented (the last few) to the new
	// refresh token its first 200 answer carried, and to the requests that
	// presented it (for races).
	answers map[string]*presented
	order   []string
}

type presented struct {
	newToken string
	spans    []span
	raced    bool
}

type span struct {
	tab        int
	sent, recv time.Time
}

// keepPresented bounds a user's answers map.
const keepPresented = 8

func (f *fleet) newUser(idx int, cookie bool, tabs int) *user {
	return &user{
		f: f, idx: idx, cookie: cookie, tabs: tabs,
		email:    fmt.Sprintf("user%d@fleet.example", idx),
		password: fmt.Sprintf("fleet password %d", idx),
		answers:  map[string]*presented{},
	}
}

func (u *user) mode() string {
	if u.cookie {
		return "cookie"
	}
	return "header"
}

func (u *user) describe() string {
	return fmt.Sprintf("user %d (%s mode, %d tab(s))", u.idx, u.mode(), u.tabs)
}

// creds is what the storage holds at one moment.
type creds struct {
	epoch   int
	access  string
	refresh string         // header mode
	cookies []*http.Cookie // cookie mode: what the jar sends to the refresh path
	sent    string         // the refresh token that will be presented
}

func (u *user) snapshot() creds {
	u.mu.Lock()
	defer u.mu.Unlock()
	c := creds{epoch: u.epoch}
	if u.cookie {
		for _, ck := range u.jar.Cookies(accessURL) {
			if ck.Name == "sAccessToken" {
				c.access = ck.Value
			}
		}
		c.cookies = u.jar.Cookies(refreshURL)
		for _, ck := range c.cookies {
			if ck.Name == "sRefreshToken" {
				c.sent = ck.Value
			}
		}
		return c
	}
	c.access, c.refresh, c.sent = u.access, u.refresh, u.refresh
	return c
}

// store keeps the tokens of an answer, unless the user has signed in again
// since the request was sent (epoch).
func (u *user) store(epoch int, r reply, reqURL *url.URL) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if epoch != u.epoch {
		return
	}
	u.storeLocked(r, reqURL)
}

func (u *user) storeLocked(r reply, reqURL *url.URL) {
	if u.cookie {
		u.jar.SetCookies(reqURL, r.cookies)
		return
	}
	if v, ok := r.header["St-Access-Token"]; ok {
		u.access = v[0]
	}
	if v, ok := r.header["St-Refresh-Token"]; ok {
		u.refresh = v[0]
	}
}

// newRefreshToken is the refresh token a 200 refresh answer carries.
func (u *user) newRefreshToken(r reply) string {
	if u.cookie {
		for _, c := range r.cookies {
			if c.Name == "sRefreshToken" {
				return c.Value
			}
		}
		return ""
	}
	return r.header.Get("St-Refresh-Token")
}

func (u *user) authHeaders(rid string) map[string]string {
	return map[string]string{"st-auth-mode": u.mode(), "rid": rid}
}

// signIn starts the user's session (path /signup or /signin) on a random
// instance and stores its tokens.
func (u *user) signIn(ctx context.Context, kind traffic, path string) error {
	in := u.f.pick(-1)
	r, err := u.f.signInAt(ctx, kind, in, path, u.email, u.password, u.cookie)
	if err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.epoch++
	u.jar, _ = cookiejar.New(nil)
	u.access, u.refresh = "", ""
	reqURL, _ := url.Parse(in.base + path)
	u.storeLocked(r, reqURL)
	if u.cookie && len(u.jar.Cookies(refreshURL)) == 0 || !u.cookie && (u.access == "" || u.refresh == "") {
		return fmt.Errorf("%s: sign-in answered no tokens: %s", u.describe(), truncate(string(r.body), 200))
	}
	return nil
}

// signInAgain signs in after a lost session, once for both tabs.
func (u *user) signInAgain(ctx context.Context, lostEpoch int) {
	u.signInMu.Lock()
	defer u.signInMu.Unlock()
	u.mu.Lock()
	done := u.epoch != lostEpoch
	u.mu.Unlock()
	if done {
		return
	}
	if err := u.signIn(ctx, load, "/signin"); err != nil && ctx.Err() == nil {
		u.f.note("%s: signing in again: %v", u.describe(), err)
	}
}

// run is one tab's loop: GET /api/me on a random instance, a refresh when
// it says 401, a pause.
func (u *user) run(ctx context.Context, tab int) {
	for ctx.Err() == nil {
		c := u.snapshot()
		in := u.f.pick(-1)
		req := request{method: http.MethodGet, path: "/api/me", header: u.authHeaders("anti-csrf")}
		if u.cookie {
			req.cookies = u.jarCookies()
		} else {
			req.header["Authorization"] = "Bearer " + c.access
		}
		r, err := u.f.do(ctx, load, in, req)
		switch {
		case err != nil:
			sleep(ctx, 10*time.Millisecond)
			continue
		case r.status == http.StatusOK:
			u.f.meOK.Add(1)
		case r.status == http.StatusUnauthorized:
			// The SDK refreshes on any 401, without reading the body.
			if r.message == "try refresh token" {
				u.f.tryRefresh.Add(1)
				// Refused with more than a second of life left: not
				// expiry (an unknown key, a clock): noted, not a failure.
				if exp := tokenExpiry(c.access); !exp.IsZero() && time.Until(exp) > time.Second {
					u.f.earlyRefresh.Add(1)
				}
			} else {
				u.f.note("%s: GET /api/me on instance %d: 401 %q", u.describe(), in.idx, r.message)
			}
			u.refreshFlow(ctx, tab, c)
		case r.status == http.StatusServiceUnavailable:
			sleep(ctx, retryAfter(r))
			continue
		default:
			u.f.note("%s: GET /api/me on instance %d: %d %s", u.describe(), in.idx, r.status, truncate(string(r.body), 120))
			sleep(ctx, 100*time.Millisecond)
		}
		sleep(ctx, time.Duration(50+rand.IntN(100))*time.Millisecond)
	}
}

func (u *user) jarCookies() []*http.Cookie {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.jar.Cookies(accessURL)
}

// refreshFlow refreshes after the access token of failed was refused, as
// the SDK does: unless the storage already holds another access token,
// refresh, retrying after a 503 (as Retry-After asks) or on another
// instance when one does not answer.
func (u *user) refreshFlow(ctx context.Context, tab int, failed creds) {
	var in *instance
	if u.tabs == 2 {
		base, _ := u.meet.meet(twoTabWait, len(u.f.ins))
		in = u.f.preferred(base + tab) // the two tabs: two different instances
	} else {
		in = u.f.pick(-1)
	}
	for ctx.Err() == nil {
		c := u.snapshot()
		if c.access != failed.access || c.epoch != failed.epoch {
			return // refreshed (or signed in) by the other tab meanwhile
		}
		req := request{method: http.MethodPost, path: "/auth/session/refresh", header: u.authHeaders("session")}
		req.header["fdi-version"] = "3.1"
		if u.cookie {
			req.cookies = c.cookies
		} else {
			req.header["Authorization"] = "Bearer " + c.refresh
		}
		r, err := u.f.do(ctx, load, in, req)
		if err != nil {
			sleep(ctx, 10*time.Millisecond)
			in = u.f.pick(in.idx)
			continue
		}
		switch {
		case r.status == http.StatusOK:
			u.f.refreshes.Add(1)
			u.answered(tab, c.sent, r)
			reqURL, _ := url.Parse(in.base + req.path)
			u.store(c.epoch, r, reqURL)
			return
		case r.status == http.StatusServiceUnavailable:
			u.f.retried503.Add(1)
			sleep(ctx, retryAfter(r))
			in = u.f.pick(-1)
			continue
		case r.status == http.StatusUnauthorized:
			u.answered(tab, c.sent, r)
			u.f.mu.Lock()
			u.f.lost = append(u.f.lost, fmt.Sprintf("%6.2fs %s: refresh on instance %d answered 401 %q",
				r.recv.Sub(u.f.begin).Seconds(), u.describe(), in.idx, r.message))
			if r.message == "token theft detected" {
				u.f.forks = append(u.f.forks, fmt.Sprintf("%6.2fs %s: refresh on instance %d answered token theft",
					r.recv.Sub(u.f.begin).Seconds(), u.describe(), in.idx))
			}
			u.f.mu.Unlock()
			u.signInAgain(ctx, c.epoch)
			return
		default:
			u.f.note("%s: refresh on instance %d: %d %s", u.describe(), in.idx, r.status, truncate(string(r.body), 120))
			sleep(ctx, 200*time.Millisecond)
			in = u.f.pick(-1)
		}
	}
}

// answered records a refresh answer under the token it presented: the
// fork check (every 200 for one presented token carries one new token) and
// the race count (two tabs' requests for one token in flight at once).
func (u *user) answered(tab int, sent string, r reply) {
	if sent == "" {
		return
	}
	u.mu.Lock()
	p := u.answers[sent]
	if p == nil {
		p = &presented{}
		u.answers[sent] = p
		u.order = append(u.order, sent)
		if len(u.order) > keepPresented {
			delete(u.answers, u.order[0])
			u.order = u.order[1:]
		}
	}
	raced := false
	for _, s := range p.spans {
		if s.tab != tab && s.sent.Before(r.recv) && r.sent.Before(s.recv) && !p.raced {
			p.raced, raced = true, true
		}
	}
	p.spans = append(p.spans, span{tab: tab, sent: r.sent, recv: r.recv})
	var fork string
	if r.status == http.StatusOK {
		got := u.newRefreshToken(r)
		switch {
		case got == "":
			fork = "a 200 refresh answer without a refresh token"
		case p.newToken == "":
			p.newToken = got
		case p.newToken != got:
			fork = "two 200 answers to one presented refresh token carry different new refresh tokens"
		}
	}
	u.mu.Unlock()
	if raced || fork != "" {
		u.f.mu.Lock()
		if raced {
			u.f.races++
		}
		if fork != "" {
			u.f.forks = append(u.f.forks, fmt.Sprintf("%6.2fs %s: %s", r.recv.Sub(u.f.begin).Seconds(), u.describe(), fork))
		}
		u.f.mu.Unlock()
	}
}

// rendezvous lets two tabs start their refreshes together.
type rendezvous struct {
	mu      sync.Mutex
	waiting *meeting
}

type meeting struct {
	done chan struct{}
	base int // a random instance index both tabs start from
}

// meet waits at most d for the other tab. It returns the instance index
// both use (each adds its tab number) and whether they met.
func (r *rendezvous) meet(d time.Duration, n int) (int, bool) {
	r.mu.Lock()
	if m := r.waiting; m != nil {
		r.waiting = nil
		m.base = rand.IntN(n)
		close(m.done)
		r.mu.Unlock()
		return m.base, true
	}
	m := &meeting{done: make(chan struct{})}
	r.waiting = m
	r.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-m.done:
		return m.base, true
	case <-t.C:
	}
	r.mu.Lock()
	if r.waiting == m {
		r.waiting = nil
		r.mu.Unlock()
		return rand.IntN(n), false
	}
	r.mu.Unlock()
	<-m.done // the other tab took the meeting as the wait ended
	return m.base, true
}
