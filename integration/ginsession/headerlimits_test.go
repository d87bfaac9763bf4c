package ginsession_test

// Huge headers and many cookies (SECURITY.md D): bounded answers and
// bounded memory per request.

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// SECURITY.md D: huge headers and many cookies → bounded work: at most a
// few cookie candidates are ever verified, and memory does not grow with the
// header.
func TestHeaderLimitsHugeHeadersManyCookies(t *testing.T) {
	f := newForger(t, nil)
	junkTok := func(i int) string { // well-formed, our kid, bad signature: each would cost a signature check
		h, p, s := splitJWT(t, f.access)
		return h + "." + p + "." + flipChar(s, i%len(s))
	}
	many := func(n int, last string) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString("c" + strconv.Itoa(i) + "=v; ")
		}
		b.WriteString(last)
		return b.String()
	}
	dups := func(n int, tail string) string {
		parts := make([]string, 0, n+1)
		for i := 0; i < n; i++ {
			parts = append(parts, "sAccessToken="+junkTok(i))
		}
		if tail != "" {
			parts = append(parts, tail)
		}
		return strings.Join(parts, "; ")
	}
	lines := make([]string, 1000)
	for i := range lines {
		lines[i] = "c" + strconv.Itoa(i) + "=v"
	}
	cases := []struct {
		name   string
		cookie []string
		status int
	}{
		{"1 000 other cookies, ours last", []string{many(1000, "sAccessToken="+f.access)}, 200},
		{"1 000 Cookie lines, ours last", append(lines, "sAccessToken="+f.access), 200},
		{"1 MB of other cookies, ours last", []string{many(80000, "sAccessToken="+f.access)}, 200},
		{"ours among the first four duplicates", []string{"sAccessToken=" + junkTok(1) + "; sAccessToken=" + f.access + "; sAccessToken=" + junkTok(2)}, 200},
		// Candidates beyond the first four could name another session
		// (cookie tossing): nobody can tell, so the request is nobody's.
		{"ours among the first four, 1 000 duplicates after", []string{"sAccessToken=" + junkTok(1) + "; sAccessToken=" + f.access + "; " + dups(1000, "")}, 401},
		{"1 000 duplicates, ours after them", []string{dups(1000, "sAccessToken="+f.access)}, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := serveInProcess(f.e.router, "GET", "/api/me", http.Header{"Cookie": tc.cookie})
			if w.Code != tc.status {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tc.status)
			}
			if tc.status == 401 && (w.Header().Get("front-token") != "" || !strings.Contains(w.Body.String(), "try refresh token")) {
				t.Errorf("%s %v", w.Body, w.Header())
			}
		})
	}
	t.Run("memory and signature checks do not grow with the duplicates", func(t *testing.T) {
		mk := func(cookie string) *http.Request {
			req := httptest.NewRequest("GET", "/api/me", nil)
			req.Header.Set("Cookie", cookie)
			return req
		}
		four := heapBytesPerRequest(f.e.router, mk(dups(4, "")))
		thousand := heapBytesPerRequest(f.e.router, mk(dups(1000, "")))
		t.Logf("%d bytes per request with 4 duplicate tokens, %d with 1 000", four, thousand)
		if thousand > four+16<<10 {
			t.Errorf("1 000 duplicate tokens cost %d bytes per request, 4 cost %d: candidates are not capped", thousand, four)
		}
		ours := heapBytesPerRequest(f.e.router, mk(many(80000, "sAccessToken="+f.access)))
		plain := heapBytesPerRequest(f.e.router, mk("sAccessToken="+f.access))
		t.Logf("%d bytes per request behind 1 MB of cookies, %d alone", ours, plain)
		if ours > plain+16<<10 {
			t.Errorf("1 MB of cookies cost %d bytes per request (%d without)", ours, plain)
		}
	})
	t.Run("over the network", func(t *testing.T) {
		r := sendRaw(t, f.e.server.URL, "GET", "/api/me", "", "Cookie", many(80000, "sAccessToken="+f.access))
		if r.status != 200 && r.status != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
}
