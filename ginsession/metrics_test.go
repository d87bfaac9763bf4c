package ginsession_test

// Metrics through the OpenTelemetry metric API: names, units and counts
// after a known sequence of requests, read with the SDK's manual reader.

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/ginsession/ginsession/ginsession"
)

// collected is one collection: the metrics by name.
type collected map[string]metricdata.Metrics

func collect(t *testing.T, r *sdkmetric.ManualReader) collected {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := collected{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != "github.com/ginsession/ginsession" {
			t.Errorf("scope %q", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
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
	s, ok := m.Data.(metricdata.Sum[int64])
	if !ok || !s.IsMonotonic {
		t.Fatalf("%s is %T, want a monotonic int64 sum", name, m.Data)
	}
	var n int64
	for _, dp := range s.DataPoints {
		if hasAttrs(dp.Attributes, kv) {
			n += dp.Value
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
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s is %T, want a float64 histogram", name, m.Data)
	}
	var n uint64
	for _, dp := range h.DataPoints {
		if hasAttrs(dp.Attributes, kv) {
			n += dp.Count
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
	reader := sdkmetric.NewManualReader()
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
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
func TestMetrics_RevocationLag(t *testing.T) {
	st := openSQLite(t)
	reader := sdkmetric.NewManualReader()
	a := newEnvOn(t, st, nil, func(cfg *ginsession.Config) { cfg.RevocationPollInterval = 20 * time.Millisecond })
	b := newEnvOn(t, st, nil, func(cfg *ginsession.Config) {
		cfg.APIDomain = a.server.URL // one issuer for both
		cfg.RevocationPollInterval = 20 * time.Millisecond
		cfg.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
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
