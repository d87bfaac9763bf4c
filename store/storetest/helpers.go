package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

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
