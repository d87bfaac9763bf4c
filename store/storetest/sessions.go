package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

// sessionChecks are the checks of SessionRows (create, get, update, delete),
// in the order RunSessions runs them.
var sessionChecks = []check{
	{"CreateGetRoundTrip", testRoundTrip},
	{"TextFieldsRoundTripOrFailAtCreate", testTextFields},
	{"DuplicateHandle", testDuplicateHandle},
	{"IDsCompareExactly", testIDsExact},
	{"GetMissingAndExpired", testGetExpired},
	{"UpdateWritesOnlyPayloadAndData", testUpdateOnlyPayloadData},
	{"UpdateFnErrorAborts", testUpdateFnError},
	{"UpdateMissingOrExpired", testUpdateMissing},
	{"UpdateRace", one(testUpdateRace)},
	{"DeleteSession", testDelete},
}

// RunSessions runs the checks of SessionRows (create, get, update, delete)
// against the stores open returns (see Run).
func RunSessions(t *testing.T, open func(t *testing.T) store.Store) {
	runChecks(t, open, sessionChecks)
}

func testRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenKB := bytes.Repeat([]byte(`{"k":"\u00e9\u2603"}`), 700)[:10*1024]
	binary := randBytes(t, 10*1024)
	cases := []struct {
		name          string
		payload, data []byte
	}{
		{"json", []byte(`{"a":1}`), []byte(`{"b":[true,null]}`)},
		{"nul", []byte("{\"a\":\"x\x00y\"}\x00"), []byte{0, 0, 0}},
		{"emoji", []byte(`{"e":"😀👍🏽🇫🇷"}`), []byte("😀")},
		{"sql", []byte(`' OR 1=1 --`), []byte(`'); DROP TABLE sessions; --`)},
		{"10KB", tenKB, binary},
		{"nil", nil, nil},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := newSession(t, fmt.Sprintf("h-%d", i), "user-1")
			in.PrevRefreshHash = nil
			in.RefreshHash = append([]byte{0, 0xff, 0}, randBytes(t, 29)...)
			in.Generation = 7
			in.CreatedAt = base.Add(-2*time.Hour + 1*time.Microsecond)
			in.RotatedAt = base.Add(-time.Hour + 999*time.Microsecond)
			in.ExpiresAt = base.Add(time.Hour + 1*time.Microsecond)
			in.Payload, in.Data = c.payload, c.data
			want := clone(in)
			create(t, s, in)
			got := get(t, s, in.Handle)
			checkSession(t, got, want)
			if got.PrevRefreshHash != nil {
				t.Errorf("PrevRefreshHash = %v, want nil", got.PrevRefreshHash)
			}
			// The caller's struct is not modified, and the returned one is
			// not shared with later reads.
			if in.Handle != want.Handle || in.UserID != want.UserID || in.Generation != want.Generation ||
				in.RotatedAt != want.RotatedAt || in.ExpiresAt != want.ExpiresAt || in.CreatedAt != want.CreatedAt ||
				!bytes.Equal(in.RefreshHash, want.RefreshHash) || in.PrevRefreshHash != nil ||
				!bytes.Equal(in.Payload, want.Payload) || !bytes.Equal(in.Data, want.Data) {
				t.Errorf("CreateSession modified its argument")
			}
			got.Payload = append(got.Payload, 'x')
			checkBytes(t, "Payload after mutating an earlier result", get(t, s, in.Handle).Payload, want.Payload)
		})
	}
	t.Run("listed", func(t *testing.T) {
		list, err := s.ListUserSessions(ctx, "user-1", base)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != len(cases) {
			t.Fatalf("ListUserSessions: %d sessions, want %d", len(list), len(cases))
		}
		for _, got := range list {
			var idx int
			if _, err := fmt.Sscanf(got.Handle, "h-%d", &idx); err != nil {
				t.Fatalf("unexpected handle %q", got.Handle)
			}
			checkBytes(t, got.Handle+" Payload", got.Payload, cases[idx].payload)
			checkBytes(t, got.Handle+" Data", got.Data, cases[idx].data)
		}
	})
}

