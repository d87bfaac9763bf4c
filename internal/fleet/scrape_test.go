package fleet

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file is the dashboard's data (-fleet.dashboard): every instance's
// GET /metrics scraped once a second, the Prometheus text format parsed
// (only what the dashboard needs: counter values and histogram buckets),
// and per-second rates and per-window quantiles computed from successive
// scrapes. dashboard_test.go draws them.

// promSample is one sample line of the Prometheus text format.
type promSample struct {
	name   string
	labels map[string]string
	value  float64
}

// parsePromText parses the sample lines of the Prometheus text format
// (version 0.0.4); comments (# HELP, # TYPE) and blank lines are skipped.
func parsePromText(text string) ([]promSample, error) {
	var out []promSample
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parsePromLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", i+1, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// parsePromLine parses name{label="value",...} value [timestamp].
func parsePromLine(line string) (promSample, error) {
	s := promSample{labels: map[string]string{}}
	end := strings.IndexAny(line, "{ ")
	if end <= 0 {
		return s, fmt.Errorf("no value: %q", line)
	}
	s.name, line = line[:end], line[end:]
	if line[0] == '{' {
		line = line[1:]
		for {
			line = strings.TrimLeft(line, " ,")
			if strings.HasPrefix(line, "}") {
				line = line[1:]
				break
			}
			eq := strings.Index(line, `="`)
			if eq <= 0 {
				return s, fmt.Errorf("bad label in %q", line)
			}
			name, rest := strings.TrimSpace(line[:eq]), line[eq+2:]
			var value strings.Builder
			closed := false
			for i := 0; i < len(rest) && !closed; i++ {
				switch c := rest[i]; {
				case c == '\\' && i+1 < len(rest):
					i++
					if rest[i] == 'n' {
						value.WriteByte('\n')
					} else {
						value.WriteByte(rest[i]) // \\ and \"
					}
				case c == '"':
					closed, line = true, rest[i+1:]
				default:
					value.WriteByte(c)
				}
			}
			if !closed {
				return s, fmt.Errorf("unterminated value of label %s", name)
			}
			s.labels[name] = value.String()
		}
	}
	fields := strings.Fields(line) // the value and an optional timestamp
	if len(fields) < 1 || len(fields) > 2 {
		return s, fmt.Errorf("want a value and at most a timestamp after %s, have %q", s.name, line)
	}
	v, err := strconv.ParseFloat(fields[0], 64) // also +Inf, -Inf, NaN
	if err != nil {
		return s, fmt.Errorf("value of %s: %v", s.name, err)
	}
	s.value = v
	return s, nil
}

// snapshot is what the dashboard keeps of one scrape of one instance: a
// value per key, each the sum of one metric's samples over the label sets
// that share the value of one label (see kept).
type snapshot map[string]float64

// kept lists the series the dashboard draws. The key of a sample is
// key/value-of-by ("verify/ok", "store_le/0.005"), or key alone when by is
// empty; every other label (operation, the otel_scope_* ones) is summed
// over.
var kept = []struct{ key, metric, by string }{
	{"verify", "ginsession_verifications_total", "outcome"},
	{"refresh", "ginsession_refreshes_total", "outcome"},
	{"created", "ginsession_sessions_created_total", ""},
	{"revoke", "ginsession_revocations_total", "cause"},
	{"store_le", "ginsession_store_duration_seconds_bucket", "le"},
	{"store_n", "ginsession_store_duration_seconds_count", "outcome"},
	{"prop_le", "ginsession_revocation_propagation_seconds_bucket", "le"},
}

func snapshotOf(samples []promSample) snapshot {
	snap := snapshot{}
	for _, s := range samples {
		for _, k := range kept {
			if s.name != k.metric {
				continue
			}
			key := k.key
			if k.by != "" {
				key += "/" + s.labels[k.by]
			}
			snap[key] += s.value
		}
	}
	return snap
}

// scrapes are the snapshots of every instance, one row per tick (a second
// apart); a nil snapshot is a scrape that got no answer.
type scrapes struct {
	begin time.Time // the load's start: 0 s on the dashboard
	at    [][]time.Time
	snaps [][]snapshot
}

// scraper scrapes every instance's /metrics once a second until stopped.
type scraper struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	s      scrapes
}

func startScraper(ctx context.Context, ins []*instance, begin time.Time) *scraper {
	ctx, cancel := context.WithCancel(ctx)
	sc := &scraper{cancel: cancel, done: make(chan struct{}), s: scrapes{begin: begin}}
	hc := &http.Client{Timeout: 900 * time.Millisecond} // its own connections: the load's are not touched
	go func() {
		defer close(sc.done)
		for k := 0; ; k++ {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(begin.Add(time.Duration(k) * time.Second))):
			}
			at := make([]time.Time, len(ins))
			snaps := make([]snapshot, len(ins))
			var wg sync.WaitGroup
			for i, in := range ins {
				wg.Go(func() { snaps[i], at[i] = scrapeOnce(hc, in.base+"/metrics"), time.Now() })
			}
			wg.Wait()
			sc.mu.Lock()
			sc.s.at, sc.s.snaps = append(sc.s.at, at), append(sc.s.snaps, snaps)
			sc.mu.Unlock()
		}
	}()
	return sc
}

