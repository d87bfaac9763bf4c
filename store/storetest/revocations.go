package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

// revocationChecks are the checks of RevocationLog, in the order
// RunRevocations runs them.
var revocationChecks = []check{
	{"Revocations", testRevocations},
	{"RevocationsUpsert", testRevocationsUpsert},
	{"RevocationsBadInput", testRevocationsBadInput},
}

// RunRevocations runs the checks of RevocationLog against the stores open
// returns (see Run).
func RunRevocations(t *testing.T, open func(t *testing.T) store.Store) {
	runChecks(t, open, revocationChecks)
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
