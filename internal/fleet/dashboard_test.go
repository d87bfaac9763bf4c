package fleet

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// This file draws the dashboard (-fleet.dashboard): one self-contained SVG
// of a run, a grid of small time-series panels over the load's seconds,
// with the harness's faults marked. scrape_test.go computes the series.

// line is one series of a panel; NaN is a gap.
type line struct {
	name  string
	color string
	ys    []float64
}

// panel is one chart. log draws the y axis in decades (latencies).
type panel struct {
	title string
	unit  string // the y axis's label
	log   bool
	fmtY  func(float64) string
	xs    []float64
	lines []line
	zero  []string // series that were 0 throughout: named, not drawn
}

// marker is a span of the run the harness disturbed (from = to: an instant).
type marker struct {
	from, to float64
	label    string
	color    string
}

// outcomeColors keeps one colour per outcome across the panels.
var outcomeColors = map[string]string{
	"ok": "#1f77b4", "rotated": "#1f77b4", "created": "#1f77b4", "p50": "#1f77b4",
	"try_refresh": "#ff7f0e", "grace_retry": "#2ca02c", "sign_out": "#ff7f0e",
	"unauthorised": "#9467bd", "no_session": "#8c564b", "invalid_claims": "#e377c2",
	"revoked": "#9467bd", "p99": "#ff7f0e",
	"theft": "#d62728", "error": "#d62728",
}

// ratePanel plots the rates of key/<value> for each of values.
func ratePanel(iv []interval, title, unit, key string, values ...string) panel {
	p := panel{title: title, unit: unit, fmtY: fmtCount}
	for _, it := range iv {
		p.xs = append(p.xs, it.end)
	}
	for _, v := range values {
		l := line{name: v, color: outcomeColors[v]}
		k := key + "/" + v
		if v == "" {
			k, l.name, l.color = key, key, outcomeColors[key]
		}
		nonzero := false
		for _, it := range iv {
			y := math.NaN()
			if it.n > 0 {
				y = it.rate[k]
			}
			nonzero = nonzero || y > 0
			l.ys = append(l.ys, y)
		}
		if nonzero {
			p.lines = append(p.lines, l)
		} else {
			p.zero = append(p.zero, l.name)
		}
	}
	return p
}

// quantilePanel plots p50 and p99 of the histogram kept under prefix, per
// interval; ok is false when it holds no observation at all.
func quantilePanel(iv []interval, title, prefix string) (p panel, ok bool) {
	p = panel{title: title, unit: "seconds", log: true, fmtY: fmtSeconds}
	for _, it := range iv {
		p.xs = append(p.xs, it.end)
	}
	for _, q := range []struct {
		name string
		q    float64
	}{{"p50", 0.5}, {"p99", 0.99}} {
		l := line{name: q.name, color: outcomeColors[q.name]}
		for _, it := range iv {
			y := quantile(q.q, it.inc.buckets(prefix))
			ok = ok || !math.IsNaN(y)
			l.ys = append(l.ys, y)
		}
		p.lines = append(p.lines, l)
	}
	return p, ok
}

// dashboardPanels lays out the run's panels, two to a row.
func dashboardPanels(iv []interval) []panel {
	panels := []panel{
		ratePanel(iv, "Requests verified per second, by outcome", "verifications / s", "verify",
			"ok", "try_refresh", "unauthorised", "no_session", "invalid_claims", "error"),
		ratePanel(iv, "Refreshes per second, by outcome", "refreshes / s", "refresh",
			"rotated", "grace_retry", "unauthorised", "theft", "error"),
	}
	sessions := ratePanel(iv, "Sessions created, and revoked by cause, per second", "sessions / s", "created", "")
	revoked := ratePanel(iv, "", "", "revoke", "sign_out", "revoked", "theft")
	causes := map[string]string{"sign_out": "revoked: sign-out", "revoked": "revoked by the app", "theft": "revoked: theft"}
	for _, l := range revoked.lines {
		l.name = causes[l.name]
		sessions.lines = append(sessions.lines, l)
	}
	for _, z := range revoked.zero {
		sessions.zero = append(sessions.zero, causes[z])
	}
	panels = append(panels, sessions, ratePanel(iv, "Store calls failing per second (all operations)", "errors / s", "store_n", "error"))
	if p, ok := quantilePanel(iv, "Store call latency, per 1 s window (all operations)", "store_le"); ok {
		panels = append(panels, p)
	}
	if p, ok := quantilePanel(iv, "Revocation propagation to other instances, per 1 s window", "prop_le"); ok {
		panels = append(panels, p)
	}
	return panels
}

