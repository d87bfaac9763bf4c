package fleet

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// This file is the harness's HTTP side: one client for every instance, the
// record of every answer, and the choice of instance.

// traffic says what a request was for, so that the figures count the
// users' load apart from the harness's probes.
type traffic int

const (
	load       traffic = iota // the users' requests: the figures' "requests"
	revocation                // the revocation sampler's
	probe                     // recovery probes and set-up
)

// reply is one HTTP answer.
type reply struct {
	status     int
	message    string // the JSON body's "message", if any
	body       []byte
	header     http.Header
	cookies    []*http.Cookie
	sent, recv time.Time
}

// fiveXX is one 5xx answer, with when it was in flight.
type fiveXX struct {
	status     int
	retryAfter string
	path       string
	instance   int
	sent, recv time.Time
	body       string
}

// connError is one request that got no answer (the instance was down).
type connError struct {
	instance   int
	sent, recv time.Time
	err        string
}

// fleet is the state of one run shared by its goroutines.
type fleet struct {
	ins   []*instance
	hc    *http.Client
	begin time.Time // the start of the load

	// down[i] is the UnixNano until which instance i is avoided, set when
	// a request to it got no answer.
	down []atomic.Int64

	requests     atomic.Int64 // load requests answered or not
	probes       atomic.Int64
	revPolls     atomic.Int64
	refreshes    atomic.Int64 // refreshes answered 200 (load)
	signIns      atomic.Int64
	meOK         atomic.Int64
	tryRefresh   atomic.Int64 // 401 "try refresh token" on /api/me
	earlyRefresh atomic.Int64 // ... for an access token not yet expired
	retried503   atomic.Int64 // refreshes retried after a 503

	mu       sync.Mutex
	status   map[int]int // every answer's status (load, probes, sampler)
	fiveXXs  []fiveXX
	connErrs []connError
	lost     []string // refreshes answered 401 for sessions the harness did not revoke
	forks    []string
	races    int // refresh tokens two tabs presented at once
	notes    []string
}

func newFleet(ins []*instance) *fleet {
	tr := &http.Transport{
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	return &fleet{
		ins:    ins,
		hc:     &http.Client{Transport: tr, Timeout: 30 * time.Second},
		down:   make([]atomic.Int64, len(ins)),
		status: map[int]int{},
	}
}

func (f *fleet) note(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.notes) < 50 {
		f.notes = append(f.notes, fmt.Sprintf("%6.2fs ", time.Since(f.begin).Seconds())+fmt.Sprintf(format, args...))
	}
}

// pick returns a random instance that is not marked down, other than not
// (-1: any); when every candidate is marked down, any candidate.
func (f *fleet) pick(not int) *instance {
	now := time.Now().UnixNano()
	var up []*instance
	for i, in := range f.ins {
		if i != not && f.down[i].Load() <= now {
			up = append(up, in)
		}
	}
	if len(up) == 0 {
		for i, in := range f.ins {
			if i != not || len(f.ins) == 1 {
				up = append(up, in)
			}
		}
	}
	return up[rand.IntN(len(up))]
}

// preferred is ins[i % N] unless it is marked down, then pick.
func (f *fleet) preferred(i int) *instance {
	in := f.ins[i%len(f.ins)]
	if f.down[in.idx].Load() > time.Now().UnixNano() {
		return f.pick(in.idx)
	}
	return in
}

// request is one HTTP request of the harness.
type request struct {
	method, path string
	body         any
	header       map[string]string
	cookies      []*http.Cookie
}

// do sends req to in and records the answer: its status, and every 5xx
// with when it was in flight; no answer is a connection error, and marks
// the instance down for a moment.
func (f *fleet) do(ctx context.Context, kind traffic, in *instance, req request) (reply, error) {
	switch kind {
	case load:
		f.requests.Add(1)
	case revocation:
		f.revPolls.Add(1)
	default:
		f.probes.Add(1)
	}
	var rd io.Reader
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return reply{}, err
		}
		rd = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, in.base+req.path, rd)
	if err != nil {
		return reply{}, err
	}
	if rd != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range req.header {
		hr.Header.Set(k, v)
	}
	for _, c := range req.cookies {
		hr.AddCookie(c)
	}
	r := reply{sent: time.Now()}
	res, err := f.hc.Do(hr)
	if err == nil {
		r.body, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	r.recv = time.Now()
	if err != nil {
		if ctx.Err() != nil {
			return r, ctx.Err() // the run is over: not the instance's fault
		}
		f.down[in.idx].Store(time.Now().Add(300 * time.Millisecond).UnixNano())
		f.mu.Lock()
		f.connErrs = append(f.connErrs, connError{instance: in.idx, sent: r.sent, recv: r.recv, err: err.Error()})
		f.mu.Unlock()
		return r, err
	}
	r.status, r.header, r.cookies = res.StatusCode, res.Header, res.Cookies()
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(r.body, &m) == nil {
		r.message = m.Message
	}
	f.mu.Lock()
	f.status[r.status]++
	if r.status >= 500 {
		f.fiveXXs = append(f.fiveXXs, fiveXX{status: r.status, retryAfter: res.Header.Get("Retry-After"), path: req.path,
			instance: in.idx, sent: r.sent, recv: r.recv, body: truncate(string(r.body), 200)})
	}
	f.mu.Unlock()
	return r, nil
}

// retryAfter is how long a 503 asks the client to wait (1 s when it does
// not say).
func retryAfter(r reply) time.Duration {
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err == nil && s > 0 && s < 60 {
		return time.Duration(s) * time.Second
	}
	return time.Second
}

// sleep waits d or until ctx is done; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// tokenExpiry reads an access token's exp, unverified (zero if it has
// none).
func tokenExpiry(tok string) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(b, &claims) != nil || claims.Exp == 0 {
		return time.Time{}
	}
	return time.Unix(claims.Exp, 0)
}

// signInAt signs email in on in, in header or cookie mode, retrying (on
// other instances) while instances are down or the database answers 503.
// It returns the answer of the successful sign-in.
func (f *fleet) signInAt(ctx context.Context, kind traffic, in *instance, path, email, password string, cookie bool) (reply, error) {
	mode := "header"
	if cookie {
		mode = "cookie"
	}
	for ctx.Err() == nil {
		r, err := f.do(ctx, kind, in, request{method: http.MethodPost, path: path,
			body:   map[string]string{"email": email, "password": password},
			header: map[string]string{"st-auth-mode": mode, "rid": "emailpassword"}})
		switch {
		case err != nil:
			sleep(ctx, 20*time.Millisecond)
			in = f.pick(in.idx)
			continue
		case r.status == http.StatusServiceUnavailable:
			sleep(ctx, retryAfter(r))
			continue
		case r.status == http.StatusOK && bytes.Contains(r.body, []byte(`"status":"OK"`)):
			if kind == load {
				f.signIns.Add(1)
			}
			return r, nil
		default:
			return r, fmt.Errorf("%s %s on instance %d: %d %s", path, email, in.idx, r.status, truncate(string(r.body), 200))
		}
	}
	return reply{}, ctx.Err()
}

var errLost = errors.New("session lost")
