package fleet

import (
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

// The dashboard's parts without a fleet: the parser, the rates across a
// restart, the quantiles, and that the SVG is well-formed.

// promExample is what the example's exporter writes (two scopes, as two
// meters would make), with the edge cases of the format added: escapes in
// label values, a timestamp, and odd spacing.
const promExample = `# HELP ginsession_verifications_total Session verifications.
# TYPE ginsession_verifications_total counter
ginsession_verifications_total{otel_scope_name="github.com/ginsession/ginsession",otel_scope_version="",outcome="ok"} 120
ginsession_verifications_total{otel_scope_name="other",otel_scope_version="",outcome="ok"} 5
ginsession_verifications_total{otel_scope_name="github.com/ginsession/ginsession",otel_scope_version="",outcome="try_refresh"} 7 1700000000000

ginsession_sessions_created_total{kind="user",note="a \"quoted\", {braced} \\ value\n"} 3
ginsession_sessions_created_total{kind="anonymous"} 2
# TYPE ginsession_store_duration_seconds histogram
ginsession_store_duration_seconds_bucket{operation="get_session",outcome="ok",le="0.001"} 8
ginsession_store_duration_seconds_bucket{operation="get_session",outcome="ok",le="0.01"} 10
ginsession_store_duration_seconds_bucket{operation="get_session",outcome="ok",le="+Inf"} 10
ginsession_store_duration_seconds_sum{operation="get_session",outcome="ok"} 0.02
ginsession_store_duration_seconds_count{operation="get_session",outcome="ok"} 10
ginsession_store_duration_seconds_bucket{operation="rotate",outcome="error",le="0.001"} 0
ginsession_store_duration_seconds_bucket{operation="rotate",outcome="error",le="0.01"} 1
ginsession_store_duration_seconds_bucket{operation="rotate",outcome="error",le="+Inf"} 2
ginsession_store_duration_seconds_sum{operation="rotate",outcome="error"} 3.5
ginsession_store_duration_seconds_count{operation="rotate",outcome="error"} 2
  go_goroutines   42  
`

func TestParsePromText(t *testing.T) {
	samples, err := parsePromText(promExample)
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 16 {
		t.Errorf("%d samples, want 16", len(samples))
	}
	for _, s := range samples {
		if s.name == "ginsession_sessions_created_total" && s.labels["kind"] == "user" {
			if want := "a \"quoted\", {braced} \\ value\n"; s.labels["note"] != want {
				t.Errorf("escaped label value %q, want %q", s.labels["note"], want)
			}
		}
		if s.name == "go_goroutines" && (s.value != 42 || len(s.labels) != 0) {
			t.Errorf("go_goroutines = %v %v, want 42 without labels", s.value, s.labels)
		}
	}
	got := snapshotOf(samples)
	want := snapshot{
		"verify/ok":          125, // summed over the scopes
		"verify/try_refresh": 7,   // the timestamp ignored
		"created":            5,   // summed over the kinds
		"store_le/0.001":     8,   // the buckets summed over operation and outcome, by le
		"store_le/0.01":      11,
		"store_le/+Inf":      12,
		"store_n/ok":         10,
		"store_n/error":      2,
	}
	if len(got) != len(want) {
		t.Errorf("snapshot %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}

	for _, bad := range []string{
		"novalue",
		`m{a="1"}`,
		`m{a="unterminated} 1`,
		`m{a=1} 1`,
		"m one",
		"m 1 2 3",
	} {
		if _, err := parsePromText(bad); err == nil {
			t.Errorf("%q parsed without an error", bad)
		}
	}
}

// Three instances over four ticks: instance 0 restarts between ticks 1
// and 2 without a gap (its counters go down); instance 1 misses tick 1
// (no restart: its counts go on); instance 2 misses tick 1 and comes back
// as a new process.
func TestIntervalsCounterReset(t *testing.T) {
	begin := time.Unix(1000, 0)
	sec := func(s float64) time.Time { return begin.Add(time.Duration(s * float64(time.Second))) }
	sc := scrapes{
		begin: begin,
		at: [][]time.Time{
			{sec(0), sec(0), sec(0)},
			{sec(1), sec(1), sec(1)},
			{sec(2), sec(2), sec(2)},
			{sec(3), sec(3.5), sec(3)},
		},
		snaps: [][]snapshot{
			{{"verify/ok": 10, "created": 1}, {"verify/ok": 100}, {"verify/ok": 50}},
			{{"verify/ok": 20, "created": 1}, nil, nil},
			// The new process of instance 0 has 5 verifications and 2
			// created sessions: created went up, but it counts from 0 too.
			{{"verify/ok": 5, "created": 2}, {"verify/ok": 130}, {"verify/ok": 3}},
			{{"verify/ok": 15, "created": 2, "verify/error": 4}, {"verify/ok": 145}, {"verify/ok": 8}},
		},
	}
	iv := sc.intervals()
	if len(iv) != 3 {
		t.Fatalf("%d intervals, want 3", len(iv))
	}
	for _, c := range []struct {
		k         int
		n         int
		key       string
		inc, rate float64
		end       float64
	}{
		{0, 1, "verify/ok", 10, 10, 1}, // instances 1 and 2 did not answer at tick 1
		{0, 1, "created", 0, 0, 1},
		// Instance 0's reset: 5, not 5 − 20; instance 2's new process: 3;
		// instance 1 (the same process) has no tick 1 to start from.
		{1, 2, "verify/ok", 8, 8, 2},
		{1, 2, "created", 2, 2, 2},      // instance 0's whole process counts from 0: 2, not 2 − 1
		{2, 3, "verify/ok", 30, 25, 3},  // 10 and 5 in 1 s, 15 in 1.5 s
		{2, 3, "verify/error", 4, 4, 3}, // a label set that appears counts from 0
	} {
		it := iv[c.k]
		if it.n != c.n || it.inc[c.key] != c.inc || math.Abs(it.rate[c.key]-c.rate) > 1e-9 || it.end != c.end {
			t.Errorf("interval %d %s: n %d, increase %v, rate %v, end %v; want %d, %v, %v, %v",
				c.k, c.key, it.n, it.inc[c.key], it.rate[c.key], it.end, c.n, c.inc, c.rate, c.end)
		}
	}

	// A tick no instance answered is a gap. After it, only instance 0
	// (15 < 20 at its last answer) and instance 2 (8 < 50) are new
	// processes and count; instance 1 (145 > 100) is not and does not.
	sc.snaps[2] = []snapshot{nil, nil, nil}
	iv = sc.intervals()
	if iv[1].n != 0 || iv[2].n != 2 || iv[2].inc["verify/ok"] != 23 {
		t.Errorf("around a tick without answers: n = %d, %d, increase %v; want 0, 2, 23", iv[1].n, iv[2].n, iv[2].inc["verify/ok"])
	}
}

func TestQuantile(t *testing.T) {
	b := []bucket{{0.001, 2}, {0.01, 10}, {0.1, 10}, {math.Inf(1), 10}}
	for _, c := range []struct{ q, want float64 }{
		{0.1, 0.0005},               // rank 1 of 2 in [0, 1 ms]
		{0.5, 0.001 + 0.009*3/8},    // rank 5: the 3rd of 8 in (1 ms, 10 ms]
		{1, 0.01},                   // the top of the last bucket that grew
		{0.99, 0.001 + 0.009*7.9/8}, // rank 9.9
	} {
		if got := quantile(c.q, b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("q%v = %v, want %v", c.q, got, c.want)
		}
	}
	// Beyond the last finite bound: that bound, as histogram_quantile.
	if got := quantile(0.99, []bucket{{0.1, 1}, {math.Inf(1), 100}}); got != 0.1 {
		t.Errorf("q0.99 in +Inf = %v, want 0.1", got)
	}
	if got := quantile(0.5, []bucket{{0.1, 0}, {math.Inf(1), 0}}); !math.IsNaN(got) {
		t.Errorf("no observations: %v, want NaN", got)
	}

	// Per window: the quantile of what the window added, not of the
	// counts since the start. 1000 fast calls before, 10 slow ones in the
	// window.
	prev := snapshot{"store_le/0.001": 1000, "store_le/1": 1000, "store_le/+Inf": 1000}
	cur := snapshot{"store_le/0.001": 1000, "store_le/1": 1010, "store_le/+Inf": 1010}
	w := increase(prev, cur).buckets("store_le")
	if got := quantile(0.5, w); math.Abs(got-(0.001+0.999*0.5)) > 1e-12 {
		t.Errorf("window p50 = %v, want 0.5005", got)
	}
	if got := quantile(0.5, cur.buckets("store_le")); got >= 0.001 {
		t.Errorf("cumulative p50 = %v: the test does not tell window from cumulative", got)
	}
}

// The dashboard of made-up scrapes is well-formed SVG with every panel,
// marker and legend, and no NaN or Inf coordinate.
func TestRenderDashboard(t *testing.T) {
	begin := time.Unix(1000, 0)
	var sc scrapes
	sc.begin = begin
	for k := range 31 {
		var row []snapshot
		for i := range 2 {
			f := float64(k)
			s := snapshot{
				"verify/ok": 300 * f, "verify/try_refresh": 10 * f, "refresh/rotated": 9 * f, "created": f,
				"revoke/sign_out": f / 2, "store_n/ok": 100 * f,
				"store_le/0.001": 90 * f, "store_le/0.01": 100 * f, "store_le/+Inf": 100 * f,
				"prop_le/0.005": f, "prop_le/+Inf": f,
			}
			if k >= 15 && k < 18 {
				s["store_n/error"] = 3 * (f - 14)
				s["store_le/+Inf"] += 3 * (f - 14)
			}
			if i == 1 && k >= 8 && k < 11 {
				s = nil // down
			}
			row = append(row, s)
		}
		sc.at = append(sc.at, []time.Time{begin.Add(time.Duration(k) * time.Second), begin.Add(time.Duration(k) * time.Second)})
		sc.snaps = append(sc.snaps, row)
	}
	panels := dashboardPanels(sc.intervals())
	if len(panels) != 6 {
		t.Fatalf("%d panels, want 6", len(panels))
	}
	var b strings.Builder
	marks := []marker{{7.5, 10.2, "instance 1 SIGKILLed", "#7b3294"}, {15, 18, "database down", "#d62728"}}
	if err := renderDashboard(&b, "title <&>", "line one\nline two", 30, panels, marks); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
	}
	for _, want := range []string{
		"Requests verified per second, by outcome", "Refreshes per second, by outcome",
		"Store call latency", "Revocation propagation", "instance 1 SIGKILLed", "database down",
		"try_refresh", "0 throughout: unauthorised, no_session, invalid_claims, error", "title &lt;&amp;&gt;",
		"seconds since the load began", "1 ms", ">30<",
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("no %q in the SVG", want)
		}
	}
	for _, bad := range []string{"NaN", "Inf"} {
		if strings.Contains(svg, bad) {
			t.Errorf("%q in the SVG", bad)
		}
	}
}
