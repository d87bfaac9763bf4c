package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

// keyChecks are the checks of Keys (the shared signing keys), in the order
// RunKeys runs them.
var keyChecks = []check{
	{"SigningKeys", testSigningKeys},
	{"DuplicateSigningKey", testDuplicateKey},
	{"SigningKeyFollows", testKeyFollows},
	{"SigningKeyTurnRace", one(testKeyTurnRace)},
}

// RunKeys runs the checks of Keys (the shared signing keys) against the
// stores open returns (see Run).
func RunKeys(t *testing.T, open func(t *testing.T) store.Store) { runChecks(t, open, keyChecks) }

func newKey(t testing.TB, id string, signFrom, expires time.Time) *store.SigningKey {
	return &store.SigningKey{
		ID:         id,
		Algorithm:  "ES256",
		PrivateKey: append([]byte{0}, randBytes(t, 120)...),
		PublicKey:  randBytes(t, 91),
		CreatedAt:  signFrom.Add(-time.Hour + time.Microsecond),
		SignFrom:   signFrom,
		ExpiresAt:  expires,
		// A turn of its own, so that keys made here never guard each other.
		Follows: fmt.Sprintf("after %s %x", id, randBytes(t, 8)),
	}
}

func checkKey(t testing.TB, got, want *store.SigningKey) {
	t.Helper()
	if got.ID != want.ID || got.Algorithm != want.Algorithm {
		t.Errorf("key = %q/%q, want %q/%q", got.ID, got.Algorithm, want.ID, want.Algorithm)
	}
	checkBytes(t, "PrivateKey", got.PrivateKey, want.PrivateKey)
	checkBytes(t, "PublicKey", got.PublicKey, want.PublicKey)
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "SignFrom", got.SignFrom, want.SignFrom)
	checkTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	if got.Follows != want.Follows {
		t.Errorf("Follows = %q, want %q", got.Follows, want.Follows)
	}
}

func testSigningKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	keys := map[string]*store.SigningKey{
		"k2":      newKey(t, "k2", base.Add(time.Hour), base.Add(30*time.Hour)),
		"k1":      newKey(t, "k1", base.Add(-time.Hour), base.Add(20*time.Hour)),
		"k3":      newKey(t, "k3", base.Add(time.Hour+time.Microsecond), base.Add(40*time.Hour)),
		"expired": newKey(t, "expired", base.Add(-5*time.Hour), base),
	}
	for _, id := range []string{"k2", "expired", "k3", "k1"} {
		if err := s.AddSigningKey(ctx, keys[id]); err != nil {
			t.Fatalf("AddSigningKey(%s): %v", id, err)
		}
	}
	list := func(now time.Time) []string {
		t.Helper()
		got, err := s.SigningKeys(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i := range got {
			checkKey(t, &got[i], keys[got[i].ID])
			ids = append(ids, got[i].ID)
		}
		return ids
	}
	for _, c := range []struct {
		now  time.Time
		want []string
	}{
		{base.Add(-time.Microsecond), []string{"expired", "k1", "k2", "k3"}},
		{base, []string{"k1", "k2", "k3"}},
		{base.Add(25 * time.Hour), []string{"k2", "k3"}},
		{base.Add(40 * time.Hour), nil},
	} {
		if got := list(c.now); !slices.Equal(got, c.want) {
			t.Errorf("SigningKeys(base%+v) = %q, want %q", c.now.Sub(base), got, c.want)
		}
	}
}

func testDuplicateKey(t *testing.T, s store.Store) {
	ctx := context.Background()
	k := newKey(t, "k", base, base.Add(time.Hour))
	if err := s.AddSigningKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	err := s.AddSigningKey(ctx, newKey(t, "k", base.Add(time.Minute), base.Add(2*time.Hour)))
	if !isDBFailure(err) {
		t.Fatalf("duplicate AddSigningKey err = %v, want a plain error", err)
	}
	got, err := s.SigningKeys(ctx, base)
	if err != nil || len(got) != 1 {
		t.Fatalf("SigningKeys = %d keys, %v; want 1", len(got), err)
	}
	checkKey(t, &got[0], k)
}

