// Package storetest is the conformance suite every store.Store must pass.
//
// Run checks one store; RunShared checks two stores on one database, the way
// several application instances share Postgres. Backends call them from
// their own tests with a function that opens a fresh, empty store.
//
// The suite uses fixed times (never the wall clock) with microsecond
// precision, and expects them back exactly, in UTC.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

// Rounds is how many rounds the concurrency tests run, and Racers how many
// goroutines race in each round.
const (
	Rounds = 20
	Racers = 50
)

// base is the suite's "now". It is not in UTC on purpose: stores must
// normalise, and compare instants, not wall-clock text.
var base = time.Date(2031, 5, 6, 7, 8, 9, 123456000, time.FixedZone("UTC+5:30", 5*3600+1800))

// Run runs the conformance suite against the store open returns.
//
// open must return a new, empty store each time it is called, and arrange to
// close it when the test ends (t.Cleanup). The suite closes some stores
// itself, so Close must tolerate a second call (store.ErrClosed or nil).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("CreateGetRoundTrip", func(t *testing.T) { testRoundTrip(t, open(t)) })
	t.Run("TextFieldsRoundTripOrFailAtCreate", func(t *testing.T) { testTextFields(t, open(t)) })
	t.Run("DuplicateHandle", func(t *testing.T) { testDuplicateHandle(t, open(t)) })
	t.Run("IDsCompareExactly", func(t *testing.T) { testIDsExact(t, open(t)) })
	t.Run("GetMissingAndExpired", func(t *testing.T) { testGetExpired(t, open(t)) })
	t.Run("Rotate", func(t *testing.T) { testRotate(t, open(t)) })
	t.Run("RotateBrowserSessionExpiry", func(t *testing.T) { testRotateBrowserSessionExpiry(t, open(t)) })
	t.Run("RotateStale", func(t *testing.T) { testRotateStale(t, open(t)) })
	t.Run("RotateMissingOrExpired", func(t *testing.T) { testRotateMissing(t, open(t)) })
	t.Run("RotateRace", func(t *testing.T) { s := open(t); testRotateRace(t, s, s) })
	t.Run("UpdateWritesOnlyPayloadAndData", func(t *testing.T) { testUpdateOnlyPayloadData(t, open(t)) })
	t.Run("UpdateFnErrorAborts", func(t *testing.T) { testUpdateFnError(t, open(t)) })
	t.Run("UpdateMissingOrExpired", func(t *testing.T) { testUpdateMissing(t, open(t)) })
	t.Run("UpdateRace", func(t *testing.T) { s := open(t); testUpdateRace(t, s, s) })
	t.Run("UpdateRacingRotate", func(t *testing.T) { testUpdateRacingRotate(t, open(t)) })
	t.Run("DeleteSession", func(t *testing.T) { testDelete(t, open(t)) })
	t.Run("DeleteUserSessions", func(t *testing.T) { testDeleteUser(t, open(t)) })
	t.Run("ListUserSessions", func(t *testing.T) { testList(t, open(t)) })
	t.Run("MetadataRoundTrip", func(t *testing.T) { testMetadataRoundTrip(t, open(t)) })
	t.Run("RotateWritesRefreshedMetadata", func(t *testing.T) { testRotateMetadata(t, open(t)) })
	t.Run("CreateSessionLimited", func(t *testing.T) { testCreateLimited(t, open(t)) })
	t.Run("CreateSessionLimitedRace", func(t *testing.T) { s := open(t); testLimitRace(t, s, s) })
	t.Run("SigningKeys", func(t *testing.T) { testSigningKeys(t, open(t)) })
	t.Run("DuplicateSigningKey", func(t *testing.T) { testDuplicateKey(t, open(t)) })
	t.Run("SigningKeyFollows", func(t *testing.T) { testKeyFollows(t, open(t)) })
	t.Run("SigningKeyTurnRace", func(t *testing.T) { s := open(t); testKeyTurnRace(t, s, s) })
	t.Run("EnsureSecret", func(t *testing.T) { testEnsureSecret(t, open(t)) })
	t.Run("EnsureSecretRace", func(t *testing.T) { s := open(t); testEnsureSecretRace(t, s, s) })
	t.Run("DeleteExpired", func(t *testing.T) { testDeleteExpired(t, open(t)) })
	t.Run("Revocations", func(t *testing.T) { testRevocations(t, open(t)) })
	t.Run("RevocationsUpsert", func(t *testing.T) { testRevocationsUpsert(t, open(t)) })
	t.Run("RevocationsBadInput", func(t *testing.T) { testRevocationsBadInput(t, open(t)) })
	t.Run("CanceledContext", func(t *testing.T) { testCanceled(t, open(t)) })
	t.Run("Closed", func(t *testing.T) { testClosed(t, open(t)) })
}

