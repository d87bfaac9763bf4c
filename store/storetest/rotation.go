package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

// rotationChecks are the checks of SessionRows.RotateSession, the guarded
// write of a refresh, in the order RunRotation runs them.
var rotationChecks = []check{
	{"Rotate", testRotate},
	{"RotateBrowserSessionExpiry", testRotateBrowserSessionExpiry},
	{"RotateStale", testRotateStale},
	{"RotateMissingOrExpired", testRotateMissing},
	{"RotateRace", one(testRotateRace)},
	{"UpdateRacingRotate", testUpdateRacingRotate},
}

// RunRotation runs the checks of SessionRows.RotateSession, the guarded
// write of a refresh against the stores open returns (see Run).
func RunRotation(t *testing.T, open func(t *testing.T) store.Store) {
	runChecks(t, open, rotationChecks)
}

// rotation returns a Rotation to a fresh hash at base+at, sliding the
// expiry to an hour after it.
func rotation(t testing.TB, at time.Duration) store.Rotation {
	return store.Rotation{NewRefreshHash: randBytes(t, 32), RotatedAt: base.Add(at), ExpiresAt: base.Add(at + time.Hour)}
}

// testRotate: each RotateSession from the current hash succeeds, returns the
// row as stored after the write (without Data) and moves the generation on;
// Data and the other columns are kept.
func testRotate(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := newSession(t, "rot", "user-1")
	create(t, s, in)
	want := clone(in)
	for gen := int64(0); gen < 3; gen++ {
		r := store.Rotation{
			NewRefreshHash: randBytes(t, 32),
			RotatedAt:      base.Add(time.Duration(gen)*time.Minute + 7*time.Microsecond),
			ExpiresAt:      base.Add(48*time.Hour + time.Duration(gen)*time.Minute),
			UserAgent:      fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS 17_%d) Safari/604.1", gen),
			IP:             fmt.Sprintf("198.51.100.%d", gen+1),
		}
		current := slices.Clone(want.RefreshHash)
		got, err := s.RotateSession(ctx, "rot", current, r)
		if err != nil {
			t.Fatalf("RotateSession(gen %d): %v", gen, err)
		}
		want.PrevRefreshHash = want.RefreshHash
		want.RefreshHash = r.NewRefreshHash
		want.Generation = gen + 1
		want.RotatedAt = r.RotatedAt
		want.ExpiresAt = r.ExpiresAt
		want.RefreshedUserAgent = r.UserAgent
		want.RefreshedIP = r.IP
		returned := clone(want)
		returned.Data = nil // RotateSession does not read Data
		checkSession(t, got, returned)
		checkSession(t, get(t, s, "rot"), want)
		// The returned row is the caller's: changing it changes nothing.
		got.RefreshHash[0] ^= 0xff
		got.PrevRefreshHash[0] ^= 0xff
		checkSession(t, get(t, s, "rot"), want)
	}
}