// The dashboard's geometry, in pixels.
const (
	dashW      = 1200
	gap        = 16
	panelW     = (dashW - 3*gap) / 2
	panelH     = 250
	plotLeft   = 66 // y tick labels and the unit
	plotRight  = 14
	plotBottom = 36  // x tick labels and the axis's name
	charW      = 6.2 // the width of a character of 11 px sans-serif, about
)

// renderDashboard writes the SVG: a title, a caption, the panels and the
// markers in each of them; xmax is the load's length in seconds.
func renderDashboard(w io.Writer, title, caption string, xmax float64, panels []panel, marks []marker) error {
	captionLines := strings.Split(caption, "\n")
	headerH := 48 + 16*len(captionLines)
	rows := (len(panels) + 1) / 2
	height := headerH + rows*(panelH+gap)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="11">`+"\n", dashW, height, dashW, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="18" font-weight="bold">%s</text>`+"\n", gap, esc(title))
	for i, l := range captionLines {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#444">%s</text>`+"\n", gap, 48+16*i, esc(l))
	}
	for i, p := range panels {
		x := gap + (i%2)*(panelW+gap)
		y := headerH + (i/2)*(panelH+gap)
		drawPanel(&b, x, y, xmax, p, marks)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// drawPanel draws one panel with its top-left corner at (x0, y0).
func drawPanel(b *strings.Builder, x0, y0 int, xmax float64, p panel, marks []marker) {
	fmt.Fprintf(b, `<g transform="translate(%d,%d)">`+"\n", x0, y0)
	fmt.Fprintf(b, `<rect width="%d" height="%d" fill="none" stroke="#ccc"/>`+"\n", panelW, panelH)
	fmt.Fprintf(b, `<text x="10" y="18" font-size="13" font-weight="bold">%s</text>`+"\n", esc(p.title))

	// The legend, wrapped to the panel's width, under the title.
	type entry struct{ text, color string }
	var entries []entry
	for _, l := range p.lines {
		entries = append(entries, entry{l.name, l.color})
	}
	if len(p.zero) > 0 {
		entries = append(entries, entry{"0 throughout: " + strings.Join(p.zero, ", "), ""})
	}
	lx, ly := 10.0, 34.0
	for _, e := range entries {
		wd := float64(len(e.text))*charW + 22
		if lx+wd > panelW-10 && lx > 10 {
			lx, ly = 10, ly+15
		}
		if e.color != "" {
			fmt.Fprintf(b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="%s" stroke-width="3"/>`, lx, ly-4, lx+14, ly-4, e.color)
			fmt.Fprintf(b, `<text x="%.0f" y="%.0f">%s</text>`+"\n", lx+18, ly, esc(e.text))
		} else {
			fmt.Fprintf(b, `<text x="%.0f" y="%.0f" fill="#777">%s</text>`+"\n", lx, ly, esc(e.text))
		}
		lx += wd
	}

	// The plot area and its scales, under a row for the markers' labels.
	top := int(ly) + 24
	left, right, bottom := plotLeft, panelW-plotRight, panelH-plotBottom
	sx := func(v float64) float64 { return float64(left) + v/xmax*float64(right-left) }
	lo, hi, yticks := linearTicks(p.lines)
	if p.log {
		lo, hi, yticks = logTicks(p.lines)
	}
	sy := func(v float64) float64 {
		if p.log {
			v = math.Log10(math.Max(v, lo))
			return float64(bottom) - (v-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))*float64(bottom-top)
		}
		return float64(bottom) - (v-lo)/(hi-lo)*float64(bottom-top)
	}

	// The markers, under the data.
	for _, m := range marks {
		x1, x2 := sx(m.from), sx(m.to)
		fmt.Fprintf(b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" fill-opacity="0.12"/>`+"\n", x1, top, math.Max(x2-x1, 1), bottom-top, m.color)
		for _, x := range []float64{x1, x2} {
			fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-dasharray="3,3"/>`+"\n", x, top, x, bottom, m.color)
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="10" fill="%s" stroke="white" stroke-width="3" paint-order="stroke">%s</text>`+"\n", x1, top-4, m.color, esc(m.label))
	}

	// Axes, ticks and grid lines.
	for _, t := range yticks {
		y := sy(t)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>`, left, y, right, y)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333"/>`, left-4, y, left, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-7, y+4, p.fmtY(t))
	}
	step := niceStep(xmax, 8)
	for t := 0.0; t <= xmax+1e-9; t += step {
		x := sx(t)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#333"/>`, x, bottom, x, bottom+4)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, bottom+16, fmtCount(t))
	}
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/><line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n",
		left, top, left, bottom, left, bottom, right, bottom)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" fill="#444">seconds since the load began</text>`+"\n", (left+right)/2, panelH-5)
	fmt.Fprintf(b, `<text transform="translate(14,%d) rotate(-90)" text-anchor="middle" fill="#444">%s</text>`+"\n", (top+bottom)/2, esc(p.unit))

	// The series: a polyline per run of values without a gap, a dot for
	// a value alone.
	for _, l := range p.lines {
		var pts [][2]float64
		flush := func() {
			if len(pts) == 1 {
				fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="2" fill="%s"/>`+"\n", pts[0][0], pts[0][1], l.color)
			} else if len(pts) > 1 {
				fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5" stroke-linejoin="round" points="`, l.color)
				for _, pt := range pts {
					fmt.Fprintf(b, "%.1f,%.1f ", pt[0], pt[1])
				}
				b.WriteString(`"/>` + "\n")
			}
			pts = pts[:0]
		}
		for i, y := range l.ys {
			if math.IsNaN(y) {
				flush()
				continue
			}
			pts = append(pts, [2]float64{sx(p.xs[i]), sy(y)})
		}
		flush()
	}
	b.WriteString("</g>\n")
}