// RunShared runs the tests that need two stores on one database (two
// engines, as two application instances would have). open returns two stores
// on the same new, empty database and arranges to close both.
func RunShared(t *testing.T, open func(t *testing.T) (a, b store.Store)) {
	t.Run("WritesVisibleAcross", func(t *testing.T) { a, b := open(t); testVisibleAcross(t, a, b) })
	t.Run("RotateRaceAcross", func(t *testing.T) { a, b := open(t); testRotateRace(t, a, b) })
	t.Run("UpdateRaceAcross", func(t *testing.T) { a, b := open(t); testUpdateRace(t, a, b) })
	t.Run("EnsureSecretRaceAcross", func(t *testing.T) { a, b := open(t); testEnsureSecretRace(t, a, b) })
	t.Run("RevocationsVisibleAcross", func(t *testing.T) { a, b := open(t); testRevocationsVisibleAcross(t, a, b) })
	t.Run("WatchRevocationsAcross", func(t *testing.T) { a, b := open(t); testWatchRevocationsAcross(t, a, b) })
	t.Run("SigningKeyTurnRaceAcross", func(t *testing.T) { a, b := open(t); testKeyTurnRace(t, a, b) })
	t.Run("CreateSessionLimitedRaceAcross", func(t *testing.T) { a, b := open(t); testLimitRace(t, a, b) })
}

// ---- helpers ----

func randBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// newSession returns a valid session with distinct, non-trivial field values.
func newSession(t testing.TB, handle, user string) *store.Session {
	t.Helper()
	return &store.Session{
		Handle:      handle,
		UserID:      user,
		RefreshHash: randBytes(t, 32),
		Generation:  0,
		RotatedAt:   base.Add(-time.Hour),
		ExpiresAt:   base.Add(24 * time.Hour),
		CreatedAt:   base.Add(-time.Hour),
		Payload:     []byte(`{"role":"admin"}`),
		Data:        []byte(`{"theme":"dark"}`),
		// Metadata as ginsession records it at sign-in (Refreshed* stay
		// empty until the first rotation).
		DeviceLabel:        "Work laptop",
		CreatedUserAgent:   "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
		CreatedIP:          "2001:db8::7",
		BrowserSessionOnly: true,
	}
}

func create(t testing.TB, s store.Store, sess *store.Session) {
	t.Helper()
	if err := s.CreateSession(context.Background(), sess); err != nil {
		t.Fatalf("CreateSession(%.40q): %v", sess.Handle, err)
	}
}

func get(t testing.TB, s store.Store, handle string) *store.Session {
	t.Helper()
	got, err := s.GetSession(context.Background(), handle, base)
	if err != nil {
		t.Fatalf("GetSession(%.40q): %v", handle, err)
	}
	return got
}

// sameTime reports whether got is the same instant as want, in UTC.
func checkTime(t testing.TB, field string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v (diff %v)", field, got, want, got.Sub(want))
	}
	if got.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", field, got.Location())
	}
}

func checkBytes(t testing.TB, field string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s = %.80q (len %d), want %.80q (len %d)", field, got, len(got), want, len(want))
	}
}

