package ginsession_test

import (
	"sync"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
)

// Security events carry Gin's ClientIP, which believes X-Forwarded-For only
// from the proxies the router trusts. With SetTrustedProxies(nil) a client
// cannot write the address the theft event reports.
func TestClientIPTheftEventUsesTrustedProxies(t *testing.T) {
	for _, trustAll := range []bool{false, true} {
		var mu sync.Mutex
		var got []string
		e := newEnv(t, func(cfg *ginsession.Config) {
			cfg.Hooks.TheftDetected = func(ev ginsession.TheftEvent) {
				mu.Lock()
				got = append(got, ev.ClientIP)
				mu.Unlock()
			}
		})
		if !trustAll {
			if err := e.router.SetTrustedProxies(nil); err != nil {
				t.Fatal(err)
			}
		}
		t0, _ := rawSignIn(t, e.server.URL, "cookie", "u1", "")
		expectStatus(t, sendWithToken(t, e.server.URL, "cookie", "POST", refreshPath, "sRefreshToken", t0.refresh), 200, "")
		e.clock.Advance(time.Minute)
		r := sendWithToken(t, e.server.URL, "cookie", "POST", refreshPath, "sRefreshToken", t0.refresh, "X-Forwarded-For", "6.6.6.6")
		expectStatusAndBody(t, r, 401, bodyTheft)
		want := "127.0.0.1"
		if trustAll {
			want = "6.6.6.6" // Gin's default: every peer is a trusted proxy
		}
		mu.Lock()
		if len(got) != 1 || got[0] != want {
			t.Errorf("trust all proxies %v: theft event client IPs %q, want [%s]", trustAll, got, want)
		}
		mu.Unlock()
	}
}