// keyIDs returns the IDs of the keys unexpired at now.
func keyIDs(t *testing.T, s store.Store, now time.Time) []string {
	t.Helper()
	keys, err := s.SigningKeys(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	return ids
}

// testKeyFollows: Follows round-trips; keys following different keys are all
// stored; a second key with the same Follows gets ErrConflict while the first
// is unexpired (at the newcomer's CreatedAt) and is stored once it has
// expired, even though the expired row was never deleted; "" is a Follows
// like any other.
func testKeyFollows(t *testing.T, s store.Store) {
	ctx := context.Background()
	add := func(id, follows string, createdAt time.Time) error {
		k := newKey(t, id, createdAt, createdAt.Add(time.Hour))
		k.CreatedAt, k.Follows = createdAt, follows
		return s.AddSigningKey(ctx, k)
	}
	first := newKey(t, "first", base, base.Add(time.Hour))
	first.CreatedAt, first.Follows = base, ""
	if err := s.AddSigningKey(ctx, first); err != nil {
		t.Fatalf("first key: %v", err)
	}
	got, err := s.SigningKeys(ctx, base)
	if err != nil || len(got) != 1 {
		t.Fatalf("SigningKeys = %d keys, %v; want 1", len(got), err)
	}
	checkKey(t, &got[0], first)

	if err := add("second", "first", base.Add(time.Minute)); err != nil {
		t.Fatalf("a key following first: %v", err)
	}
	if err := add("other", "someone else", base.Add(time.Minute)); err != nil {
		t.Fatalf("a key following another key: %v", err)
	}
	for _, c := range []struct{ id, follows string }{{"second-bis", "first"}, {"first-bis", ""}} {
		if err := add(c.id, c.follows, base.Add(59*time.Minute)); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("a second key following %q while the first is unexpired: err = %v, want ErrConflict", c.follows, err)
		}
	}
	if ids := keyIDs(t, s, base.Add(time.Minute)); !slices.Equal(ids, []string{"first", "other", "second"}) {
		t.Fatalf("keys = %q, want first, other, second", ids)
	}
	// first has expired (but is still stored): its turn may start again.
	if err := add("again", "", base.Add(time.Hour)); err != nil {
		t.Fatalf("Follows \"\" after the key holding it expired: %v", err)
	}
	got, err = s.SigningKeys(ctx, base.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range got {
		if k.ID == "again" && k.Follows != "" {
			t.Fatalf("Follows = %q, want empty", k.Follows)
		}
	}
	if ids := keyIDs(t, s, base.Add(time.Hour)); !slices.Equal(ids, []string{"other", "second", "again"}) {
		t.Fatalf("keys = %q, want other, second, again", ids)
	}
}

// testKeyTurnRace: Racers goroutines (alternating between a and b) add keys
// following the same key at once, round after round (the first round with
// Follows ""); exactly one wins each round, the others get ErrConflict, both
// stores see only the winners, and the winner is followed next round.
func testKeyTurnRace(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	const racers, rounds = 8, 5
	follows := ""
	var winners []string
	for round := range rounds {
		at := base.Add(time.Duration(round) * time.Minute)
		keys := make([]*store.SigningKey, racers)
		for i := range keys {
			keys[i] = newKey(t, fmt.Sprintf("r%d-%d", round, i), at, at.Add(time.Hour))
			keys[i].CreatedAt, keys[i].Follows = at, follows
		}
		errs := race(racers, func(i int) error {
			s := a
			if i%2 == 1 {
				s = b
			}
			return s.AddSigningKey(ctx, keys[i])
		})
		w := soleWinner(t, round, errs)
		follows = keys[w].ID
		winners = append(winners, keys[w].ID)
	}
	for name, s := range map[string]store.Store{"a": a, "b": b} {
		if ids := keyIDs(t, s, base); !slices.Equal(ids, winners) {
			t.Fatalf("%s sees keys %q, want the winners %q", name, ids, winners)
		}
	}
}
