package main

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// GET /metrics serves ginsession's metrics in the Prometheus text format,
// with counts that follow what the app did.
func TestMetricsEndpoint(t *testing.T) {
	_, base := startApp(t, Options{})
	c := newClient(t, base, "header")
	wantField(t, "signup", c.signUp("mia@example.com", "mia password"), "status", "OK")
	wantStatus(t, "GET /api/me", c.do(http.MethodGet, "/api/me", nil), http.StatusOK)
	wantStatus(t, "refresh", c.refresh(), http.StatusOK)
	wantStatus(t, "GET /api/me", c.do(http.MethodGet, "/api/me", nil), http.StatusOK)
	wantStatus(t, "no token", newClient(t, base, "header").do(http.MethodGet, "/api/me", nil), http.StatusUnauthorized)

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	text := string(body)
	// value sums the samples of name whose labels include every k="v" of
	// labels (the exporter adds scope labels of its own).
	value := func(name string, labels ...string) float64 {
		t.Helper()
		var sum float64
		found := false
		for _, line := range strings.Split(text, "\n") {
			if line == "" || strings.HasPrefix(line, "#") || !strings.HasPrefix(line, name+"{") {
				continue
			}
			i := strings.LastIndexByte(line, ' ')
			match := true
			for j := 0; j+1 < len(labels); j += 2 {
				match = match && strings.Contains(line[:i], labels[j]+`="`+labels[j+1]+`"`)
			}
			if !match {
				continue
			}
			v, err := strconv.ParseFloat(line[i+1:], 64)
			if err != nil {
				t.Fatal(err)
			}
			sum += v
			found = true
		}
		if !found {
			t.Fatalf("no series %s%q in:\n%s", name, labels, text)
		}
		return sum
	}
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"ginsession_sessions_created_total", []string{"kind", "user"}, 1},
		{"ginsession_refreshes_total", []string{"outcome", "rotated"}, 1},
		{"ginsession_verifications_total", []string{"outcome", "ok"}, 2},
		{"ginsession_verifications_total", []string{"outcome", "unauthorised"}, 1},
		{"ginsession_store_duration_seconds_count", []string{"operation", "create_session", "outcome", "ok"}, 1},
	} {
		if got := value(tc.name, tc.labels...); got != tc.want {
			t.Errorf("%s%q = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	for _, help := range []string{"# HELP ginsession_refreshes_total", "# TYPE ginsession_store_duration_seconds histogram"} {
		if !strings.Contains(text, help) {
			t.Errorf("no %q", help)
		}
	}
}
