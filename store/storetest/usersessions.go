package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

// userChecks are the checks of UserSessions (a user's list, signing a user
// out, the capped sign-in), in the order RunUserSessions runs them.
var userChecks = []check{
	{"DeleteUserSessions", testDeleteUser},
	{"ListUserSessions", testList},
	{"CreateSessionLimited", testCreateLimited},
	{"CreateSessionLimitedRace", one(testLimitRace)},
}

// RunUserSessions runs the checks of UserSessions (a user's list, signing a
// user out, the capped sign-in) against the stores open returns (see Run).
func RunUserSessions(t *testing.T, open func(t *testing.T) store.Store) {
	runChecks(t, open, userChecks)
}

func testDeleteUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, h := range []string{"a1", "a2", "a3"} {
		create(t, s, newSession(t, h, "alice"))
	}
	expired := newSession(t, "a4", "alice")
	expired.ExpiresAt = base.Add(-time.Hour)
	create(t, s, expired)
	bob := newSession(t, "b1", "bob")
	create(t, s, bob)
	got, err := s.DeleteUserSessions(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []string{"a1", "a2", "a3", "a4"}; !slices.Equal(got, want) {
		t.Fatalf("DeleteUserSessions(alice) = %q, want %q", got, want)
	}
	if list, err := s.ListUserSessions(ctx, "alice", base.Add(-100*time.Hour)); err != nil || len(list) != 0 {
		t.Fatalf("alice's sessions after delete: %d, %v", len(list), err)
	}
	checkSession(t, get(t, s, "b1"), bob)
	got, err = s.DeleteUserSessions(ctx, "alice")
	if err != nil || len(got) != 0 {
		t.Fatalf("second DeleteUserSessions(alice) = %q, %v; want none", got, err)
	}
}

func testList(t *testing.T, s store.Store) {
	ctx := context.Background()
	// Created out of order; CreatedAt differs by a microsecond in places.
	offsets := map[string]time.Duration{
		"s3": 3 * time.Minute, "s1": 1 * time.Minute, "s2": time.Minute + time.Microsecond, "s0": 0,
	}
	want := map[string]*store.Session{}
	for _, h := range []string{"s3", "s1", "s0", "s2"} {
		in := newSession(t, h, "alice")
		in.CreatedAt = base.Add(-time.Hour + offsets[h])
		create(t, s, in)
		want[h] = in
	}
	old := newSession(t, "expired", "alice")
	old.CreatedAt = base.Add(-2 * time.Hour)
	old.ExpiresAt = base
	create(t, s, old)
	create(t, s, newSession(t, "bob's", "bob"))
	create(t, s, newSession(t, "alice2's", "alice2"))

	list, err := s.ListUserSessions(ctx, "alice", base)
	if err != nil {
		t.Fatal(err)
	}
	var handles []string
	for _, got := range list {
		handles = append(handles, got.Handle)
	}
	if w := []string{"s0", "s1", "s2", "s3"}; !slices.Equal(handles, w) {
		t.Fatalf("ListUserSessions(alice) = %q, want %q (oldest first, no expired, no other users)", handles, w)
	}
	for i := range list {
		checkSession(t, &list[i], want[list[i].Handle])
	}
	list, err = s.ListUserSessions(ctx, "nobody", base)
	if err != nil || len(list) != 0 {
		t.Fatalf("ListUserSessions(nobody) = %d sessions, %v", len(list), err)
	}
}

// handles returns the handles of a user's unexpired sessions at now,
// oldest first.
func handles(t testing.TB, s store.Store, user string, now time.Time) []string {
	t.Helper()
	list, err := s.ListUserSessions(context.Background(), user, now)
	if err != nil {
		t.Fatalf("ListUserSessions(%q): %v", user, err)
	}
	var out []string
	for _, l := range list {
		out = append(out, l.Handle)
	}
	return out
}

// limited calls CreateSessionLimited at base.
func limited(s store.Store, sess *store.Session, max int, evict bool) ([]string, error) {
	return s.CreateSessionLimited(context.Background(), sess, base, store.SessionLimit{Max: max, EvictOldest: evict})
}

// aged returns a session of user created at base-1h+minutes.
func aged(t testing.TB, handle, user string, minutes int) *store.Session {
	in := newSession(t, handle, user)
	in.CreatedAt = base.Add(-time.Hour + time.Duration(minutes)*time.Minute)
	in.RotatedAt = in.CreatedAt
	return in
}

