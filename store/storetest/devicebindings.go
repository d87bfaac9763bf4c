package storetest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

// bindingChecks are the checks of the optional store.DeviceBindings.
var bindingChecks = []check{
	{"ChallengeIsTakenOnce", testChallengeTakenOnce},
	{"ChallengeExpires", testChallengeExpires},
	{"DuplicateChallengeRefused", testDuplicateChallenge},
	{"ChallengeTakeRace", one(testChallengeRace)},
	{"BindingNeedsLiveSession", testBindingNeedsSession},
	{"BindingIsRegisteredOnce", testBindingOnce},
	{"BindingEndsWithSession", testBindingEndsWithSession},
	{"DeleteExpiredRemovesChallenges", testDeleteExpiredChallenges},
}

// RunDeviceBindings checks store.DeviceBindings, and fails when the store
// does not have it. Run calls it for a store that has it.
func RunDeviceBindings(t *testing.T, open func(t *testing.T) store.Store) {
	if store.Bindings(open(t)) == nil {
		t.Fatal("the store has no store.DeviceBindings")
	}
	runChecks(t, open, bindingChecks)
}

// hasBindings reports whether the stores open returns have DeviceBindings.
func hasBindings(t *testing.T, open func(t *testing.T) store.Store) bool {
	t.Helper()
	return store.Bindings(open(t)) != nil
}

func bindings(t *testing.T, s store.Store) store.DeviceBindings {
	t.Helper()
	b := store.Bindings(s)
	if b == nil {
		t.Fatal("the store has no store.DeviceBindings")
	}
	return b
}

func newChallenge(t *testing.T, handle string) store.Challenge {
	t.Helper()
	return store.Challenge{Hash: randBytes(t, 32), Handle: handle, Register: true, ExpiresAt: base.Add(time.Minute)}
}

func testChallengeTakenOnce(t *testing.T, s store.Store) {
	ctx, b := context.Background(), bindings(t, s)
	c := newChallenge(t, "h-challenge")
	if err := b.AddChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := b.TakeChallenge(ctx, randBytes(t, 32), base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TakeChallenge of an unknown hash: %v, want ErrNotFound", err)
	}
	got, err := b.TakeChallenge(ctx, c.Hash, base)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Hash, c.Hash) || got.Handle != c.Handle || !got.Register || !got.ExpiresAt.Equal(c.ExpiresAt) || got.ExpiresAt.Location() != time.UTC {
		t.Fatalf("TakeChallenge = %+v, want %+v in UTC", got, c)
	}
	if _, err := b.TakeChallenge(ctx, c.Hash, base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second TakeChallenge: %v, want ErrNotFound (single use)", err)
	}
	refresh := newChallenge(t, "h-challenge")
	refresh.Register = false
	if err := b.AddChallenge(ctx, refresh); err != nil {
		t.Fatal(err)
	}
	if got, err := b.TakeChallenge(ctx, refresh.Hash, base); err != nil || got.Register {
		t.Fatalf("TakeChallenge of a refresh challenge = %+v, %v: want Register false", got, err)
	}
}

func testChallengeExpires(t *testing.T, s store.Store) {
	ctx, b := context.Background(), bindings(t, s)
	c := newChallenge(t, "h-expiring")
	if err := b.AddChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := b.TakeChallenge(ctx, c.Hash, c.ExpiresAt); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TakeChallenge at its ExpiresAt: %v, want ErrNotFound", err)
	}
}

func testDuplicateChallenge(t *testing.T, s store.Store) {
	ctx, b := context.Background(), bindings(t, s)
	c := newChallenge(t, "h-dup")
	if err := b.AddChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := b.AddChallenge(ctx, c); err == nil {
		t.Fatal("a second AddChallenge of one hash succeeded")
	}
}

