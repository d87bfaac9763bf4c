package accesstoken

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// cache remembers access tokens whose signature has been verified, so a
// token seen before costs a lookup instead of a signature check. It is
// bounded, and re-checks exp on every hit. Entries are immutable: callers
// must not modify a cached Claims.
//
// It is a set-associative table: a token's hash picks a bucket of `ways`
// slots, each an atomic pointer. A hit reads at most `ways` pointers and
// takes no lock, so the requests of every core carrying the same token (a
// user's tabs, a busy client) do not queue on a lock's cache line, and a
// seen token costs a few nanoseconds. Inserts take a lock for their bucket
// and fill an empty slot, else one whose token has expired, else the one
// expiring soonest.
//
// The hash covers the token's last keyLen bytes (the end of its signature,
// random for ES256 and a function of the whole token for RS256 and EdDSA):
// hashing those instead of the whole token (300 bytes and more) halves the
// cost of a hit. A hit still compares the whole token, so a changed byte
// anywhere is a miss. The hash is seeded per cache, so which tokens share a
// bucket cannot be chosen from outside.
type cache struct {
	seed  maphash.Seed
	mask  uint64 // buckets - 1; the bucket count is a power of two
	slots []atomic.Pointer[cacheEntry]
	locks [cacheLocks]sync.Mutex // bucket b is guarded by locks[b%cacheLocks]
}

// cacheEntry is one verified token and its claims.
type cacheEntry struct {
	hash   uint64 // cache.hash(tok): most misses stop here, before comparing tokens
	tok    string
	claims *Claims
}

const (
	// ways is the number of slots in a bucket: the most a lookup reads.
	ways = 8
	// cacheLocks bounds the locks of a cache; inserts into buckets that
	// share one wait for each other, lookups never wait.
	cacheLocks = 64
	// keyLen is how many of a token's last bytes are hashed: 32 base64url
	// characters are 192 bits of signature.
	keyLen = 32
)

// newCache holds at least size tokens (the bucket count is rounded up to a
// power of two); nil, the disabled cache, when size is not positive.
func newCache(size int) *cache {
	if size <= 0 {
		return nil
	}
	buckets := 1
	for buckets*ways < size {
		buckets <<= 1
	}
	return &cache{seed: maphash.MakeSeed(), mask: uint64(buckets - 1), slots: make([]atomic.Pointer[cacheEntry], buckets*ways)}
}

func (c *cache) hash(tok string) uint64 {
	if len(tok) > keyLen {
		tok = tok[len(tok)-keyLen:]
	}
	return maphash.String(c.seed, tok)
}

// bucket returns the slots of the bucket for hash h and its index.
func (c *cache) bucket(h uint64) ([]atomic.Pointer[cacheEntry], uint64) {
	b := h & c.mask
	return c.slots[b*ways : (b+1)*ways : (b+1)*ways], b
}

// get returns the cached claims if the token is known and not expired.
func (c *cache) get(tok string, now time.Time) *Claims {
	if c == nil {
		return nil
	}
	h := c.hash(tok)
	slots, _ := c.bucket(h)
	for i := range slots {
		if e := slots[i].Load(); e != nil && e.hash == h && e.tok == tok {
			if !now.Before(e.claims.Expires) {
				return nil
			}
			return e.claims
		}
	}
	return nil
}

// put stores verified claims. The entry keeps its own copy of the token,
// so the cache does not keep the whole request header (a Cookie line)
// alive.
func (c *cache) put(tok string, ac *Claims, now time.Time) {
	if c == nil {
		return
	}
	h := c.hash(tok)
	slots, b := c.bucket(h)
	mu := &c.locks[b%cacheLocks]
	mu.Lock()
	defer mu.Unlock()
	victim, rank := 0, 0
	var victimExp time.Time
	for i := range slots {
		e := slots[i].Load()
		// The best slot to take, by rank: the token's own (another request
		// verified it meanwhile) 4, an empty one 3, an expired one 2, else
		// the one expiring soonest 1.
		var r int
		switch {
		case e != nil && e.hash == h && e.tok == tok:
			r = 4
		case e == nil:
			r = 3
		case !now.Before(e.claims.Expires):
			r = 2
		default:
			r = 1
		}
		if r > rank || r == 1 && rank == 1 && e.claims.Expires.Before(victimExp) {
			victim, rank = i, r
			if r == 1 {
				victimExp = e.claims.Expires
			}
		}
		if r == 4 {
			break
		}
	}
	slots[victim].Store(&cacheEntry{hash: h, tok: strings.Clone(tok), claims: ac})
}

// len reports the number of cached tokens (for tests).
func (c *cache) len() int {
	if c == nil {
		return 0
	}
	n := 0
	for i := range c.slots {
		if c.slots[i].Load() != nil {
			n++
		}
	}
	return n
}