// testCreateLimited: CreateSessionLimited with one caller at a time.
func testCreateLimited(t *testing.T, s store.Store) {
	ctx := context.Background()
	// Another user's sessions, older than all of alice's: never counted,
	// never evicted.
	var bobs []*store.Session
	for i := range 3 {
		b := aged(t, fmt.Sprintf("bob-%d", i), "bob", -30+i)
		create(t, s, b)
		bobs = append(bobs, b)
	}
	checkBob := func(t *testing.T) {
		t.Helper()
		for _, b := range bobs {
			checkSession(t, get(t, s, b.Handle), b)
		}
	}

	t.Run("Max0IsCreateSession", func(t *testing.T) {
		for i := range 5 {
			in := aged(t, fmt.Sprintf("nocap-%d", i), "nocap", i)
			ev, err := limited(s, in, 0, false)
			if err != nil || ev != nil {
				t.Fatalf("Max 0, session %d: evicted %q, err %v; want nil, nil", i, ev, err)
			}
			checkSession(t, get(t, s, in.Handle), in)
		}
		if got := handles(t, s, "nocap", base); len(got) != 5 {
			t.Fatalf("sessions after five creates with Max 0: %q", got)
		}
		if _, err := limited(s, aged(t, "nocap-0", "nocap", 9), 0, true); !isDBFailure(err) {
			t.Fatalf("Max 0 with a duplicate handle: err = %v, want a plain error", err)
		}
	})

	t.Run("UnderTheCap", func(t *testing.T) {
		for i := range 3 {
			in := aged(t, fmt.Sprintf("a-%d", i), "alice", i)
			in.DeviceLabel = fmt.Sprintf("device %d", i)
			in.BrowserSessionOnly = i%2 == 0
			ev, err := limited(s, in, 3, i == 1)
			if err != nil || len(ev) != 0 {
				t.Fatalf("session %d of at most 3: evicted %q, err %v; want none, nil", i, ev, err)
			}
			checkSession(t, get(t, s, in.Handle), in) // metadata included
		}
		if got, want := handles(t, s, "alice", base), []string{"a-0", "a-1", "a-2"}; !slices.Equal(got, want) {
			t.Fatalf("alice's sessions = %q, want %q", got, want)
		}
	})

	t.Run("AtTheCapRefused", func(t *testing.T) {
		before := map[string]*store.Session{}
		for _, h := range []string{"a-0", "a-1", "a-2"} {
			before[h] = get(t, s, h)
		}
		for _, max := range []int{3, 2, 1} {
			in := aged(t, fmt.Sprintf("refused-%d", max), "alice", 10)
			ev, err := limited(s, in, max, false)
			if !errors.Is(err, store.ErrLimit) || ev != nil {
				t.Fatalf("Max %d with 3 sessions, no eviction: evicted %q, err %v; want nil, ErrLimit", max, ev, err)
			}
			if _, err := s.GetSession(ctx, in.Handle, base); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the refused session was stored: GetSession err = %v", err)
			}
		}
		if got, want := handles(t, s, "alice", base), []string{"a-0", "a-1", "a-2"}; !slices.Equal(got, want) {
			t.Fatalf("alice's sessions after refusals = %q, want %q", got, want)
		}
		for h, b := range before {
			checkSession(t, get(t, s, h), b)
		}
		checkBob(t)
	})

	t.Run("DuplicateHandleEvictsNothing", func(t *testing.T) {
		for _, c := range []struct {
			handle, user string
		}{{"a-2", "alice"}, {"a-0", "alice"}, {"bob-0", "alice"}, {"a-1", "bob"}} {
			in := aged(t, c.handle, c.user, 20)
			ev, err := limited(s, in, 3, true)
			if !isDBFailure(err) || errors.Is(err, store.ErrLimit) || ev != nil {
				t.Fatalf("duplicate handle %q for %s at the cap: evicted %q, err %v; want a plain error", c.handle, c.user, ev, err)
			}
		}
		if got, want := handles(t, s, "alice", base), []string{"a-0", "a-1", "a-2"}; !slices.Equal(got, want) {
			t.Fatalf("alice's sessions after duplicates = %q, want %q", got, want)
		}
		if got := get(t, s, "a-0"); got.UserID != "alice" || got.DeviceLabel != "device 0" {
			t.Fatalf("a-0 was replaced: %+v", got)
		}
		checkBob(t)
	})

	t.Run("EvictOldest", func(t *testing.T) {
		in := aged(t, "a-3", "alice", 3)
		ev, err := limited(s, in, 3, true)
		if err != nil || !slices.Equal(ev, []string{"a-0"}) {
			t.Fatalf("fourth session of at most 3: evicted %q, err %v; want [a-0], nil", ev, err)
		}
		checkSession(t, get(t, s, "a-3"), in)
		if _, err := s.GetSession(ctx, "a-0", base.Add(-2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("evicted a-0 still readable: err = %v", err)
		}
		if got, want := handles(t, s, "alice", base), []string{"a-1", "a-2", "a-3"}; !slices.Equal(got, want) {
			t.Fatalf("alice's sessions = %q, want %q", got, want)
		}
		checkBob(t)
	})

	t.Run("EvictOldestFirstByCreatedAtThenHandle", func(t *testing.T) {
		// A new session older than the others is still the one kept; the
		// others go oldest first, ties by handle in byte order ("B" < "a").
		for _, h := range []string{"tie-a", "tie-B", "tie-c"} {
			create(t, s, aged(t, h, "carol", 5))
		}
		create(t, s, aged(t, "late", "carol", 40))
		create(t, s, aged(t, "early", "carol", 1))
		in := aged(t, "new-but-old", "carol", -50)
		ev, err := limited(s, in, 2, true)
		if want := []string{"early", "tie-B", "tie-a", "tie-c"}; err != nil || !slices.Equal(ev, want) {
			t.Fatalf("Max 2 with 5 sessions: evicted %q, err %v; want %q, nil", ev, err, want)
		}
		if got, want := handles(t, s, "carol", base), []string{"new-but-old", "late"}; !slices.Equal(got, want) {
			t.Fatalf("carol's sessions = %q, want %q", got, want)
		}
		ev, err = limited(s, aged(t, "only", "carol", 50), 1, true)
		if want := []string{"new-but-old", "late"}; err != nil || !slices.Equal(ev, want) {
			t.Fatalf("Max 1: evicted %q, err %v; want %q, nil", ev, err, want)
		}
		if got := handles(t, s, "carol", base); !slices.Equal(got, []string{"only"}) {
			t.Fatalf("carol's sessions = %q, want [only]", got)
		}
		checkBob(t)
	})

	t.Run("ExpiredDoNotCount", func(t *testing.T) {
		// dave: two sessions expired at base (ExpiresAt not after now),
		// one that expires a microsecond after it.
		for i, exp := range []time.Duration{-time.Hour, 0, time.Microsecond} {
			in := aged(t, fmt.Sprintf("d-%d", i), "dave", i)
			in.ExpiresAt = base.Add(exp)
			create(t, s, in)
		}
		ev, err := limited(s, aged(t, "d-new", "dave", 10), 2, false)
		if err != nil || len(ev) != 0 {
			t.Fatalf("Max 2 with one unexpired session: evicted %q, err %v; want none, nil", ev, err)
		}
		if _, err := limited(s, aged(t, "d-refused", "dave", 11), 2, false); !errors.Is(err, store.ErrLimit) {
			t.Fatalf("Max 2 with two unexpired sessions: err = %v, want ErrLimit", err)
		}
		// The count is at the now passed: a microsecond later d-2 has
		// expired too.
		ev, err = s.CreateSessionLimited(ctx, aged(t, "d-later", "dave", 13), base.Add(time.Microsecond), store.SessionLimit{Max: 2})
		if err != nil || len(ev) != 0 {
			t.Fatalf("Max 2 a microsecond later: evicted %q, err %v; want none, nil", ev, err)
		}
		ev, err = limited(s, aged(t, "d-newer", "dave", 14), 2, true)
		if want := []string{"d-2", "d-new"}; err != nil || !slices.Equal(ev, want) {
			t.Fatalf("Max 2 evicting: evicted %q, err %v; want %q (expired ones are neither counted nor evicted), nil", ev, err, want)
		}
		if got, want := handles(t, s, "dave", base), []string{"d-later", "d-newer"}; !slices.Equal(got, want) {
			t.Fatalf("dave's sessions = %q, want %q", got, want)
		}
	})

	t.Run("NegativeMax", func(t *testing.T) {
		ev, err := limited(s, aged(t, "neg", "erin", 0), -1, true)
		if !isDBFailure(err) || errors.Is(err, store.ErrLimit) || ev != nil {
			t.Fatalf("Max -1: evicted %q, err %v; want a plain error", ev, err)
		}
		if _, err := s.GetSession(ctx, "neg", base); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Max -1 stored the session: GetSession err = %v", err)
		}
	})
}

