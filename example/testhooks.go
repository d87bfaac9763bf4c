package main

// Test-only endpoints, mounted only with Options.TestHooks (-test-hooks).
// They exist for the end-to-end suite and must never be enabled on a real
// deployment: they are unauthenticated, and revoke-all signs everybody out.

import (
	"net/http"
	"strconv"
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
		events:   map[string]int{"created": 0, "refreshed": 0, "revoked": 0, "theftDetected": 0},
	}
}

// count is middleware recording each request under its route pattern (e.g.
// "/api/sessions/:handle"), or its raw path when no route matched.
func (s *stats) count(c *gin.Context) {
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
		req[k] = pathStats{Count: v.Count, ByStatus: by}
	}
	ev := make(map[string]int, len(s.events))
	for k, v := range s.events {
		ev[k] = v
	}
	return gin.H{"requests": req, "events": ev}
}

// testStats handles GET /test/stats (test-only):
//
//	{"requests": {"/auth/session/refresh": {"count": 2, "byStatus": {"200": 1, "401": 1}}, ...},
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
		a.internalError(c, "listing users", err)
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
