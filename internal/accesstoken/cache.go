package accesstoken

import (
	"strings"
	"sync"
	"time"
)

// cache remembers access tokens whose signature has been verified, so a
// token seen before costs a map lookup instead of a signature check. It is
// bounded, and re-checks exp on every hit. Entries are immutable: callers
// must not modify a cached Claims.
//
// The map is keyed on the token's last keyLen bytes (the end of its
// signature, random for ES256 and a function of the whole token for RS256
// and EdDSA): hashing those instead of the whole token (300 bytes and more)
// halves the cost of a hit. A hit still compares the whole token, so a
// changed byte anywhere is a miss.
type cache struct {
	shards []cacheShard
	per    int
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[string]*cacheEntry
}

// cacheEntry is one verified token and its claims.
type cacheEntry struct {
	tok    string
	claims *Claims
}

// keyLen is how many of a token's last bytes key the cache: 32 base64url
// characters are 192 bits of signature.
const keyLen = 32

// cacheKey is the part of tok the map is keyed on.
func cacheKey(tok string) string {
	if len(tok) <= keyLen {
		return tok
	}
	return tok[len(tok)-keyLen:]
}

const cacheShards = 16

func newCache(size int) *cache {
	if size <= 0 {
		return nil
	}
	per := (size + cacheShards - 1) / cacheShards
	c := &cache{shards: make([]cacheShard, cacheShards), per: per}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*cacheEntry)
	}
	return c
}

// shard picks a shard from the token's last bytes (its signature: random).
func (c *cache) shard(tok string) *cacheShard {
	var h uint32 = 2166136261
	for i := len(tok) - 1; i >= 0 && i >= len(tok)-8; i-- {
		h = (h ^ uint32(tok[i])) * 16777619
	}
	return &c.shards[h%cacheShards]
}

// get returns the cached claims if the token is known and not expired.
func (c *cache) get(tok string, now time.Time) *Claims {
	if c == nil {
		return nil
	}
	s := c.shard(tok)
	s.mu.RLock()
	e := s.m[cacheKey(tok)]
	s.mu.RUnlock()
	if e == nil || e.tok != tok || !now.Before(e.claims.Expires) {
		return nil
	}
	return e.claims
}

// evictSample bounds the work of an insert into a full shard: a few entries
// from the map's random iteration start are looked at, expired ones go, and
// if none had expired the one expiring soonest goes.
const evictSample = 8

// put stores verified claims. The key is cloned so the cache does not keep
// the whole request header (a Cookie line) alive.
func (c *cache) put(tok string, ac *Claims, now time.Time) {
	if c == nil {
		return
	}
	s := c.shard(tok)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= c.per {
		var victim string
		var victimExp time.Time
		seen, evicted := 0, 0
		for k, v := range s.m {
			if !now.Before(v.claims.Expires) {
				delete(s.m, k)
				evicted++
			} else if victim == "" || v.claims.Expires.Before(victimExp) {
				victim, victimExp = k, v.claims.Expires
			}
			if seen++; seen == evictSample {
				break
			}
		}
		if evicted == 0 && victim != "" {
			delete(s.m, victim)
		}
	}
	// The entry keeps its own copy of the token (not the whole request
	// header a Cookie line came in), and the key is a part of that copy.
	own := strings.Clone(tok)
	s.m[cacheKey(own)] = &cacheEntry{tok: own, claims: ac}
}

// len reports the number of cached tokens (for tests).
func (c *cache) len() int {
	if c == nil {
		return 0
	}
	n := 0
	for i := range c.shards {
		c.shards[i].mu.RLock()
		n += len(c.shards[i].m)
		c.shards[i].mu.RUnlock()
	}
	return n
}
