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

// The bounds store.Session documents for the metadata texts, in bytes.
const (
	maxLabel     = 255
	maxUserAgent = 512
	maxIP        = 64
)

// fill returns s repeated and cut to exactly n bytes, without splitting a
// UTF-8 sequence (s is ASCII, or its runes are all as long as the cut).
func fill(s string, n int) string {
	out := strings.Repeat(s, n/len(s)+1)[:n]
	if len(out) != n {
		panic("fill")
	}
	return out
}

// testMetadataRoundTrip: the six metadata fields come back from GetSession
// and ListUserSessions as CreateSession was given them, empty, typical and
// at the documented bounds.
func testMetadataRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	// Multi-byte text up to the bounds in bytes.
	unicodeUA := "Мозилла/5.0 (Linux; Android 14; 日本語) 😀 "
	for len(unicodeUA)+len("ü") <= maxUserAgent {
		unicodeUA += "ü"
	}
	unicodeLabel := "Ноутбук Пети 💻 "
	for len(unicodeLabel)+len("é") <= maxLabel {
		unicodeLabel += "é"
	}
	cases := []struct {
		name string
		meta store.Session
	}{
		{"empty", store.Session{}},
		{"typical", store.Session{
			DeviceLabel: "Work laptop", CreatedUserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36",
			CreatedIP: "203.0.113.7", BrowserSessionOnly: true,
		}},
		{"not browser-only", store.Session{DeviceLabel: "Phone", CreatedUserAgent: "curl/8.5.0", CreatedIP: "::1"}},
		{"refreshed given at creation", store.Session{
			CreatedUserAgent: "a", CreatedIP: "192.0.2.1", RefreshedUserAgent: "b", RefreshedIP: "192.0.2.2",
		}},
		{"at the bounds", store.Session{
			DeviceLabel:        fill("label ", maxLabel),
			CreatedUserAgent:   fill("Mozilla/5.0 (Windows NT 10.0; Win64; x64) ", maxUserAgent),
			CreatedIP:          fill("fe80::1ff:fe23:4567:890a%", maxIP),
			RefreshedUserAgent: fill("Opera/9.80 ", maxUserAgent),
			RefreshedIP:        fill("2001:db8:85a3::8a2e:370:7334,", maxIP),
			BrowserSessionOnly: true,
		}},
		{"unicode", store.Session{
			DeviceLabel:      unicodeLabel,
			CreatedUserAgent: unicodeUA, CreatedIP: "198.51.100.1", RefreshedUserAgent: "日本語のブラウザ",
		}},
		{"sql", store.Session{DeviceLabel: "'); DROP TABLE sessions; --", CreatedUserAgent: `" OR 1=1 --`, CreatedIP: `\'`}},
	}
	want := map[string]*store.Session{}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := newSession(t, fmt.Sprintf("m-%d", i), "meta-user")
			in.CreatedAt = in.CreatedAt.Add(time.Duration(i) * time.Microsecond)
			in.DeviceLabel, in.CreatedUserAgent, in.CreatedIP = c.meta.DeviceLabel, c.meta.CreatedUserAgent, c.meta.CreatedIP
			in.RefreshedUserAgent, in.RefreshedIP = c.meta.RefreshedUserAgent, c.meta.RefreshedIP
			in.BrowserSessionOnly = c.meta.BrowserSessionOnly
			for _, v := range []string{in.DeviceLabel, in.CreatedUserAgent, in.CreatedIP, in.RefreshedUserAgent, in.RefreshedIP} {
				if len(v) > maxUserAgent {
					t.Fatalf("test text of %d bytes exceeds the bounds", len(v))
				}
			}
			if len(in.DeviceLabel) > maxLabel || len(in.CreatedIP) > maxIP || len(in.RefreshedIP) > maxIP {
				t.Fatalf("test text exceeds the bounds")
			}
			w := clone(in)
			want[in.Handle] = w
			create(t, s, in)
			checkSession(t, get(t, s, in.Handle), w)
		})
	}
	t.Run("listed", func(t *testing.T) {
		list, err := s.ListUserSessions(ctx, "meta-user", base)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != len(cases) {
			t.Fatalf("ListUserSessions: %d sessions, want %d", len(list), len(cases))
		}
		for i := range list {
			if w := want[list[i].Handle]; w == nil {
				t.Errorf("unexpected handle %q", list[i].Handle)
			} else {
				checkSession(t, &list[i], w)
			}
		}
	})
	// A backend may refuse these, but must never store them altered.
	for i, v := range []string{"nul\x00byte", "bad utf8 \xff\xfe"} {
		t.Run(fmt.Sprintf("strict-%d", i), func(t *testing.T) {
			in := newSession(t, fmt.Sprintf("strict-%d", i), "meta-user")
			in.CreatedUserAgent = v
			if err := s.CreateSession(ctx, in); err != nil {
				if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
					t.Fatalf("refusal must be a plain error, got %v", err)
				}
				if _, err := s.GetSession(ctx, in.Handle, base); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("after a refused create, GetSession err = %v, want ErrNotFound", err)
				}
				return
			}
			checkSession(t, get(t, s, in.Handle), in)
		})
	}
}

// testRotateMetadata: a rotation writes RefreshedUserAgent and RefreshedIP
// from the Rotation, "" included, and leaves DeviceLabel, the Created*
// fields and BrowserSessionOnly alone; the returned row has them all.
func testRotateMetadata(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, browserOnly := range []bool{true, false} {
		t.Run(fmt.Sprintf("BrowserSessionOnly=%v", browserOnly), func(t *testing.T) {
			in := newSession(t, fmt.Sprintf("rm-%v", browserOnly), "user-1")
			in.DeviceLabel = "Tablet ☕"
			in.CreatedUserAgent = "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X)"
			in.CreatedIP = "192.0.2.33"
			in.BrowserSessionOnly = browserOnly
			create(t, s, in)
			want := clone(in)
			current := in.RefreshHash
			for i, meta := range []struct{ ua, ip string }{
				{"Mozilla/5.0 (Macintosh) Safari/605.1.15 — “quoted” ünïcödé 😀", "2001:db8::42"},
				{fill("Edge/126 ", maxUserAgent), fill("::ffff:", maxIP)},
				{"", ""}, // unknown at this rotation: unknown, not the previous one
				{"curl/8.5.0", "203.0.113.9"},
			} {
				r := rotation(t, time.Duration(i)*time.Minute)
				r.UserAgent, r.IP = meta.ua, meta.ip
				got, err := s.RotateSession(ctx, in.Handle, current, r)
				if err != nil {
					t.Fatalf("rotation %d: %v", i, err)
				}
				current = r.NewRefreshHash
				want.PrevRefreshHash, want.RefreshHash = want.RefreshHash, r.NewRefreshHash
				want.Generation++
				want.RotatedAt, want.ExpiresAt = r.RotatedAt, r.ExpiresAt
				want.RefreshedUserAgent, want.RefreshedIP = meta.ua, meta.ip
				returned := clone(want)
				returned.Data = nil
				checkSession(t, got, returned)
				checkSession(t, get(t, s, in.Handle), want)
			}
			// A stale rotation writes no metadata either.
			r := rotation(t, time.Hour)
			r.UserAgent, r.IP = "stale", "stale"
			if _, err := s.RotateSession(ctx, in.Handle, in.RefreshHash, r); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("stale rotation: err = %v, want ErrConflict", err)
			}
			checkSession(t, get(t, s, in.Handle), want)
		})
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
