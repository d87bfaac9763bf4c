package accesstoken

import (
	"hash/maphash"
	"math/bits"
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
// user's tabs, a busy client) do not queue on a lock's cache line. Inserts
// (one per signature check, which costs a thousand times more) take one
// lock and fill an empty slot, else one whose token has expired, else the
// one expiring soonest.
//
// The table starts small and doubles when a bucket fills, up to the
// configured size (rounded up to a whole bucket): its slots are pointers the garbage collector reads at
// every cycle, and a process that sees a few tokens should not pay for ten
// thousand slots. Lookups load the table once; a lookup racing a growth
// reads the old table, whose entries stay valid.
//
// The hash covers the token's last 16 bytes (the end of its signature):
// hashing those instead of the whole token (300 bytes and more) is most of
// what makes a hit cheap. A hit still compares the whole token, so a
// changed byte anywhere is a miss. The hash is keyed per cache, so which
// tokens share a bucket cannot be known from outside.
type cache struct {
	seed    maphash.Seed // for tokens shorter than 16 bytes
	key     [2]uint64    // the secret mixed into a token's last 16 bytes
	buckets int          // the most buckets the table grows to: size/ways, rounded up
	mu      sync.Mutex   // serialises inserts and growth
	t       atomic.Pointer[cacheTable]
}

// cacheTable is one generation of the table. Its slots change (atomically)
// under cache.mu; the table itself is replaced, never resized.
type cacheTable struct {
	n     uint64 // buckets
	slots []atomic.Pointer[cacheEntry]
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
	// firstBuckets is the table's size before it first grows.
	firstBuckets = 8
	// tailLen is how many of a token's last bytes are hashed.
	tailLen = 16
)

// newCache holds up to size tokens (rounded up to a multiple of ways);
// nil, the disabled cache, when size is not positive.
func newCache(size int) *cache {
	if size <= 0 {
		return nil
	}
	buckets := (size + ways - 1) / ways
	c := &cache{seed: maphash.MakeSeed(), buckets: buckets}
	c.key[0], c.key[1] = maphash.Comparable(c.seed, 1), maphash.Comparable(c.seed, 2)
	c.t.Store(newCacheTable(min(firstBuckets, buckets)))
	return c
}

func newCacheTable(buckets int) *cacheTable {
	return &cacheTable{n: uint64(buckets), slots: make([]atomic.Pointer[cacheEntry], buckets*ways)}
}

func (c *cache) hash(tok string) uint64 {
	if len(tok) < tailLen {
		return maphash.String(c.seed, tok)
	}
	// The last 16 bytes, mixed with the cache's secret: the end of a
	// signature is already random (ES256) or a hash of the whole token
	// (RS256, EdDSA), so a multiply-xorshift spreads it over the buckets at
	// a third of maphash's cost, and only tokens this process verified are
	// ever stored, so no one can fill a bucket with tails of their choice.
	t := tok[len(tok)-tailLen:]
	a := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
		uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
	b := uint64(t[8]) | uint64(t[9])<<8 | uint64(t[10])<<16 | uint64(t[11])<<24 |
		uint64(t[12])<<32 | uint64(t[13])<<40 | uint64(t[14])<<48 | uint64(t[15])<<56
	h := (a^c.key[0])*0x9e3779b97f4a7c15 ^ (b^c.key[1])*0xc2b2ae3d27d4eb4f
	return h ^ h>>31
}

// bucket returns the slots of the bucket for hash h.
func (t *cacheTable) bucket(h uint64) []atomic.Pointer[cacheEntry] {
	// h scaled to [0, n): any bucket count, no division.
	b, _ := bits.Mul64(h, t.n)
	return t.slots[b*ways : (b+1)*ways : (b+1)*ways]
}

// get returns the cached claims if the token is known and not expired.
func (c *cache) get(tok string, now time.Time) *Claims {
	if c == nil {
		return nil
	}
	h := c.hash(tok)
	slots := c.t.Load().bucket(h)
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
	e := &cacheEntry{hash: c.hash(tok), tok: strings.Clone(tok), claims: ac}
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t.Load()
	slot, rank := t.pick(e, now)
	if rank == rankLive && int(t.n) < c.buckets {
		// The bucket is full of live tokens and the table may grow: double
		// it (up to the bound) rather than evict.
		t = t.grow(min(2*int(t.n), c.buckets), now)
		c.t.Store(t)
		slot, _ = t.pick(e, now)
	}
	slot.Store(e)
}

// Ranks of a slot for an insert, best last.
const (
	rankLive    = iota + 1 // a live entry: the one expiring soonest is taken
	rankExpired            // an entry past its expiry
	rankEmpty              // an empty slot
	rankOwn                // the token's own entry (another request verified it meanwhile)
)

// pick returns the slot of e's bucket an insert of e takes, and its rank.
func (t *cacheTable) pick(e *cacheEntry, now time.Time) (*atomic.Pointer[cacheEntry], int) {
	slots := t.bucket(e.hash)
	victim, rank := 0, 0
	var victimExp time.Time
	for i := range slots {
		old := slots[i].Load()
		var r int
		switch {
		case old != nil && old.hash == e.hash && old.tok == e.tok:
			return &slots[i], rankOwn
		case old == nil:
			r = rankEmpty
		case !now.Before(old.claims.Expires):
			r = rankExpired
		default:
			r = rankLive
		}
		if r > rank || r == rankLive && rank == rankLive && old.claims.Expires.Before(victimExp) {
			victim, rank = i, r
			if r == rankLive {
				victimExp = old.claims.Expires
			}
		}
	}
	return &slots[victim], rank
}

// grow returns a table of the given buckets holding t's unexpired entries
// (an entry whose new bucket is already full is dropped: a cache may
// forget).
func (t *cacheTable) grow(buckets int, now time.Time) *cacheTable {
	bigger := newCacheTable(buckets)
	for i := range t.slots {
		if e := t.slots[i].Load(); e != nil && now.Before(e.claims.Expires) {
			if slot, rank := bigger.pick(e, now); rank >= rankEmpty {
				slot.Store(e)
			}
		}
	}
	return bigger
}

// len reports the number of cached tokens (for tests).
func (c *cache) len() int {
	if c == nil {
		return 0
	}
	t := c.t.Load()
	n := 0
	for i := range t.slots {
		if t.slots[i].Load() != nil {
			n++
		}
	}
	return n
}