// testChallengeRace: of many instances taking one challenge, exactly one
// gets it, so one proof is all a challenge ever answers.
func testChallengeRace(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	for range Rounds {
		c := newChallenge(t, "h-race")
		if err := bindings(t, a).AddChallenge(ctx, c); err != nil {
			t.Fatal(err)
		}
		var won, lost atomic.Int32
		var wg sync.WaitGroup
		for i := range Racers {
			s := a
			if i%2 == 1 {
				s = b
			}
			wg.Go(func() {
				_, err := bindings(t, s).TakeChallenge(ctx, c.Hash, base)
				switch {
				case err == nil:
					won.Add(1)
				case errors.Is(err, store.ErrNotFound):
					lost.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if won.Load() != 1 || lost.Load() != Racers-1 {
			t.Fatalf("%d takers won and %d lost, want 1 and %d", won.Load(), lost.Load(), Racers-1)
		}
	}
}

func testBindingNeedsSession(t *testing.T, s store.Store) {
	ctx, b := context.Background(), bindings(t, s)
	bind := store.Binding{Handle: "h-none", PublicKey: []byte(`{"kty":"EC"}`), CreatedAt: base}
	if err := b.BindSession(ctx, bind, base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("BindSession without a session: %v, want ErrNotFound", err)
	}
	sess := newSession(t, "h-short", "u-short")
	sess.ExpiresAt = base
	create(t, s, sess)
	bind.Handle = sess.Handle
	if err := b.BindSession(ctx, bind, base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("BindSession of an expired session: %v, want ErrNotFound", err)
	}
	if _, err := b.GetBinding(ctx, "h-none", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetBinding of nothing: %v, want ErrNotFound", err)
	}
}

func testBindingOnce(t *testing.T, s store.Store) {
	ctx, b := context.Background(), bindings(t, s)
	create(t, s, newSession(t, "h-bind", "u-bind"))
	if _, err := b.GetBinding(ctx, "h-bind", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetBinding before BindSession: %v, want ErrNotFound", err)
	}
	key := []byte(`{"kty":"EC","crv":"P-256","x":"AAAA","y":"BBBB"}`)
	if err := b.BindSession(ctx, store.Binding{Handle: "h-bind", PublicKey: key, CreatedAt: base}, base); err != nil {
		t.Fatal(err)
	}
	got, err := b.GetBinding(ctx, "h-bind", base)
	if err != nil {
		t.Fatal(err)
	}
	if got.Handle != "h-bind" || !bytes.Equal(got.PublicKey, key) || !got.CreatedAt.Equal(base) || got.CreatedAt.Location() != time.UTC {
		t.Fatalf("GetBinding = %+v", got)
	}
	other := []byte(`{"kty":"EC","crv":"P-256","x":"CCCC","y":"DDDD"}`)
	if err := b.BindSession(ctx, store.Binding{Handle: "h-bind", PublicKey: other, CreatedAt: base}, base); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a second BindSession: %v, want ErrConflict (a key is never replaced)", err)
	}
	if got, _ := b.GetBinding(ctx, "h-bind", base); got == nil || !bytes.Equal(got.PublicKey, key) {
		t.Fatalf("after a refused rebind the key is %+v", got)
	}
}

// testBindingEndsWithSession: sign-out, signing a user out everywhere and
// expiry each end the binding with the row.
func testBindingEndsWithSession(t *testing.T, s store.Store) {
	ctx, b := context.Background(), bindings(t, s)
	key := []byte(`{"kty":"EC"}`)
	for _, h := range []string{"h-out", "h-user"} {
		create(t, s, newSession(t, h, "u-"+h))
		if err := b.BindSession(ctx, store.Binding{Handle: h, PublicKey: key, CreatedAt: base}, base); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DeleteSession(ctx, "h-out"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteUserSessions(ctx, "u-h-user"); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"h-out", "h-user"} {
		if _, err := b.GetBinding(ctx, h, base); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetBinding(%s) after its session was deleted: %v, want ErrNotFound", h, err)
		}
	}
	sess := newSession(t, "h-exp", "u-exp")
	create(t, s, sess)
	if err := b.BindSession(ctx, store.Binding{Handle: "h-exp", PublicKey: key, CreatedAt: base}, base); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetBinding(ctx, "h-exp", sess.ExpiresAt); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetBinding at the session's expiry: %v, want ErrNotFound", err)
	}
	if _, err := s.DeleteExpired(ctx, sess.ExpiresAt); err != nil {
		t.Fatal(err)
	}
	// A session recreated under the same handle (a restored backup) does
	// not inherit the binding of the one that expired.
	create(t, s, newSession(t, "h-exp", "u-exp"))
	if _, err := b.GetBinding(ctx, "h-exp", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetBinding after DeleteExpired and a new row: %v, want ErrNotFound", err)
	}
}

func testDeleteExpiredChallenges(t *testing.T, s store.Store) {
	ctx, b := context.Background(), bindings(t, s)
	old, live := newChallenge(t, "h-c"), newChallenge(t, "h-c")
	old.ExpiresAt = base.Add(-time.Second)
	for _, c := range []store.Challenge{old, live} {
		if err := b.AddChallenge(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteExpired(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if n < 1 {
		t.Fatalf("DeleteExpired removed %d rows, want the expired challenge at least", n)
	}
	if _, err := b.TakeChallenge(ctx, live.Hash, base); err != nil {
		t.Fatalf("the live challenge after DeleteExpired: %v", err)
	}
}

// testBindingsVisibleAcross: a key registered through one instance is seen
// by another, and a challenge one hands out is taken by the other.
func testBindingsVisibleAcross(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	create(t, a, newSession(t, "h-across", "u-across"))
	if err := bindings(t, a).BindSession(ctx, store.Binding{Handle: "h-across", PublicKey: []byte(`{"kty":"EC"}`), CreatedAt: base}, base); err != nil {
		t.Fatal(err)
	}
	if _, err := bindings(t, b).GetBinding(ctx, "h-across", base); err != nil {
		t.Fatalf("GetBinding on the other store: %v", err)
	}
	c := newChallenge(t, "h-across")
	if err := bindings(t, a).AddChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := bindings(t, b).TakeChallenge(ctx, c.Hash, base); err != nil {
		t.Fatalf("TakeChallenge on the other store: %v", err)
	}
	if _, err := bindings(t, a).TakeChallenge(ctx, c.Hash, base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TakeChallenge again on the first store: %v, want ErrNotFound", err)
	}
}
