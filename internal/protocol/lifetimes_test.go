package protocol

import (
	"testing"
	"time"
)

func TestLifetimes(t *testing.T) {
	day := 24 * time.Hour
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	capped := Lifetimes{Refresh: 100 * day, BrowserIdle: day, MaxAge: 30 * day}
	open := Lifetimes{Refresh: 100 * day, BrowserIdle: day}
	cases := []struct {
		name        string
		l           Lifetimes
		now         time.Time
		sessionOnly bool
		stored      time.Time
		past        bool
	}{
		{"remembered, no maximum age", open, created.Add(day), false, created.Add(101 * day), false},
		{"browser-session-only slides by the idle time", open, created.Add(day), true, created.Add(2 * day), false},
		{"remembered, capped by the maximum age", capped, created.Add(day), false, created.Add(30 * day), false},
		{"browser-session-only under the cap", capped, created.Add(day), true, created.Add(2 * day), false},
		{"at the maximum age", capped, created.Add(30 * day), false, created.Add(30 * day), true},
		{"long past it", capped, created.Add(90 * day), true, created.Add(30 * day), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.l.Stored(created, c.now, c.sessionOnly); !got.Equal(c.stored) {
				t.Errorf("Stored = %v, want %v", got, c.stored)
			}
			if got := c.l.PastMaxAge(created, c.now); got != c.past {
				t.Errorf("PastMaxAge = %v, want %v", got, c.past)
			}
		})
	}
	if got := capped.End(created, created.Add(10*day)); !got.Equal(created.Add(10 * day)) {
		t.Errorf("End before the maximum age = %v", got)
	}
}
