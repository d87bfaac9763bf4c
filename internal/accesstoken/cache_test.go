package accesstoken

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCacheBoundedAndExpiring(t *testing.T) {
	c := newCache(64)
	now := time.Unix(1_700_000_000, 0)
	for i := 0; i < 1000; i++ {
		c.put(fmt.Sprintf("token-%d", i), &Claims{Expires: now.Add(time.Hour)}, now)
	}
	if n := c.len(); n > 64 || n < 16 {
		t.Fatalf("cache holds %d entries, bound 64", n)
	}
	c.put("short", &Claims{Expires: now.Add(time.Second)}, now)
	if c.get("short", now) == nil {
		t.Fatal("fresh entry missing")
	}
	if c.get("short", now.Add(time.Second)) != nil {
		t.Fatal("expired entry served")
	}
	if c.get("shorT", now) != nil {
		t.Fatal("a different token hit the cache")
	}
	var disabled *cache = newCache(-1)
	disabled.put("x", &Claims{Expires: now.Add(time.Hour)}, now)
	if disabled.get("x", now) != nil || disabled.len() != 0 {
		t.Fatal("disabled cache stored something")
	}
}

// TestCacheHitNeedsTheWholeToken: the cache is keyed on the end of the
// signature, but a token that shares that end and differs anywhere before
// it (a payload changed under a copied signature) is a miss.
func TestCacheHitNeedsTheWholeToken(t *testing.T) {
	c := newCache(100)
	now := time.Now()
	tok := "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9." + strings.Repeat("s", 86)
	c.put(tok, &Claims{UserID: "alice", Expires: now.Add(time.Hour)}, now)
	if got := c.get(tok, now); got == nil || got.UserID != "alice" {
		t.Fatalf("the token itself: %+v", got)
	}
	for i := 0; i < len(tok)-keyLen; i++ {
		b := []byte(tok)
		b[i] ^= 1
		if got := c.get(string(b), now); got != nil {
			t.Fatalf("byte %d changed: a hit", i)
		}
	}
	if got := c.get("x"+tok, now); got != nil {
		t.Fatal("a longer token with the same end: a hit")
	}
}

// BenchmarkCacheHit is the lookup every request with a seen token makes
// (a token of about 400 bytes, as a cookie carries it).
func BenchmarkCacheHit(b *testing.B) {
	c := newCache(10000)
	now := time.Now()
	tok := strings.Repeat("abcdefghij", 40) + "xyz"
	c.put(tok, &Claims{Expires: now.Add(time.Hour)}, now)
	probe := strings.Clone(tok) // not the cached copy: compared byte by byte
	for b.Loop() {
		if c.get(probe, now) == nil {
			b.Fatal("miss")
		}
	}
}
