package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

// revokeSizes are the sizes of the revocation set BenchmarkRevokeOne
// compares: a revocation must cost the same at both.
var revokeSizes = []int{1000, 100000}

// revokeStore is a SQLite store whose revocation log holds `existing`
// revocations, all live (they expire in two hours), stamped within the two
// minutes before seededAt, so an engine's first poll reads every one
// into its in-memory set. It is built once per size per process: seeding
// 100 000 rows takes a few seconds.
type revokeStore struct {
	dir      string
	st       *gormstore.GORMStore
	existing int
	seededAt time.Time
	last     string // the handle revoked last (the poll reads it last)
	issued   string // an access token Create issued, the minter's template
	minter   *tokenMinter
}

var (
	revokeMu     sync.Mutex
	revokeStores = map[int]*revokeStore{}
)

func getRevokeStore(b testing.TB, n int) *revokeStore {
	b.Helper()
	revokeMu.Lock()
	defer revokeMu.Unlock()
	if rs := revokeStores[n]; rs != nil {
		return rs
	}
	// Its own directory, not the sub-benchmark's TempDir: the store
	// outlives the sub-benchmark (every b.N round and -count run reuses
	// it). TestMain removes it (closeRevokeStores).
	dir, err := os.MkdirTemp("", "ginsession-bench-revoke-")
	if err != nil {
		b.Fatal(err)
	}
	st, err := sqlitestore.Open(filepath.Join(dir, "sessions.db"), gormstore.Options{CleanupInterval: -1})
	if err != nil {
		_ = os.RemoveAll(dir)
		b.Fatal(err)
	}
	rs := &revokeStore{dir: dir, st: st, existing: n}
	rng := rand.New(rand.NewPCG(uint64(n), 3))
	rs.seededAt = time.Now()
	revs := make([]store.Revocation, n)
	for i := range revs {
		// Oldest first, one millisecond apart: RevocationsSince answers in
		// RevokedAt order, so revs[n-1] is the last one the poll adds.
		revs[i] = store.Revocation{
			Handle:    randomUUID(rng),
			RevokedAt: rs.seededAt.Add(-time.Duration(n-i) * time.Millisecond),
			ExpiresAt: rs.seededAt.Add(2 * time.Hour),
		}
	}
	if err := rs.st.AddRevocations(context.Background(), revs); err != nil {
		_ = st.Close()
		_ = os.RemoveAll(dir)
		b.Fatal(err)
	}
	rs.last = revs[n-1].Handle
	revokeStores[n] = rs
	return rs
}

func closeRevokeStores() {
	revokeMu.Lock()
	defer revokeMu.Unlock()
	for n, rs := range revokeStores {
		_ = rs.st.Close()
		_ = os.RemoveAll(rs.dir)
		delete(revokeStores, n)
	}
}

// revokeEngine starts a new engine on rs and waits until its set of revoked
// handles holds exactly the seeded revocations: revocations earlier rounds
// added are deleted from the log first, so every b.N round starts from the
// same `existing` entries, whatever the rounds before it measured.
func revokeEngine(b testing.TB, rs *revokeStore) *gsEnv {
	b.Helper()
	err := rs.st.DB().Exec("DELETE FROM "+gormstore.DefaultTablePrefix+"revocations WHERE revoked_at > ?", rs.seededAt.UTC()).Error
	if err != nil {
		b.Fatal(err)
	}
	env := newGSOnStore(b, rs.st, ginsession.Config{})
	if rs.minter == nil {
		rs.issued, _ = env.signIn(b, benchUser)
		rs.minter = newTokenMinter(b, rs.st, rs.issued)
	}
	// The first verify finds the set never polled and starts a poll; the
	// seeded revocation polled last is refused once the poll published.
	tok, err := rs.minter.mint("seed", rs.last)
	if err != nil {
		b.Fatal(err)
	}
	probe := newGET("/api/me", http.Header{"Authorization": {"Bearer " + tok}})
	rec := newRecorder()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		serveOnce(env.engine, rec, probe)
		if rec.code == http.StatusUnauthorized {
			break
		}
		if rec.code != http.StatusOK || time.Now().After(deadline) {
			b.Fatalf("the %d seeded revocations are not loaded: the probe answered %d", rs.existing, rec.code)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return env
}

// BenchmarkRevokeOne is one more revocation when the instance already holds
// `existing` revoked sessions (anonymous visitors can fill the set: create a
// session, sign out, repeat): RevokeSession of a live session, which reads
// and deletes its row, adds the handle to the in-memory set (what this
// benchmark is about) and writes it to the revocation log. The store work
// is the same at both sizes; the set's share must be too.
func BenchmarkRevokeOne(b *testing.B) {
	for _, n := range revokeSizes {
		b.Run(fmt.Sprintf("existing=%d", n), func(b *testing.B) {
			rs := getRevokeStore(b, n)
			env := revokeEngine(b, rs)
			// b.N fresh sessions to revoke, inserted straight into the
			// table (seedSessions); they are all deleted by the loop, so a
			// later round may seed the same handles again.
			handles, err := seedSessions(rs.st, b.N, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			runtime.GC() // the poll's garbage is not this round's
			b.ReportAllocs()
			resetTimers(b)
			for i := 0; i < b.N; i++ {
				ok, err := env.sessions.RevokeSession(ctx, handles[i])
				if err != nil || !ok {
					b.Fatalf("RevokeSession: %v, %v", ok, err)
				}
			}
		})
	}
}

// TestRevokeOneSetup keeps BenchmarkRevokeOne honest: its engine refuses a
// seeded revocation because the set holds it (a token of a session nobody
// revoked still passes), and a RevokeSession there revokes.
func TestRevokeOneSetup(t *testing.T) {
	rs := getRevokeStore(t, revokeSizes[0])
	env := revokeEngine(t, rs)
	rec := newRecorder()
	for _, c := range []struct {
		handle string
		want   int
	}{{rs.last, http.StatusUnauthorized}, {randomUUID(rand.New(rand.NewPCG(7, 7))), http.StatusOK}} {
		tok, err := rs.minter.mint("seed", c.handle)
		if err != nil {
			t.Fatal(err)
		}
		serveOnce(env.engine, rec, newGET("/api/me", http.Header{"Authorization": {"Bearer " + tok}}))
		if rec.code != c.want {
			t.Errorf("a token of %s answered %d, want %d", c.handle, rec.code, c.want)
		}
	}
	access, _ := env.signIn(t, "revoked-user")
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(access, claims); err != nil {
		t.Fatal(err)
	}
	handle, _ := claims["sessionHandle"].(string)
	if ok, err := env.sessions.RevokeSession(context.Background(), handle); !ok || err != nil {
		t.Fatalf("RevokeSession: %v, %v", ok, err)
	}
	serveOnce(env.engine, rec, newGET("/api/me", http.Header{"Authorization": {"Bearer " + access}}))
	if rec.code != http.StatusUnauthorized {
		t.Errorf("the revoked session's token answered %d, want 401", rec.code)
	}
}
