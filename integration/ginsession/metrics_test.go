package ginsession_test

// Metrics through the OpenTelemetry metric API: names, units and counts
// after a known sequence of requests, read with an in-test MeterProvider
// (recorder) that keeps every value.

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/ginsession/ginsession/ginsession"
)

// recorder is a MeterProvider of the metric API that keeps every value it
// is given, so the tests need no SDK (an app's SDK is its own choice; the
// library depends on the API alone). Instruments it does not record are
// the API's no-op ones: the library creates none of them.
type recorder struct {
	noop.MeterProvider
	mu          sync.Mutex
	scopes      map[string]bool
	instruments map[string]*recorded
}

// recorded is one instrument and the values recorded through it.
type recorded struct {
	Unit, Description string
	counter           bool // an Int64Counter; otherwise a Float64Histogram
	points            []recordedPoint
}

type recordedPoint struct {
	attrs attribute.Set
	value float64
}

func newRecorder() *recorder {
	return &recorder{scopes: map[string]bool{}, instruments: map[string]*recorded{}}
}

func (r *recorder) Meter(name string, _ ...metric.MeterOption) metric.Meter {
	r.mu.Lock()
	r.scopes[name] = true
	r.mu.Unlock()
	return &recordingMeter{r: r}
}

func (r *recorder) instrument(name, unit, desc string, counter bool) *recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	in, ok := r.instruments[name]
	if !ok {
		in = &recorded{Unit: unit, Description: desc, counter: counter}
		r.instruments[name] = in
	}
	return in
}

func (r *recorder) record(in *recorded, v float64, attrs attribute.Set) {
	r.mu.Lock()
	in.points = append(in.points, recordedPoint{attrs, v})
	r.mu.Unlock()
}

type recordingMeter struct {
	noop.Meter
	r *recorder
}

func (m *recordingMeter) Int64Counter(name string, opts ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	cfg := metric.NewInt64CounterConfig(opts...)
	return &recordingCounter{r: m.r, in: m.r.instrument(name, cfg.Unit(), cfg.Description(), true)}, nil
}

func (m *recordingMeter) Float64Histogram(name string, opts ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	cfg := metric.NewFloat64HistogramConfig(opts...)
	return &recordingHistogram{r: m.r, in: m.r.instrument(name, cfg.Unit(), cfg.Description(), false)}, nil
}

type recordingCounter struct {
	noop.Int64Counter
	r  *recorder
	in *recorded
}

func (c *recordingCounter) Add(_ context.Context, incr int64, opts ...metric.AddOption) {
	c.r.record(c.in, float64(incr), metric.NewAddConfig(opts).Attributes())
}

type recordingHistogram struct {
	noop.Float64Histogram
	r  *recorder
	in *recorded
}

func (h *recordingHistogram) Record(_ context.Context, v float64, opts ...metric.RecordOption) {
	h.r.record(h.in, v, metric.NewRecordConfig(opts).Attributes())
}

// collected is one collection: the metrics by name.
type collected map[string]recorded

func collect(t *testing.T, r *recorder) collected {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for scope := range r.scopes {
		if scope != "github.com/ginsession/ginsession" {
			t.Errorf("scope %q", scope)
		}
	}
	out := collected{}
	for name, in := range r.instruments {
		c := *in
		c.points = append([]recordedPoint(nil), in.points...)
		out[name] = c
	}
	return out
}

// sum returns a counter's value for the data points whose attributes
// include all of kv (key, value pairs).
func (c collected) sum(t *testing.T, name string, kv ...string) int64 {
	t.Helper()
	m, ok := c[name]
	if !ok {
		return 0
	}
	if !m.counter {
		t.Fatalf("%s is a histogram, want an int64 counter", name)
	}
	var n int64
	for _, p := range m.points {
		if p.value < 0 {
			t.Fatalf("%s: counters only go up, got %v", name, p.value)
		}
		if hasAttrs(p.attrs, kv) {
			n += int64(p.value)
		}
	}
	return n
}

// count returns how many values a histogram recorded (matching kv).
func (c collected) count(t *testing.T, name string, kv ...string) uint64 {
	t.Helper()
	m, ok := c[name]
	if !ok {
		return 0
	}
	if m.counter {
		t.Fatalf("%s is a counter, want a float64 histogram", name)
	}
	var n uint64
	for _, p := range m.points {
		if hasAttrs(p.attrs, kv) {
			n++
		}
	}
	return n
}

func hasAttrs(set attribute.Set, kv []string) bool {
	for i := 0; i+1 < len(kv); i += 2 {
		v, ok := set.Value(attribute.Key(kv[i]))
		if !ok || v.AsString() != kv[i+1] {
			return false
		}
	}
	return true
}

