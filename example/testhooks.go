package main

// Test-only endpoints, mounted only with Options.TestHooks (-test-hooks).
// They exist for the end-to-end suite and must never be enabled on a real
// deployment: they are unauthenticated, and revoke-all signs everybody out.

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// maxStatPaths bounds the counters map (unmatched paths are counted by their
// raw path, and a scanner could send many).
const maxStatPaths = 1000

// pathStats counts the requests to one path.
type pathStats struct {
	Count    int            `json:"count"`
	ByStatus map[string]int `json:"byStatus"`
	// Last is what the newest request carried of the protocol's headers.
	Last requestHeaders `json:"last"`
}

// requestHeaders is the protocol-relevant part of one request as the server
// received it: header values, but never a token (only whether a bearer
// token came, and the names of the cookies).
type requestHeaders struct {
	RID         string   `json:"rid"`
	FDIVersion  string   `json:"fdiVersion"`
	AuthMode    string   `json:"stAuthMode"`
	AntiCSRF    bool     `json:"antiCsrf"`
	Bearer      bool     `json:"bearer"`
	Origin      string   `json:"origin"`
	ContentType string   `json:"contentType"`
	CookieNames []string `json:"cookieNames"` // sorted, duplicates kept
	HasBody     bool     `json:"hasBody"`
}

func captureHeaders(r *http.Request) requestHeaders {
	h := requestHeaders{
		RID:         r.Header.Get("rid"),
		FDIVersion:  r.Header.Get("fdi-version"),
		AuthMode:    r.Header.Get("st-auth-mode"),
		AntiCSRF:    r.Header.Get("anti-csrf") != "",
		Bearer:      strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "bearer "),
		Origin:      r.Header.Get("Origin"),
		ContentType: r.Header.Get("Content-Type"),
		CookieNames: []string{},
		HasBody:     r.ContentLength != 0, // -1: a body of unknown length
	}
	for _, c := range r.Cookies() {
		h.CookieNames = append(h.CookieNames, c.Name)
	}
	sort.Strings(h.CookieNames)
	return h
}

// stats counts requests per route and session events.
type stats struct {
	mu       sync.Mutex
	requests map[string]*pathStats
	events   map[string]int
}

func newStats() *stats {
	return &stats{
		requests: map[string]*pathStats{},
		events:   map[string]int{"created": 0, "refreshed": 0, "revoked": 0, "theftDetected": 0, "deviceBound": 0, "deviceBindingFailed": 0},
	}
}

// count is middleware recording each request under its route pattern (e.g.
// "/api/sessions/:handle"), or its raw path when no route matched.
func (s *stats) count(c *gin.Context) {
	seen := captureHeaders(c.Request)
	c.Next()
	key := c.FullPath()
	if key == "" {
		key = c.Request.URL.Path
	}
	status := strconv.Itoa(c.Writer.Status())
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.requests[key]
	if p == nil {
		if len(s.requests) >= maxStatPaths {
			return
		}
		p = &pathStats{ByStatus: map[string]int{}}
		s.requests[key] = p
	}
	p.Count++
	p.ByStatus[status]++
	p.Last = seen
}

func (s *stats) event(name string) {
	s.mu.Lock()
	s.events[name]++
	s.mu.Unlock()
}

// hooks counts ginsession's session events.
func (s *stats) hooks() ginsession.Hooks {
	return ginsession.Hooks{
		Created:       func(ginsession.SessionEvent) { s.event("created") },
		Refreshed:     func(ginsession.SessionEvent) { s.event("refreshed") },
		Revoked:       func(ginsession.SessionEvent) { s.event("revoked") },
		TheftDetected: func(ginsession.TheftEvent) { s.event("theftDetected") },
		DeviceBound:   func(ginsession.SessionEvent) { s.event("deviceBound") },
		DeviceBindingFailed: func(ev ginsession.DeviceBindingEvent) {
			s.event("deviceBindingFailed")
			s.event("deviceBindingFailed:" + ev.Stage)
		},
	}
}

// snapshot copies the counters for JSON.
func (s *stats) snapshot() gin.H {
	s.mu.Lock()
	defer s.mu.Unlock()
	req := make(map[string]pathStats, len(s.requests))
	for k, v := range s.requests {
		by := make(map[string]int, len(v.ByStatus))
		for st, n := range v.ByStatus {
			by[st] = n
		}
		req[k] = pathStats{Count: v.Count, ByStatus: by, Last: v.Last}
	}
	ev := make(map[string]int, len(s.events))
	for k, v := range s.events {
		ev[k] = v
	}
	return gin.H{"requests": req, "events": ev}
}

// testStats handles GET /test/stats (test-only):
//
//	{"requests": {"/auth/session/refresh": {"count": 2, "byStatus": {"200": 1, "401": 1},
//	                                        "last": {"rid": "session", "fdiVersion": "…", ...}}, ...},
//	 "events": {"created": 1, "refreshed": 1, "revoked": 0, "theftDetected": 0}}
//
// The request for /test/stats itself is counted after the answer is written.
func (a *App) testStats(c *gin.Context) {
	c.JSON(http.StatusOK, a.stats.snapshot())
}

// testRevokeAll handles POST /test/revoke-all (test-only): it revokes every
// session of every user and answers {"status":"OK","revoked":n}.
func (a *App) testRevokeAll(c *gin.Context) {
	ctx := c.Request.Context()
	var ids []string
	if err := a.db.WithContext(ctx).Model(&user{}).Pluck("id", &ids).Error; err != nil {
		a.dbError(c, "listing users", err)
		return
	}
	revoked := 0
	for _, id := range ids {
		handles, err := a.sessions.RevokeAllSessions(ctx, id)
		if err != nil {
			a.sessions.HandleError(c, err)
			return
		}
		revoked += len(handles)
	}
	c.JSON(http.StatusOK, gin.H{"status": "OK", "revoked": revoked})
}

// neverHolds is the claim validator of GET /test/invalid-claim (test-only):
// it fails for every session, so the route always answers 403
// "invalid claim", the response the frontend SDK parses with
// getInvalidClaimsFromResponse.
var neverHolds = ginsession.ValidatorFunc("e2e-never-holds", func(ginsession.Payload) any {
	return gin.H{"message": "this test-only claim never holds", "expectedValue": true, "actualValue": false}
})
