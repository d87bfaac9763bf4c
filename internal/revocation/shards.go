package revocation

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// revokedShards is the number of shards of a revokedSet: a lookup waits
// for a revocation being written only when both fall in the same shard.
const revokedShards = 64

// revokedSet is the set of revoked handles, handle -> expiry (UnixNano),
// in shards of maps under read-write locks. It is updated in place: an
// insert into a Go map costs the same at any size (its tables split one at
// a time), where the former copy-on-write map cost a full copy per
// revocation (29 ms at 100 000 entries). A lookup takes one shard's read
// lock and allocates nothing. (sync.Map would box each string key into an
// interface, one allocation per verify.)
//
// Expiries are wall-clock instants compared with the verify's wall clock,
// as access tokens' exp is: a revocation must last as long as the tokens
// it refuses, by the same clock.
type revokedSet struct {
	seed   maphash.Seed
	size   atomic.Int64 // entries held, expired ones not yet pruned included
	shards [revokedShards]revokedShard
}

type revokedShard struct {
	mu      sync.RWMutex
	handles map[string]int64
	// peak is the most entries handles has held since it was made: a Go
	// map keeps its memory when entries are deleted, so once it holds a
	// quarter of that, removeExpired moves the survivors to a new map.
	// That copy is paid for by the deletions since the peak (three times
	// as many as it copies), and memory follows the entries held down
	// after a burst of revocations as well as up.
	peak int
	// Keeps one shard's lock off the cache line of the next: verifies on
	// other cores take other shards' read locks.
	_ [64]byte
}

func (s *revokedSet) init() {
	s.seed = maphash.MakeSeed()
	for i := range s.shards {
		s.shards[i].handles = map[string]int64{}
	}
}

func (s *revokedSet) shard(handle string) *revokedShard {
	return &s.shards[maphash.String(s.seed, handle)%revokedShards]
}

// contains reports whether handle is held and unexpired at at.
func (s *revokedSet) contains(handle string, at int64) bool {
	if s.size.Load() == 0 {
		return false // nothing revoked: no lock at all
	}
	sh := s.shard(handle)
	sh.mu.RLock()
	exp, ok := sh.handles[handle]
	sh.mu.RUnlock()
	return ok && at < exp
}

// put records handle until exp. live reports whether handle was already
// held unexpired at at; later whether exp was recorded (it is later than
// what was held, or handle is new), so the caller queues it for pruning.
func (s *revokedSet) put(handle string, exp, at int64) (live, later bool) {
	sh := s.shard(handle)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	old, ok := sh.handles[handle]
	if ok && old >= exp {
		return at < old, false
	}
	sh.handles[handle] = exp
	if !ok {
		s.size.Add(1)
		sh.peak = max(sh.peak, len(sh.handles))
	}
	return ok && at < old, true
}

// removeExpired deletes handle if its expiry is at or before at (a handle
// revoked again since keeps its later expiry).
func (s *revokedSet) removeExpired(handle string, at int64) {
	sh := s.shard(handle)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if exp, ok := sh.handles[handle]; ok && exp <= at {
		delete(sh.handles, handle)
		s.size.Add(-1)
		if n := len(sh.handles); sh.peak >= minShrink && n < sh.peak/4 {
			// Not maps.Clone: it may copy the tables as they are, sized
			// for the peak.
			handles := make(map[string]int64, n)
			for h, exp := range sh.handles {
				handles[h] = exp
			}
			sh.handles, sh.peak = handles, n
		}
	}
}

// minShrink is the peak below which a shard's map is never replaced (a
// small map's memory is not worth a copy).
const minShrink = 1024

func (s *revokedSet) len() int { return int(s.size.Load()) }