func checkSession(t testing.TB, got, want *store.Session) {
	t.Helper()
	if got.Handle != want.Handle {
		t.Errorf("Handle = %.80q, want %.80q", got.Handle, want.Handle)
	}
	if got.UserID != want.UserID {
		t.Errorf("UserID = %.80q, want %.80q", got.UserID, want.UserID)
	}
	checkBytes(t, "RefreshHash", got.RefreshHash, want.RefreshHash)
	checkBytes(t, "PrevRefreshHash", got.PrevRefreshHash, want.PrevRefreshHash)
	if got.Generation != want.Generation {
		t.Errorf("Generation = %d, want %d", got.Generation, want.Generation)
	}
	checkTime(t, "RotatedAt", got.RotatedAt, want.RotatedAt)
	checkTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkBytes(t, "Payload", got.Payload, want.Payload)
	checkBytes(t, "Data", got.Data, want.Data)
	checkMetadata(t, got, want)
}

// checkMetadata compares the six metadata fields.
func checkMetadata(t testing.TB, got, want *store.Session) {
	t.Helper()
	for _, f := range []struct{ name, got, want string }{
		{"DeviceLabel", got.DeviceLabel, want.DeviceLabel},
		{"CreatedUserAgent", got.CreatedUserAgent, want.CreatedUserAgent},
		{"CreatedIP", got.CreatedIP, want.CreatedIP},
		{"RefreshedUserAgent", got.RefreshedUserAgent, want.RefreshedUserAgent},
		{"RefreshedIP", got.RefreshedIP, want.RefreshedIP},
	} {
		if f.got != f.want {
			t.Errorf("%s = %.80q (len %d), want %.80q (len %d)", f.name, f.got, len(f.got), f.want, len(f.want))
		}
	}
	if got.BrowserSessionOnly != want.BrowserSessionOnly {
		t.Errorf("BrowserSessionOnly = %v, want %v", got.BrowserSessionOnly, want.BrowserSessionOnly)
	}
}

func clone(s *store.Session) *store.Session {
	c := *s
	c.RefreshHash = slices.Clone(s.RefreshHash)
	c.PrevRefreshHash = slices.Clone(s.PrevRefreshHash)
	c.Payload = slices.Clone(s.Payload)
	c.Data = slices.Clone(s.Data)
	return &c
}

// isDBFailure reports whether err is a real error that is neither "not
// found" nor "conflict".
func isDBFailure(err error) bool {
	return err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict)
}

// race runs fn(i) for i in [0, n) in n goroutines released at once, and
// returns their errors by index.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// ---- tests ----

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

func testEnsureSecret(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := append([]byte{0}, randBytes(t, 31)...)
	for i, offer := range [][]byte{first, randBytes(t, 32), randBytes(t, 32)} {
		got, err := s.EnsureSecret(ctx, "csrf", offer)
		if err != nil {
			t.Fatal(err)
		}
		checkBytes(t, fmt.Sprintf("EnsureSecret call %d", i+1), got, first)
	}
	other := randBytes(t, 16)
	got, err := s.EnsureSecret(ctx, "other", other)
	if err != nil {
		t.Fatal(err)
	}
	checkBytes(t, "EnsureSecret(other)", got, other)
}