func TestMetrics(t *testing.T) {
	reader := newRecorder()
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.MeterProvider = reader
		cfg.AccessTokenTTL = time.Minute
		cfg.RefreshGracePeriod = 10 * time.Second
	})
	// Names and units are the contract: every instrument exists, with its
	// unit, once anything was recorded.
	a := e.newClient("header")
	a.signIn("alice") // create: user
	expectStatus(t, a.do("GET", "/api/me", ""), 200, "")
	expectStatus(t, a.do("GET", "/api/me", ""), 200, "")
	expectStatus(t, a.do("GET", "/api/optional", "", "Authorization", ""), 200, "") // no_session
	expectStatus(t, a.do("GET", "/api/me", "", "Authorization", ""), 401, "unauthorised")

	first := a.refreshToken()
	expectStatus(t, a.do("POST", refreshPath, ""), 200, "") // rotated
	a.setRefreshToken(first)
	expectStatus(t, a.do("POST", refreshPath, ""), 200, "") // grace_retry
	e.clock.Advance(time.Minute + time.Second)
	expectStatus(t, a.do("GET", "/api/me", ""), 401, "try refresh token")
	a.setRefreshToken(first)
	expectStatus(t, a.do("POST", refreshPath, ""), 401, "token theft detected") // theft + revocation
	expectStatus(t, a.do("POST", refreshPath, "", "Authorization", "Bearer "+first), 401, "unauthorised")

	b := e.newClient("cookie")
	b.signIn("bob")
	expectStatus(t, b.do("POST", "/auth/signout", ""), 200, "") // verification ok + revocation sign_out
	c := e.newClient("header")
	handle := c.signIn("carol").body["handle"].(string)
	if ok, err := e.sessions.RevokeSession(t.Context(), handle); !ok || err != nil {
		t.Fatal(ok, err)
	}

	got := collect(t, reader)
	for name, unit := range map[string]string{
		"ginsession.sessions.created": "{session}",
		"ginsession.refreshes":        "{refresh}",
		"ginsession.verifications":    "{request}",
		"ginsession.revocations":      "{session}",
		"ginsession.store.duration":   "s",
	} {
		if m, ok := got[name]; !ok || m.Unit != unit || m.Description == "" {
			t.Errorf("%s: %+v", name, m)
		}
	}
	for _, tc := range []struct {
		name string
		kv   []string
		want int64
	}{
		{"ginsession.sessions.created", []string{"kind", "user"}, 3},
		{"ginsession.sessions.created", []string{"kind", "anonymous"}, 0},
		{"ginsession.refreshes", []string{"outcome", "rotated"}, 1},
		{"ginsession.refreshes", []string{"outcome", "grace_retry"}, 1},
		{"ginsession.refreshes", []string{"outcome", "theft"}, 1},
		{"ginsession.refreshes", []string{"outcome", "unauthorised"}, 1},
		{"ginsession.refreshes", []string{"outcome", "error"}, 0},
		{"ginsession.verifications", []string{"outcome", "ok"}, 3}, // two GETs and the sign-out
		{"ginsession.verifications", []string{"outcome", "no_session"}, 1},
		{"ginsession.verifications", []string{"outcome", "unauthorised"}, 1},
		{"ginsession.verifications", []string{"outcome", "try_refresh"}, 1},
		{"ginsession.revocations", []string{"cause", "theft"}, 1},
		{"ginsession.revocations", []string{"cause", "sign_out"}, 1},
		{"ginsession.revocations", []string{"cause", "revoked"}, 1},
	} {
		if n := got.sum(t, tc.name, tc.kv...); n != tc.want {
			t.Errorf("%s %v = %d, want %d", tc.name, tc.kv, n, tc.want)
		}
	}
	if n := got.count(t, "ginsession.store.duration", "operation", "create_session", "outcome", "ok"); n != 3 {
		t.Errorf("store.duration create_session: %d values, want 3", n)
	}
	if n := got.count(t, "ginsession.store.duration", "operation", "rotate_session"); n < 2 {
		t.Errorf("store.duration rotate_session: %d values", n)
	}
	if n := got.count(t, "ginsession.store.duration", "outcome", "error"); n != 0 {
		t.Errorf("store.duration: %d errors", n)
	}
}

// Revocation propagation lag: a revocation made by one engine is recorded
// by the other when its poll learns of it; its own are not.
func TestMetricsRevocationLag(t *testing.T) {
	st := openSQLite(t)
	reader := newRecorder()
	a := newEnvOn(t, st, nil, func(cfg *ginsession.Config) { cfg.RevocationPollInterval = 20 * time.Millisecond })
	b := newEnvOn(t, st, nil, func(cfg *ginsession.Config) {
		cfg.APIDomain = a.server.URL // one issuer for both
		cfg.RevocationPollInterval = 20 * time.Millisecond
		cfg.MeterProvider = reader
	})
	c := a.newClient("header")
	handle := c.signIn("dora").body["handle"].(string)
	// B accepts the token, then A revokes the session.
	expectStatus(t, sendWithToken(t, b.server.URL, "header", "GET", "/api/me", "", c.access), 200, "")
	if ok, err := a.sessions.RevokeSession(t.Context(), handle); !ok || err != nil {
		t.Fatal(ok, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for sendWithToken(t, b.server.URL, "header", "GET", "/api/me", "", c.access).status != 401 {
		if time.Now().After(deadline) {
			t.Fatal("B never refused the revoked session")
		}
		time.Sleep(5 * time.Millisecond)
	}
	got := collect(t, reader)
	if m := got["ginsession.revocation.propagation"]; m.Unit != "s" {
		t.Errorf("revocation.propagation: %+v", m)
	}
	if n := got.count(t, "ginsession.revocation.propagation"); n != 1 {
		t.Errorf("B recorded %d propagation lags, want 1", n)
	}
	if n := got.sum(t, "ginsession.revocations"); n != 0 {
		t.Errorf("B counted %d revocations of its own, want 0", n)
	}
}