// testLimitRace: racers (alternating between a and b) sign one user in at
// once under a cap of 3. Without eviction exactly 3 succeed and the rest
// get ErrLimit; with it all succeed, and the 9 evicted handles are
// distinct, reported once each, and never one of the 3 survivors.
func testLimitRace(t *testing.T, a, b store.Store) {
	const racers, max, rounds = 12, 3, 3
	for _, evict := range []bool{false, true} {
		t.Run(fmt.Sprintf("EvictOldest=%v", evict), func(t *testing.T) {
			for round := range rounds {
				user := fmt.Sprintf("racer-%v-%d", evict, round)
				// A session of another user with the same cap, never
				// touched.
				other := newSession(t, user+"-other", user+"x")
				create(t, a, other)
				evicted := make([][]string, racers)
				errs := race(racers, func(i int) error {
					s := a
					if i%2 == 1 {
						s = b
					}
					in := aged(t, fmt.Sprintf("%s/%d", user, i), user, 0)
					in.CreatedAt = in.CreatedAt.Add(time.Duration(i) * time.Microsecond)
					var err error
					evicted[i], err = limited(s, in, max, evict)
					return err
				})
				var won, refused []int
				for i, err := range errs {
					switch {
					case err == nil:
						won = append(won, i)
					case !evict && errors.Is(err, store.ErrLimit):
						refused = append(refused, i)
					default:
						t.Fatalf("round %d: racer %d: %v", round, i, err)
					}
				}
				survivors := handles(t, a, user, base)
				if got := handles(t, b, user, base); !slices.Equal(got, survivors) {
					t.Fatalf("round %d: the stores list %q and %q", round, survivors, got)
				}
				if len(survivors) != max {
					t.Fatalf("round %d: %d sessions remain (%q), want %d", round, len(survivors), survivors, max)
				}
				checkSession(t, get(t, b, other.Handle), other)
				if !evict {
					if len(won) != max || len(refused) != racers-max {
						t.Fatalf("round %d: %d created, %d refused; want %d and %d", round, len(won), len(refused), max, racers-max)
					}
					var want []string
					for _, i := range won {
						want = append(want, fmt.Sprintf("%s/%d", user, i))
						if len(evicted[i]) != 0 {
							t.Fatalf("round %d: racer %d evicted %q without EvictOldest", round, i, evicted[i])
						}
					}
					sort.Strings(want)
					got := slices.Clone(survivors)
					sort.Strings(got)
					if !slices.Equal(got, want) {
						t.Fatalf("round %d: sessions %q, want the winners' %q", round, got, want)
					}
					continue
				}
				seen := map[string]int{}
				total := 0
				for i, ev := range evicted {
					total += len(ev)
					for j, h := range ev {
						if prev, dup := seen[h]; dup {
							t.Fatalf("round %d: %q evicted by racers %d and %d", round, h, prev, i)
						}
						seen[h] = i
						if h == fmt.Sprintf("%s/%d", user, i) {
							t.Fatalf("round %d: racer %d evicted its own session", round, i)
						}
						var k int
						if _, err := fmt.Sscanf(strings.TrimPrefix(h, user+"/"), "%d", &k); err != nil || !strings.HasPrefix(h, user+"/") {
							t.Fatalf("round %d: racer %d evicted %q, not one of the racers' sessions", round, i, h)
						}
						if j > 0 {
							var p int
							fmt.Sscanf(strings.TrimPrefix(ev[j-1], user+"/"), "%d", &p)
							if p > k { // CreatedAt grows with the racer's index
								t.Fatalf("round %d: racer %d evicted %q, not oldest first", round, i, ev)
							}
						}
					}
				}
				if total != racers-max {
					t.Fatalf("round %d: %d evicted in all, want %d", round, total, racers-max)
				}
				for _, h := range survivors {
					if _, ok := seen[h]; ok {
						t.Fatalf("round %d: survivor %q was reported evicted", round, h)
					}
				}
			}
		})
	}
}