// linearTicks returns a y range from 0 to a round number above every
// value, and its ticks.
func linearTicks(lines []line) (lo, hi float64, ticks []float64) {
	for _, l := range lines {
		for _, y := range l.ys {
			if !math.IsNaN(y) {
				hi = math.Max(hi, y)
			}
		}
	}
	if hi <= 0 {
		hi = 1
	}
	step := niceStep(hi, 4)
	hi = math.Ceil(hi/step-1e-9) * step
	for t := 0.0; t <= hi+step/2; t += step {
		ticks = append(ticks, t)
	}
	return 0, hi, ticks
}

// logTicks returns whole decades around every positive value, and a tick
// at each; at 1, 2 and 5 of each when there are at most two.
func logTicks(lines []line) (lo, hi float64, ticks []float64) {
	lo, hi = math.Inf(1), 0
	for _, l := range lines {
		for _, y := range l.ys {
			if y > 0 {
				lo, hi = math.Min(lo, y), math.Max(hi, y)
			}
		}
	}
	if hi == 0 {
		lo, hi = 1e-3, 1
	}
	lo = math.Pow(10, math.Floor(math.Log10(lo)))
	hi = math.Pow(10, math.Ceil(math.Log10(hi)))
	if hi <= lo {
		hi = lo * 10
	}
	for t := lo; t <= hi*1.001; t *= 10 {
		ticks = append(ticks, t)
		if hi/lo <= 100 && t < hi/2 {
			ticks = append(ticks, 2*t, 5*t)
		}
	}
	return lo, hi, ticks
}