func testEnsureSecretRace(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	for round := range Rounds {
		name := fmt.Sprintf("secret-%d", round)
		offers := make([][]byte, Racers)
		for i := range offers {
			offers[i] = randBytes(t, 32)
		}
		got := make([][]byte, Racers)
		errs := race(Racers, func(i int) error {
			s := a
			if i%2 == 1 {
				s = b
			}
			var err error
			got[i], err = s.EnsureSecret(ctx, name, offers[i])
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: caller %d: %v", round, i, err)
			}
			if !bytes.Equal(got[i], got[0]) {
				t.Fatalf("round %d: callers 0 and %d got different secrets", round, i)
			}
		}
		if !slices.ContainsFunc(offers, func(o []byte) bool { return bytes.Equal(o, got[0]) }) {
			t.Fatalf("round %d: the secret is none of the offered values", round)
		}
	}
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
// session "c" of user "u" and passes each error to check by method name. It
// fails t when the interface has a method it does not call, so a method
// added to store.Store cannot miss the canceled and closed tests.
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
	if err := s.WatchRevocations(ctx, func() {}); errors.Is(err, errors.ErrUnsupported) {
		called["WatchRevocations"] = true // a store that cannot push says so at once
	} else {
		call("WatchRevocations", err)
	}
	_, err = s.DeleteExpired(ctx, base.Add(1000*time.Hour))
	call("DeleteExpired", err)
	iface := reflect.TypeFor[store.Store]()
	for i := range iface.NumMethod() {
		if name := iface.Method(i).Name; !called[name] {
			t.Errorf("the suite does not call store.Store.%s here", name)
		}
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

func checkRevocation(t testing.TB, got, want store.Revocation) {
	t.Helper()
	if got.Handle != want.Handle {
		t.Errorf("Handle = %.80q, want %.80q", got.Handle, want.Handle)
	}
	checkTime(t, want.Handle+" RevokedAt", got.RevokedAt, want.RevokedAt)
	checkTime(t, want.Handle+" ExpiresAt", got.ExpiresAt, want.ExpiresAt)
}

// since returns s.RevocationsSince(since, now), failing t on an error.
func since(t testing.TB, s store.Store, since, now time.Time) []store.Revocation {
	t.Helper()
	got, err := s.RevocationsSince(context.Background(), since, now)
	if err != nil {
		t.Fatalf("RevocationsSince(base%+v, base%+v): %v", since.Sub(base), now.Sub(base), err)
	}
	return got
}

func checkRevocations(t testing.TB, what string, got []store.Revocation, want ...store.Revocation) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
	for i := range want {
		checkRevocation(t, got[i], want[i])
	}
}

// testRevocations: what AddRevocations records comes back exactly (in UTC,
// to the microsecond), oldest first; since is inclusive, ExpiresAt must be
// after now; an empty batch is fine.
func testRevocations(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.AddRevocations(ctx, nil); err != nil {
		t.Fatalf("AddRevocations(none): %v", err)
	}
	checkRevocations(t, "RevocationsSince on an empty log", since(t, s, base.Add(-time.Hour), base))
	r1 := store.Revocation{Handle: "h1", RevokedAt: base.Add(-time.Minute + time.Microsecond), ExpiresAt: base.Add(time.Hour)}
	r2 := store.Revocation{Handle: "h2 ' OR 1=1 -- 😀", RevokedAt: base.Add(-2 * time.Minute), ExpiresAt: base.Add(time.Microsecond)}
	r3 := store.Revocation{Handle: "h3", RevokedAt: base, ExpiresAt: base.Add(2 * time.Hour)}
	if err := s.AddRevocations(ctx, []store.Revocation{r1, r2}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRevocations(ctx, []store.Revocation{r3}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		since, now time.Time
		want       []store.Revocation
	}{
		{base.Add(-time.Hour), base, []store.Revocation{r2, r1, r3}},
		{r2.RevokedAt, base, []store.Revocation{r2, r1, r3}}, // since is inclusive
		{r2.RevokedAt.Add(time.Microsecond), base, []store.Revocation{r1, r3}},
		{base, base, []store.Revocation{r3}},
		{base.Add(time.Microsecond), base, nil},
		{base.Add(-time.Hour), r2.ExpiresAt, []store.Revocation{r1, r3}}, // ExpiresAt must be after now
		{base.Add(-time.Hour), r1.ExpiresAt, []store.Revocation{r3}},
		{base.Add(-time.Hour), base.Add(3 * time.Hour), nil},
	} {
		checkRevocations(t, fmt.Sprintf("RevocationsSince(base%+v, base%+v)", c.since.Sub(base), c.now.Sub(base)), since(t, s, c.since, c.now), c.want...)
	}
}

// testRevocationsUpsert: recording a handle again updates its times
// instead of failing or adding a second row.
func testRevocationsUpsert(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := store.Revocation{Handle: "h", RevokedAt: base.Add(-time.Hour), ExpiresAt: base.Add(time.Hour)}
	if err := s.AddRevocations(ctx, []store.Revocation{first}); err != nil {
		t.Fatal(err)
	}
	again := store.Revocation{Handle: "h", RevokedAt: base.Add(time.Minute), ExpiresAt: base.Add(3 * time.Hour)}
	other := store.Revocation{Handle: "o", RevokedAt: base, ExpiresAt: base.Add(time.Hour)}
	if err := s.AddRevocations(ctx, []store.Revocation{again, other}); err != nil {
		t.Fatalf("AddRevocations of a recorded handle: %v", err)
	}
	checkRevocations(t, "RevocationsSince after the update", since(t, s, base.Add(-2*time.Hour), base), other, again)
	// A batch naming one handle twice ends with one row.
	twice := []store.Revocation{{Handle: "t", RevokedAt: base, ExpiresAt: base.Add(time.Hour)}, {Handle: "t", RevokedAt: base.Add(2 * time.Minute), ExpiresAt: base.Add(2 * time.Hour)}}
	if err := s.AddRevocations(ctx, twice); err != nil {
		t.Fatalf("AddRevocations with a handle twice: %v", err)
	}
	checkRevocations(t, "RevocationsSince after a batch with a handle twice", since(t, s, base.Add(90*time.Second), base), twice[1])
}

// testRevocationsBadInput: an empty handle, a NUL byte or invalid UTF-8 is
// refused with a plain error, and the whole batch with it.
func testRevocationsBadInput(t *testing.T, s store.Store) {
	ctx := context.Background()
	good := store.Revocation{Handle: "good", RevokedAt: base, ExpiresAt: base.Add(time.Hour)}
	for name, h := range map[string]string{"empty": "", "nul": "a\x00b", "utf8": "bad \xff\xfe"} {
		bad := store.Revocation{Handle: h, RevokedAt: base, ExpiresAt: base.Add(time.Hour)}
		if err := s.AddRevocations(ctx, []store.Revocation{good, bad}); !isDBFailure(err) {
			t.Errorf("AddRevocations(%s handle) err = %v, want a plain error", name, err)
		}
	}
	checkRevocations(t, "RevocationsSince after refused batches", since(t, s, base.Add(-time.Hour), base))
}

// testRevocationsVisibleAcross: what one instance records, the other reads.
func testRevocationsVisibleAcross(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	r := store.Revocation{Handle: "h", RevokedAt: base, ExpiresAt: base.Add(time.Hour)}
	if err := a.AddRevocations(ctx, []store.Revocation{r}); err != nil {
		t.Fatal(err)
	}
	checkRevocations(t, "b.RevocationsSince", since(t, b, base.Add(-time.Minute), base), r)
	r.RevokedAt, r.ExpiresAt = base.Add(time.Second), base.Add(2*time.Hour)
	if err := b.AddRevocations(ctx, []store.Revocation{r}); err != nil {
		t.Fatal(err)
	}
	checkRevocations(t, "a.RevocationsSince after b's update", since(t, a, base.Add(-time.Minute), base), r)
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

// testWatchRevocationsAcross: a store that can push tells a watcher on one
// store of revocations added through another, and stops when its context
// ends. A store that cannot push must say so at once (ErrUnsupported).
func testWatchRevocationsAcross(t *testing.T, a, b store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	told := make(chan struct{}, 64)
	done := make(chan error, 1)
	go func() {
		done <- a.WatchRevocations(ctx, func() {
			select {
			case told <- struct{}{}:
			default:
			}
		})
	}()
	select {
	case err := <-done:
		if errors.Is(err, errors.ErrUnsupported) {
			t.Log("this store cannot push revocations (ErrUnsupported): readers poll")
			return
		}
		t.Fatalf("WatchRevocations returned %v before its context ended", err)
	case <-told: // listening
	case <-time.After(10 * time.Second):
		t.Fatal("WatchRevocations neither started listening (first notify) nor returned ErrUnsupported within 10 s")
	}
	for round := range 3 {
		h := fmt.Sprintf("pushed-%d", round)
		if err := b.AddRevocations(context.Background(), []store.Revocation{{Handle: h, RevokedAt: base, ExpiresAt: base.Add(time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-told:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: no notification within 10 s of b.AddRevocations", round)
		}
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("WatchRevocations after its context ended: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WatchRevocations did not return within 10 s of its context ending")
	}
}