// testRotateBrowserSessionExpiry: Rotation.BrowserSessionExpiresAt is the
// new expiry of a BrowserSessionOnly row, and only of one; zero leaves
// ExpiresAt for both kinds. The returned row says what was stored, and the
// guard is unchanged (a row whose shorter expiry has passed is not rotated).
func testRotateBrowserSessionExpiry(t *testing.T, s store.Store) {
	ctx := context.Background()
	only := newSession(t, "only", "user-1") // BrowserSessionOnly
	kept := newSession(t, "kept", "user-1")
	kept.BrowserSessionOnly = false
	create(t, s, only)
	create(t, s, kept)
	long, short := base.Add(100*24*time.Hour), base.Add(12*time.Hour+3*time.Microsecond)
	for _, in := range []*store.Session{only, kept} {
		r := store.Rotation{NewRefreshHash: randBytes(t, 32), RotatedAt: base, ExpiresAt: long, BrowserSessionExpiresAt: short}
		got, err := s.RotateSession(ctx, in.Handle, in.RefreshHash, r)
		if err != nil {
			t.Fatalf("RotateSession(%s): %v", in.Handle, err)
		}
		want := long
		if in.BrowserSessionOnly {
			want = short
		}
		if !got.ExpiresAt.Equal(want) || got.ExpiresAt.Location() != time.UTC {
			t.Errorf("%s: RotateSession returned ExpiresAt %v, want %v in UTC", in.Handle, got.ExpiresAt, want)
		}
		if stored := get(t, s, in.Handle); !stored.ExpiresAt.Equal(want) {
			t.Errorf("%s: stored ExpiresAt %v, want %v", in.Handle, stored.ExpiresAt, want)
		}
		in.PrevRefreshHash, in.RefreshHash = in.RefreshHash, r.NewRefreshHash
	}
	// Zero: ExpiresAt for a BrowserSessionOnly row too.
	r := store.Rotation{NewRefreshHash: randBytes(t, 32), RotatedAt: base.Add(time.Hour), ExpiresAt: long.Add(time.Hour)}
	got, err := s.RotateSession(ctx, "only", only.RefreshHash, r)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ExpiresAt.Equal(r.ExpiresAt) || !get(t, s, "only").ExpiresAt.Equal(r.ExpiresAt) {
		t.Errorf("without BrowserSessionExpiresAt: ExpiresAt %v, want %v", got.ExpiresAt, r.ExpiresAt)
	}
	only.RefreshHash = r.NewRefreshHash
	// Slid back to the short expiry, the row is past it at a later
	// rotation: a conflict, nothing written.
	r = store.Rotation{NewRefreshHash: randBytes(t, 32), RotatedAt: base.Add(2 * time.Hour), ExpiresAt: long, BrowserSessionExpiresAt: base.Add(3 * time.Hour)}
	if _, err := s.RotateSession(ctx, "only", only.RefreshHash, r); err != nil {
		t.Fatal(err)
	}
	only.RefreshHash = r.NewRefreshHash
	late := store.Rotation{NewRefreshHash: randBytes(t, 32), RotatedAt: base.Add(3 * time.Hour), ExpiresAt: long, BrowserSessionExpiresAt: base.Add(4 * time.Hour)}
	if _, err := s.RotateSession(ctx, "only", only.RefreshHash, late); !errors.Is(err, store.ErrConflict) {
		t.Errorf("rotating past the short expiry: %v, want ErrConflict", err)
	}
}

// testRotateStale: a hash that is not the current one (the previous one,
// an unrelated one, a prefix of the current one) gives ErrConflict and
// changes nothing.
func testRotateStale(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := newSession(t, "stale", "user-1")
	create(t, s, in)
	first := rotation(t, 0)
	if _, err := s.RotateSession(ctx, "stale", in.RefreshHash, first); err != nil {
		t.Fatal(err)
	}
	after := get(t, s, "stale")
	for name, current := range map[string][]byte{
		"previous hash": in.RefreshHash,
		"random hash":   randBytes(t, 32),
		"prefix":        first.NewRefreshHash[:16],
		"longer":        append(slices.Clone(first.NewRefreshHash), 0),
	} {
		if got, err := s.RotateSession(ctx, "stale", current, rotation(t, time.Minute)); !errors.Is(err, store.ErrConflict) || got != nil {
			t.Errorf("RotateSession(%s) = %v, %v; want nil, ErrConflict", name, got, err)
		}
	}
	checkSession(t, get(t, s, "stale"), after)
}

// testRotateMissing: a missing row and an expired one (ExpiresAt not after
// the rotation time) give ErrConflict and change nothing; an empty hash is
// refused with a plain error.
func testRotateMissing(t *testing.T, s store.Store) {
	ctx := context.Background()
	if got, err := s.RotateSession(ctx, "missing", randBytes(t, 32), rotation(t, 0)); !errors.Is(err, store.ErrConflict) || got != nil {
		t.Fatalf("RotateSession(missing) = %v, %v; want nil, ErrConflict", got, err)
	}
	in := newSession(t, "expired", "user-1")
	create(t, s, in)
	for _, at := range []time.Time{in.ExpiresAt, in.ExpiresAt.Add(time.Second)} {
		late := store.Rotation{NewRefreshHash: randBytes(t, 32), RotatedAt: at, ExpiresAt: at.Add(time.Hour)}
		if got, err := s.RotateSession(ctx, "expired", in.RefreshHash, late); !errors.Is(err, store.ErrConflict) || got != nil {
			t.Errorf("RotateSession(expired at %v) = %v, %v; want nil, ErrConflict", at.Sub(in.ExpiresAt), got, err)
		}
	}
	checkSession(t, get(t, s, "expired"), in)
	empty := rotation(t, 0)
	empty.NewRefreshHash = nil
	if _, err := s.RotateSession(ctx, "expired", in.RefreshHash, empty); !isDBFailure(err) {
		t.Errorf("RotateSession(empty new hash) err = %v, want a plain error", err)
	}
	if _, err := s.RotateSession(ctx, "expired", nil, rotation(t, 0)); !isDBFailure(err) {
		t.Errorf("RotateSession(empty current hash) err = %v, want a plain error", err)
	}
	checkSession(t, get(t, s, "expired"), in)
}