func testTextFields(t *testing.T, s store.Store) {
	ctx := context.Background()
	long := make([]byte, 10*1024)
	for i := range long {
		long[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[randBytes(t, 1)[0]%36]
	}
	mustWork := []string{"' OR 1=1 --", "😀 user ünïcödé", string(long), `"; DELETE FROM x; --`, "a\r\nb\tc"}
	for i, v := range mustWork {
		t.Run(fmt.Sprintf("ok-%d", i), func(t *testing.T) {
			in := newSession(t, fmt.Sprintf("handle ' OR 1=1 -- 😀 %d", i), v)
			create(t, s, in)
			checkSession(t, get(t, s, in.Handle), in)
			list, err := s.ListUserSessions(ctx, v, base)
			if err != nil || len(list) != 1 || list[0].UserID != v {
				t.Fatalf("ListUserSessions(%.40q) = %d sessions, %v; want the one session", v, len(list), err)
			}
		})
	}
	// A backend may refuse these, but must never store them altered.
	mayFail := []string{"nul\x00byte", "bad utf8 \xff\xfe"}
	for i, v := range mayFail {
		t.Run(fmt.Sprintf("strict-%d", i), func(t *testing.T) {
			in := newSession(t, fmt.Sprintf("strict-%d", i), v)
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

// testIDsExact: ids that differ only in letter case, trailing spaces or
// Unicode normalisation are different ids. A database comparing with a
// case-insensitive or space-padding collation (MariaDB's defaults) would
// hand "alice"'s sessions to "Alice " and revoke them with hers.
func testIDsExact(t *testing.T, s store.Store) {
	ctx := context.Background()
	users := []string{"alice", "Alice", "alice ", "ALICE", "ali\u0301ce", "alíce"}
	for i, u := range users {
		create(t, s, newSession(t, fmt.Sprintf("h-%d", i), u))
	}
	for i, u := range users {
		list, err := s.ListUserSessions(ctx, u, base)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Handle != fmt.Sprintf("h-%d", i) {
			t.Errorf("ListUserSessions(%q) = %d sessions, want only h-%d", u, len(list), i)
		}
	}
	// Handles too: "H-0" and "h-0 " are not "h-0".
	for _, h := range []string{"H-0", "h-0 ", "h-0\t"} {
		if _, err := s.GetSession(ctx, h, base); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetSession(%q) err = %v, want ErrNotFound (only h-0 exists)", h, err)
		}
		if ok, err := s.DeleteSession(ctx, h); ok || err != nil {
			t.Errorf("DeleteSession(%q) = %v, %v; want false, nil", h, ok, err)
		}
	}
	got, err := s.DeleteUserSessions(ctx, "alice")
	if err != nil || !slices.Equal(got, []string{"h-0"}) {
		t.Fatalf("DeleteUserSessions(alice) = %q, %v; want only h-0", got, err)
	}
	for i := 1; i < len(users); i++ {
		get(t, s, fmt.Sprintf("h-%d", i))
	}
}

func testDuplicateHandle(t *testing.T, s store.Store) {
	first := newSession(t, "dup", "user-1")
	create(t, s, first)
	second := newSession(t, "dup", "user-2")
	err := s.CreateSession(context.Background(), second)
	if err == nil {
		t.Fatal("second CreateSession with the same handle succeeded")
	}
	if !isDBFailure(err) {
		t.Fatalf("duplicate handle error = %v; must not be ErrNotFound/ErrConflict", err)
	}
	checkSession(t, get(t, s, "dup"), first)
}

func testGetExpired(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.GetSession(ctx, "nope", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetSession(missing) err = %v, want ErrNotFound", err)
	}
	in := newSession(t, "exp", "user-1")
	in.ExpiresAt = base
	create(t, s, in)
	for _, c := range []struct {
		now  time.Time
		want error
	}{
		{base.Add(-time.Microsecond), nil},
		{base, store.ErrNotFound}, // ExpiresAt must be after now
		{base.Add(time.Microsecond), store.ErrNotFound},
		{base.Add(time.Hour), store.ErrNotFound},
	} {
		got, err := s.GetSession(ctx, "exp", c.now)
		if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("GetSession(now=ExpiresAt%+v) err = %v, want %v", c.now.Sub(base), err, c.want)
		}
		if c.want == nil && err == nil {
			checkSession(t, got, in)
		}
	}
}

func testUpdateOnlyPayloadData(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := newSession(t, "upd", "user-1")
	create(t, s, in)
	want := clone(in)
	want.Payload = []byte("{\"new\":\"p\x00😀\"}")
	want.Data = []byte(`{"new":"d"}`)
	called := 0
	err := s.UpdateSession(ctx, "upd", base, func(cur *store.Session) error {
		called++
		checkSession(t, cur, in) // fn sees the current row
		cur.Payload = slices.Clone(want.Payload)
		cur.Data = slices.Clone(want.Data)
		// Changes to other fields must be ignored.
		cur.Handle = "other"
		cur.UserID = "mallory"
		cur.RefreshHash = []byte("x")
		cur.PrevRefreshHash = []byte("y")
		cur.Generation = 99
		cur.RotatedAt = base.Add(time.Hour)
		cur.ExpiresAt = base.Add(1000 * time.Hour)
		cur.CreatedAt = base
		cur.DeviceLabel = "changed"
		cur.CreatedUserAgent = "changed"
		cur.CreatedIP = "changed"
		cur.RefreshedUserAgent = "changed"
		cur.RefreshedIP = "changed"
		cur.BrowserSessionOnly = !cur.BrowserSessionOnly
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if called != 1 {
		t.Fatalf("fn called %d times, want 1", called)
	}
	checkSession(t, get(t, s, "upd"), want)
	if _, err := s.GetSession(ctx, "other", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetSession(other) err = %v: changing Handle in fn must not create or rename a row", err)
	}
}

func testUpdateFnError(t *testing.T, s store.Store) {
	in := newSession(t, "upd", "user-1")
	create(t, s, in)
	boom := errors.New("boom")
	err := s.UpdateSession(context.Background(), "upd", base, func(cur *store.Session) error {
		cur.Payload = []byte(`{"lost":true}`)
		cur.Data = []byte(`{"lost":true}`)
		return boom
	})
	if err != boom {
		t.Fatalf("UpdateSession err = %v, want fn's error returned as is", err)
	}
	checkSession(t, get(t, s, "upd"), in)
}

func testUpdateMissing(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := newSession(t, "expired", "user-1")
	in.ExpiresAt = base
	create(t, s, in)
	for _, h := range []string{"missing", "expired"} {
		called := false
		err := s.UpdateSession(ctx, h, base, func(*store.Session) error { called = true; return nil })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateSession(%s) err = %v, want ErrNotFound", h, err)
		}
		if called {
			t.Errorf("UpdateSession(%s) called fn", h)
		}
	}
}

type counter struct {
	N    int   `json:"n"`
	Seen []int `json:"seen"`
}

// testUpdateRace: Racers goroutines (alternating between a and b) each add
// their number to a JSON document in Data; none may be lost.
func testUpdateRace(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	in := newSession(t, "cnt", "user-1")
	in.Data = []byte(`{"n":0}`)
	create(t, a, in)
	errs := race(Racers, func(i int) error {
		s := a
		if i%2 == 1 {
			s = b
		}
		return s.UpdateSession(ctx, "cnt", base, func(cur *store.Session) error {
			var c counter
			if err := json.Unmarshal(cur.Data, &c); err != nil {
				return err
			}
			c.N++
			c.Seen = append(c.Seen, i)
			var err error
			cur.Data, err = json.Marshal(c)
			return err
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("updater %d: %v", i, err)
		}
	}
	var c counter
	if err := json.Unmarshal(get(t, b, "cnt").Data, &c); err != nil {
		t.Fatal(err)
	}
	slices.Sort(c.Seen)
	all := make([]int, Racers)
	for i := range all {
		all[i] = i
	}
	if c.N != Racers || !slices.Equal(c.Seen, all) {
		t.Fatalf("after %d updates: n=%d, seen=%v (lost updates)", Racers, c.N, c.Seen)
	}
}

func testDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	create(t, s, newSession(t, "del", "user-1"))
	keep := newSession(t, "keep", "user-1")
	create(t, s, keep)
	for i, want := range []bool{true, false} {
		got, err := s.DeleteSession(ctx, "del")
		if err != nil || got != want {
			t.Fatalf("DeleteSession #%d = %v, %v; want %v, nil", i+1, got, err, want)
		}
	}
	if _, err := s.GetSession(ctx, "del", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetSession after delete err = %v, want ErrNotFound", err)
	}
	checkSession(t, get(t, s, "keep"), keep)
}

func testVisibleAcross(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	in := newSession(t, "vis", "user-1")
	create(t, a, in)
	checkSession(t, get(t, b, "vis"), in)

	h := randBytes(t, 32)
	if _, err := b.RotateSession(ctx, "vis", in.RefreshHash, store.Rotation{NewRefreshHash: h, RotatedAt: base, ExpiresAt: base.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, a, "vis"); got.Generation != 1 || !bytes.Equal(got.RefreshHash, h) {
		t.Fatalf("a does not see b's rotation: generation %d", got.Generation)
	}
	if err := a.UpdateSession(ctx, "vis", base, func(s *store.Session) error { s.Data = []byte(`{"from":"a"}`); return nil }); err != nil {
		t.Fatal(err)
	}
	checkBytes(t, "Data seen by b", get(t, b, "vis").Data, []byte(`{"from":"a"}`))

	k := newKey(t, "k", base, base.Add(time.Hour))
	if err := a.AddSigningKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	keys, err := b.SigningKeys(ctx, base)
	if err != nil || len(keys) != 1 {
		t.Fatalf("b sees %d keys, %v; want 1", len(keys), err)
	}
	checkKey(t, &keys[0], k)

	if ok, err := b.DeleteSession(ctx, "vis"); !ok || err != nil {
		t.Fatalf("b.DeleteSession = %v, %v", ok, err)
	}
	if _, err := a.GetSession(ctx, "vis", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a.GetSession after b's delete: err = %v, want ErrNotFound", err)
	}
	if _, err := a.RotateSession(ctx, "vis", h, store.Rotation{NewRefreshHash: randBytes(t, 32), RotatedAt: base, ExpiresAt: base.Add(time.Hour)}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a.RotateSession after b's delete: err = %v, want ErrConflict", err)
	}
}