// niceStep is 1, 2 or 5 × 10^k, the least that cuts [0, max] into at most
// n steps.
func niceStep(max float64, n int) float64 {
	raw := max / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5} {
		if m*p >= raw-1e-12 {
			return m * p
		}
	}
	return 10 * p
}

// fmtCount writes a tick value: 0.5, 20, 1.5k.
func fmtCount(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%gk", math.Round(v/100)/10)
	}
	return fmt.Sprintf("%g", math.Round(v*1000)/1000)
}

// fmtSeconds writes a duration tick: 100 µs, 1 ms, 1 s.
func fmtSeconds(v float64) string {
	switch {
	case v >= 1:
		return fmt.Sprintf("%g s", v)
	case v >= 1e-3:
		return fmt.Sprintf("%g ms", math.Round(v*1e6)/1e3)
	default:
		return fmt.Sprintf("%g µs", math.Round(v*1e9)/1e3)
	}
}

func esc(s string) string { return html.EscapeString(s) }

// writeDashboard draws a run's dashboard to path; a relative path is
// taken from the repository's root (go test runs in internal/fleet).
func writeDashboard(path, title, caption string, sc scrapes, load time.Duration, marks []marker) error {
	if !filepath.IsAbs(path) {
		path = filepath.Join("..", "..", path)
	}
	var b strings.Builder
	if err := renderDashboard(&b, title, caption, load.Seconds(), dashboardPanels(sc.intervals()), marks); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// dashboardPath is -fleet.dashboard for a single run; with several runs
// each gets its own file, the database and N added to the name.
func dashboardPath(s settings, dbName string, n int) string {
	if len(s.ns)*len(s.dbs) == 1 {
		return s.dashboard
	}
	ext := filepath.Ext(s.dashboard)
	return fmt.Sprintf("%s-%s-N%d%s", strings.TrimSuffix(s.dashboard, ext), dbName, n, ext)
}

// writeRunDashboard writes the dashboard of one run of TestFleet, the
// SIGKILL and the database outage marked.
func writeRunDashboard(t *testing.T, s settings, res *result, sc scrapes, begin time.Time, victim int, kill, down window) {
	t.Helper()
	at := func(w window) (float64, float64) { return w.from.Sub(begin).Seconds(), w.to.Sub(begin).Seconds() }
	kf, kt := at(kill)
	df, dt := at(down)
	marks := []marker{
		{kf, kt, fmt.Sprintf("instance %d SIGKILLed", victim), "#7b3294"},
		{df, dt, "database down", "#d62728"},
	}
	title := fmt.Sprintf("ginsession fleet: %d instances on %s, %v of load", res.n, res.db, res.load.Round(time.Second))
	caption := fmt.Sprintf("Each instance's GET /metrics scraped every second, summed over the instances: rates between successive scrapes (a restarted process counts\n"+
		"from 0), quantiles from the histogram buckets of each 1 s window. A SIGKILLed process takes its last second's counts with it.\n"+
		"Shaded: instance %d from its SIGKILL until its new process answered on its port (%.1f–%.1f s); the database from its stop until it accepted connections again (%.1f–%.1f s).",
		victim, kf, kt, df, dt)
	if err := writeDashboard(dashboardPath(s, res.db, res.n), title, caption, sc, res.load, marks); err != nil {
		t.Errorf("dashboard: %v", err)
		return
	}
	t.Logf("dashboard: %s (%d scrapes of %d instances)", dashboardPath(s, res.db, res.n), len(sc.snaps), res.n)
}