// soleWinner checks one round of a rotation race: exactly one racer got nil,
// every other one ErrConflict. It returns the winner.
func soleWinner(t *testing.T, round int, errs []error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("round %d: racers %d and %d both won", round, winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Fatalf("round %d: racer %d: err = %v, want nil or ErrConflict", round, i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("round %d: nobody won", round)
	}
	return winner
}

// testRotateRace: Racers goroutines (alternating between a and b) rotate
// from the same current hash at once; exactly one wins each round, the
// others get ErrConflict, the winner's returned row is what both stores
// read, and the winner's hash is the next round's current one.
func testRotateRace(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	in := newSession(t, "race", "user-1")
	create(t, a, in)
	current := in.RefreshHash
	for round := range Rounds {
		hashes := make([][]byte, Racers)
		for i := range hashes {
			hashes[i] = randBytes(t, 32)
		}
		rows := make([]*store.Session, Racers)
		errs := race(Racers, func(i int) error {
			s := a
			if i%2 == 1 {
				s = b
			}
			var err error
			rows[i], err = s.RotateSession(ctx, "race", current, store.Rotation{
				NewRefreshHash: hashes[i],
				RotatedAt:      base.Add(time.Duration(round) * time.Second),
				ExpiresAt:      base.Add(time.Hour + time.Duration(round)*time.Second),
			})
			return err
		})
		winner := soleWinner(t, round, errs)
		for _, s := range []store.Store{a, b} {
			got := get(t, s, "race")
			if got.Generation != int64(round+1) {
				t.Fatalf("round %d: Generation = %d, want %d", round, got.Generation, round+1)
			}
			if !bytes.Equal(got.RefreshHash, hashes[winner]) {
				t.Fatalf("round %d: RefreshHash is not the winner's", round)
			}
			if !bytes.Equal(got.PrevRefreshHash, current) {
				t.Fatalf("round %d: PrevRefreshHash is not the previous round's winner's", round)
			}
			returned := clone(got)
			returned.Data = nil
			checkSession(t, rows[winner], returned)
		}
		current = hashes[winner]
	}
}

// testUpdateRacingRotate: updates and rotations on one row interleave; an
// update must not undo a rotation and vice versa.
func testUpdateRacingRotate(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := newSession(t, "mix", "user-1")
	in.Data = []byte(`{"n":0}`)
	create(t, s, in)
	const rotations = 20
	hashes := make([][]byte, rotations)
	for i := range hashes {
		hashes[i] = randBytes(t, 32)
	}
	var rotateErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		current := in.RefreshHash
		for gen := range int64(rotations) {
			r := store.Rotation{NewRefreshHash: hashes[gen], RotatedAt: base, ExpiresAt: base.Add(time.Hour)}
			if _, err := s.RotateSession(ctx, "mix", current, r); err != nil {
				rotateErr = fmt.Errorf("rotation from %d: %w", gen, err)
				return
			}
			current = hashes[gen]
		}
	}()
	errs := race(Racers, func(int) error {
		return s.UpdateSession(ctx, "mix", base, func(cur *store.Session) error {
			var c counter
			if err := json.Unmarshal(cur.Data, &c); err != nil {
				return err
			}
			c.N++
			var err error
			cur.Data, err = json.Marshal(c)
			return err
		})
	})
	wg.Wait()
	if rotateErr != nil {
		t.Fatal(rotateErr)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("updater %d: %v", i, err)
		}
	}
	got := get(t, s, "mix")
	var c counter
	if err := json.Unmarshal(got.Data, &c); err != nil {
		t.Fatal(err)
	}
	if c.N != Racers {
		t.Errorf("n = %d, want %d", c.N, Racers)
	}
	if got.Generation != rotations {
		t.Errorf("Generation = %d, want %d", got.Generation, rotations)
	}
	if !bytes.Equal(got.RefreshHash, hashes[rotations-1]) {
		t.Errorf("RefreshHash is not the last rotation's")
	}
}