// scrapeOnce returns the snapshot of one GET /metrics, nil when there is
// no answer (the instance is down or restarting) or it cannot be parsed.
func scrapeOnce(hc *http.Client, url string) snapshot {
	ctx, cancel := context.WithTimeout(context.Background(), 900*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := hc.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil
	}
	samples, err := parsePromText(string(body))
	if err != nil {
		return nil
	}
	return snapshotOf(samples)
}

// stop ends the scraping and returns what was scraped.
func (sc *scraper) stop() scrapes {
	sc.cancel()
	<-sc.done
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.s
}

// increase is what happened on one instance between two of its
// snapshots: cur − prev for every key (a key absent from prev was 0: the
// exporter shows a label set from its first use). When any value went
// down the process restarted in between and counts from 0 again: the
// increase is cur itself, for every key.
func increase(prev, cur snapshot) snapshot {
	d := snapshot{}
	for k, v := range cur {
		if v < prev[k] {
			return cur
		}
		d[k] = v - prev[k]
	}
	return d
}

// interval is one second of the run, between two ticks: the increases of
// the instances that answered at both ends, summed, and their sum of
// per-second rates. An interval no instance covered is a gap (n = 0).
type interval struct {
	end  float64  // seconds since the load's start
	inc  snapshot // summed increases
	rate snapshot // summed per-second rates
	n    int      // instances that answered at both ends
}

// intervals turns the scrapes into one interval per tick after the first.
// An instance counts in an interval when it answered at both ends, or
// when it answers at the end after a gap with a new process (a value
// lower than at its last answer): the new process counts from 0, and it
// did not answer at the start, so its counts are the interval's.
func (s scrapes) intervals() []interval {
	var out []interval
	for k := 1; k < len(s.snaps); k++ {
		iv := interval{inc: snapshot{}, rate: snapshot{}}
		var ends []time.Time
		for i, cur := range s.snaps[k] {
			prev := s.snaps[k-1][i]
			if prev == nil && cur != nil && s.restarted(i, k) {
				prev = snapshot{}
			}
			if prev == nil || cur == nil {
				continue
			}
			dt := s.at[k][i].Sub(s.at[k-1][i]).Seconds()
			for key, v := range increase(prev, cur) {
				iv.inc[key] += v
				iv.rate[key] += v / dt
			}
			iv.n++
			ends = append(ends, s.at[k][i])
		}
		if len(ends) > 0 {
			iv.end = ends[0].Sub(s.begin).Seconds()
		} else {
			iv.end = s.at[k][0].Sub(s.begin).Seconds()
		}
		out = append(out, iv)
	}
	return out
}

// restarted reports whether instance i's snapshot at tick k has a value
// lower than at its last answer before k: a new process.
func (s scrapes) restarted(i, k int) bool {
	for j := k - 1; j >= 0; j-- {
		if last := s.snaps[j][i]; last != nil {
			for key, v := range s.snaps[k][i] {
				if v < last[key] {
					return true
				}
			}
			return false
		}
	}
	return false
}

// bucket is one cumulative histogram bucket: the observations ≤ le.
type bucket struct{ le, count float64 }

// buckets returns the histogram kept under prefix ("store_le") in snap,
// sorted by upper bound, +Inf last.
func (snap snapshot) buckets(prefix string) []bucket {
	var out []bucket
	for k, v := range snap {
		le, ok := strings.CutPrefix(k, prefix+"/")
		if !ok {
			continue
		}
		bound, err := strconv.ParseFloat(le, 64)
		if err != nil {
			continue
		}
		out = append(out, bucket{bound, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].le < out[j].le })
	return out
}

// quantile is the q-quantile of the observations in cumulative buckets,
// as Prometheus's histogram_quantile estimates it: linear inside the
// bucket the rank falls in (from 0 for the first), the highest finite
// bound when it falls in +Inf; NaN without observations.
func quantile(q float64, b []bucket) float64 {
	if len(b) == 0 || b[len(b)-1].count == 0 {
		return math.NaN()
	}
	rank := q * b[len(b)-1].count
	lower, below := 0.0, 0.0
	for i, bk := range b {
		if bk.count >= rank {
			if math.IsInf(bk.le, 1) {
				if i == 0 {
					return math.NaN()
				}
				return b[i-1].le
			}
			if bk.count == below {
				return bk.le
			}
			return lower + (bk.le-lower)*(rank-below)/(bk.count-below)
		}
		lower, below = bk.le, bk.count
	}
	return lower
}
