package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

// lifecycleChecks are the checks of Cleaner and Close, and of every method
// with a canceled context, in the order RunLifecycle runs them.
var lifecycleChecks = []check{
	{"DeleteExpired", testDeleteExpired},
	{"CanceledContext", testCanceled},
	{"Closed", testClosed},
}

// RunLifecycle runs the checks of Cleaner and Close, and of every method
// with a canceled context against the stores open returns (see Run).
func RunLifecycle(t *testing.T, open func(t *testing.T) store.Store) {
	runChecks(t, open, lifecycleChecks)
}

func testDeleteExpired(t *testing.T, s store.Store) {
	ctx := context.Background()
	live := newSession(t, "live", "u")
	live.ExpiresAt = base.Add(time.Microsecond)
	create(t, s, live)
	for i, exp := range []time.Time{base, base.Add(-time.Microsecond), base.Add(-time.Hour)} {
		in := newSession(t, fmt.Sprintf("dead-%d", i), "u")
		in.ExpiresAt = exp
		create(t, s, in)
	}
	liveKey := newKey(t, "live", base, base.Add(time.Microsecond))
	for _, k := range []*store.SigningKey{liveKey, newKey(t, "dead", base.Add(-2*time.Hour), base)} {
		if err := s.AddSigningKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	liveRev := store.Revocation{Handle: "live", RevokedAt: base.Add(-time.Hour), ExpiresAt: base.Add(time.Microsecond)}
	revs := []store.Revocation{liveRev, {Handle: "dead-0", RevokedAt: base.Add(-time.Hour), ExpiresAt: base}}
	if err := s.AddRevocations(ctx, revs); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteExpired(ctx, base)
	if err != nil || n != 5 {
		t.Fatalf("DeleteExpired = %d, %v; want 5 (3 sessions, 1 key, 1 revocation)", n, err)
	}
	// Gone for good, not just filtered: look with an earlier "now".
	early := base.Add(-10 * time.Hour)
	list, err := s.ListUserSessions(ctx, "u", early)
	if err != nil || len(list) != 1 || list[0].Handle != "live" {
		t.Fatalf("sessions left = %v, %v; want only live", list, err)
	}
	checkSession(t, &list[0], live)
	keys, err := s.SigningKeys(ctx, early)
	if err != nil || len(keys) != 1 || keys[0].ID != "live" {
		t.Fatalf("keys left = %v, %v; want only live", keys, err)
	}
	left, err := s.RevocationsSince(ctx, early, early)
	if err != nil || len(left) != 1 {
		t.Fatalf("revocations left = %v, %v; want only live", left, err)
	}
	checkRevocation(t, left[0], liveRev)
	if n, err := s.DeleteExpired(ctx, base); err != nil || n != 0 {
		t.Fatalf("second DeleteExpired = %d, %v; want 0", n, err)
	}
}

// everyMethod calls every Store method but Close once with ctx on the
// session "c" of user "u", then the methods of the optional capabilities s
// has, and passes each error to check by method name. It fails t when the
// interface has a method it does not call, so a method added to store.Store
// cannot miss the canceled and closed tests.
func everyMethod(t *testing.T, ctx context.Context, s store.Store, check func(name string, err error)) {
	t.Helper()
	called := map[string]bool{"Close": true}
	call := func(name string, err error) {
		t.Helper()
		called[name] = true
		check(name, err)
	}
	r := store.Rotation{NewRefreshHash: []byte("x"), RotatedAt: base, ExpiresAt: base.Add(time.Hour)}
	var err error
	call("CreateSession", s.CreateSession(ctx, newSession(t, "d", "u")))
	_, err = s.CreateSessionLimited(ctx, newSession(t, "d2", "u"), base, store.SessionLimit{Max: 5, EvictOldest: true})
	call("CreateSessionLimited", err)
	_, err = s.GetSession(ctx, "c", base)
	call("GetSession", err)
	_, err = s.RotateSession(ctx, "c", []byte("y"), r)
	call("RotateSession", err)
	call("UpdateSession", s.UpdateSession(ctx, "c", base, func(*store.Session) error { return nil }))
	_, err = s.DeleteSession(ctx, "c")
	call("DeleteSession", err)
	_, err = s.DeleteUserSessions(ctx, "u")
	call("DeleteUserSessions", err)
	_, err = s.ListUserSessions(ctx, "u", base)
	call("ListUserSessions", err)
	call("AddSigningKey", s.AddSigningKey(ctx, newKey(t, "k", base, base.Add(time.Hour))))
	_, err = s.SigningKeys(ctx, base)
	call("SigningKeys", err)
	_, err = s.EnsureSecret(ctx, "n", []byte("v"))
	call("EnsureSecret", err)
	call("AddRevocations", s.AddRevocations(ctx, []store.Revocation{{Handle: "c", RevokedAt: base, ExpiresAt: base.Add(time.Hour)}}))
	_, err = s.RevocationsSince(ctx, base.Add(-time.Hour), base)
	call("RevocationsSince", err)
	_, err = s.DeleteExpired(ctx, base.Add(1000*time.Hour))
	call("DeleteExpired", err)
	iface := reflect.TypeFor[store.Store]()
	for i := range iface.NumMethod() {
		if name := iface.Method(i).Name; !called[name] {
			t.Errorf("the suite does not call store.Store.%s here", name)
		}
	}
	// The optional capabilities the store has.
	if w := store.Watcher(s); w != nil {
		call("WatchRevocations", w.WatchRevocations(ctx, func() {}))
	}
}

func testCanceled(t *testing.T, s store.Store) {
	ctx := context.Background()
	create(t, s, newSession(t, "c", "u"))
	if _, err := s.EnsureSecret(ctx, "n", []byte("v0")); err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	everyMethod(t, canceled, s, func(name string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: err = %v, want context.Canceled", name, err)
		}
	})
	// Nothing happened.
	got := get(t, s, "c")
	if got.Generation != 0 {
		t.Errorf("Generation = %d after a canceled rotation", got.Generation)
	}
	if _, err := s.GetSession(ctx, "d", base); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a canceled CreateSession created the session: err = %v", err)
	}
	if _, err := s.GetSession(ctx, "d2", base); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a canceled CreateSessionLimited created the session: err = %v", err)
	}
	if keys, err := s.SigningKeys(ctx, base); err != nil || len(keys) != 0 {
		t.Errorf("SigningKeys after a canceled AddSigningKey = %d keys, %v; want none", len(keys), err)
	}
	if v, err := s.EnsureSecret(ctx, "n", []byte("v1")); err != nil || string(v) != "v0" {
		t.Errorf("secret after a canceled EnsureSecret = %q, %v; want v0", v, err)
	}
	if revs, err := s.RevocationsSince(ctx, base.Add(-time.Hour), base); err != nil || len(revs) != 0 {
		t.Errorf("revocations after a canceled AddRevocations = %v, %v; want none", revs, err)
	}
}

func testClosed(t *testing.T, s store.Store) {
	create(t, s, newSession(t, "c", "u"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	everyMethod(t, context.Background(), s, func(name string, err error) {
		t.Helper()
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", name, err)
		}
	})
	if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
		t.Errorf("second Close: %v, want nil or ErrClosed", err)
	}
}
