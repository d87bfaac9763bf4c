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
	// A size that is not a power of two is the bound too (rounded up to a
	// whole bucket of 8), not the next power of two.
	odd := newCache(100)
	for i := 0; i < 1000; i++ {
		odd.put(fmt.Sprintf("token-%d", i), &Claims{Expires: now.Add(time.Hour)}, now)
	}
	if n := odd.len(); n > 104 || n < 64 {
		t.Fatalf("cache of size 100 holds %d entries", n)
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
	for i := 0; i < len(tok)-tailLen; i++ {
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

// TestCacheEvictsByExpiry: a full bucket gives up an expired entry before a
// live one, and of live ones the one expiring soonest; the token being put
// replaces its own entry.
func TestCacheEvictsByExpiry(t *testing.T) {
	c := newCache(ways) // one bucket: every token shares it
	now := time.Unix(1_700_000_000, 0)
	toks := make([]string, ways)
	for i := range toks {
		toks[i] = fmt.Sprintf("token-%d", i)
		// token-3 expires soonest, token-5 has expired.
		exp := now.Add(time.Hour + time.Duration(i)*time.Minute)
		switch i {
		case 3:
			exp = now.Add(time.Minute)
		case 5:
			exp = now.Add(-time.Second)
		}
		c.put(toks[i], &Claims{Expires: exp}, now.Add(-time.Hour))
	}
	if n := c.len(); n != ways {
		t.Fatalf("%d entries, want %d", n, ways)
	}
	c.put("new-1", &Claims{Expires: now.Add(time.Hour)}, now)
	if c.get("new-1", now) == nil || c.get(toks[3], now) == nil {
		t.Fatal("the first insert into the full bucket did not take the expired slot")
	}
	c.put("new-2", &Claims{Expires: now.Add(time.Hour)}, now)
	if c.get("new-2", now) == nil || c.get(toks[3], now) != nil {
		t.Fatal("the second insert did not evict the entry expiring soonest")
	}
	for _, i := range []int{0, 1, 2, 4, 6, 7} {
		if c.get(toks[i], now) == nil {
			t.Fatalf("%s was evicted", toks[i])
		}
	}
	c.put("new-2", &Claims{UserID: "again", Expires: now.Add(2 * time.Hour)}, now)
	if got := c.get("new-2", now); got == nil || got.UserID != "again" || c.len() != ways {
		t.Fatalf("a second put of the same token: %+v, %d entries", got, c.len())
	}
}

// TestCacheConcurrentUse: lookups take no lock, so gets and puts of
// overlapping tokens from many goroutines run together, through the
// table's growth (the race detector checks the publication), and every hit
// is the claims put for its token.
func TestCacheConcurrentUse(t *testing.T) {
	c := newCache(1024)
	now := time.Unix(1_700_000_000, 0)
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 2000; i++ {
				tok := fmt.Sprintf("token-%d", (i*7+g)%200)
				if g%2 == 0 {
					c.put(tok, &Claims{UserID: tok, Expires: now.Add(time.Hour)}, now)
				} else if got := c.get(tok, now); got != nil && got.UserID != tok {
					t.Errorf("%s hit the claims of %s", tok, got.UserID)
					return
				}
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	if n := c.len(); n < 100 || n > 200 {
		t.Fatalf("%d entries of 200 tokens", n)
	}
}

// TestCacheGrows: the table starts with firstBuckets and doubles as
// buckets fill, keeping what it held, up to the configured size and no
// further.
func TestCacheGrows(t *testing.T) {
	c := newCache(4096)
	now := time.Unix(1_700_000_000, 0)
	if got := len(c.t.Load().slots); got != firstBuckets*ways {
		t.Fatalf("a new cache has %d slots, want %d", got, firstBuckets*ways)
	}
	for i := 0; i < 2000; i++ {
		c.put(fmt.Sprintf("token-%d", i), &Claims{Expires: now.Add(time.Hour)}, now)
	}
	slots := len(c.t.Load().slots)
	if slots <= firstBuckets*ways || slots > 4096 {
		t.Fatalf("after 2000 tokens the table has %d slots", slots)
	}
	held := 0
	for i := 0; i < 2000; i++ {
		if c.get(fmt.Sprintf("token-%d", i), now) != nil {
			held++
		}
	}
	// Growth drops nothing unless a bucket of the bigger table fills, and
	// a full bucket below the bound grows instead of evicting: nearly all
	// stay.
	if held < 1900 || held != c.len() {
		t.Fatalf("%d of 2000 tokens held, len %d", held, c.len())
	}
	for i := 2000; i < 20000; i++ {
		c.put(fmt.Sprintf("token-%d", i), &Claims{Expires: now.Add(time.Hour)}, now)
	}
	if slots, n := len(c.t.Load().slots), c.len(); slots != 4096 || n > 4096 || n < 3000 {
		t.Fatalf("after 20000 tokens: %d slots, %d entries; bound 4096", slots, n)
	}
}
