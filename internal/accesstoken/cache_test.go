package accesstoken

import (
	"fmt"
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
