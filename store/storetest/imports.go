package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

var importChecks = []check{
	{"ImportSessionsStoresNewAndKeepsPresent", testImportSessions},
	{"ImportSessionsNeverBringsBackADeletedSession", testImportNoResurrection},
	{"ImportSessionsRefusesABadBatchWhole", testImportRefusesWhole},
	{"ImportSessionsManyInOneCall", testImportMany},
	{"ImportedSessionRotatesOnceFromItsHash", testImportedRotation},
	{"ImportKeyOnceAndUntilExpiry", testImportKeys},
}

// RunImports checks store.Importer, which Run checks too when the store
// has it; a backend that means to import calls this to fail when it has
// not.
func RunImports(t *testing.T, open func(t *testing.T) store.Store) {
	if store.ImporterOf(open(t)) == nil {
		t.Fatal("store has no store.Importer")
	}
	runChecks(t, open, importChecks)
}

func importer(t *testing.T, s store.Store) store.Importer {
	t.Helper()
	imp := store.ImporterOf(s)
	if imp == nil {
		t.Skip("store has no store.Importer")
	}
	return imp
}

func importSessions(t *testing.T, imp store.Importer, want int, sessions ...*store.Session) {
	t.Helper()
	in := make([]store.Session, len(sessions))
	for i, s := range sessions {
		in[i] = *s
	}
	n, err := imp.ImportSessions(context.Background(), in)
	if err != nil {
		t.Fatalf("ImportSessions: %v", err)
	}
	if n != want {
		t.Fatalf("ImportSessions stored %d, want %d", n, want)
	}
}

func testImportSessions(t *testing.T, s store.Store) {
	imp := importer(t, s)
	a, b := newSession(t, "imp-a", "user-1"), newSession(t, "imp-b", "user-2")
	importSessions(t, imp, 2, a, b)
	for _, want := range []*store.Session{a, b} {
		got := get(t, s, want.Handle)
		checkBytes(t, "RefreshHash", got.RefreshHash, want.RefreshHash)
		checkBytes(t, "Payload", got.Payload, want.Payload)
		checkBytes(t, "Data", got.Data, want.Data)
		checkTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
		checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
		if got.UserID != want.UserID || got.DeviceLabel != want.DeviceLabel {
			t.Errorf("imported %+v, want %+v", got, want)
		}
	}
	// Again, with one new session and a changed copy of a: only the new one is stored.
	changed := *a
	changed.Payload = []byte(`{"role":"changed"}`)
	importSessions(t, imp, 1, &changed, b, newSession(t, "imp-c", "user-1"))
	checkBytes(t, "Payload after a second import", get(t, s, "imp-a").Payload, a.Payload)

	// A session ginsession created itself is never overwritten by an import.
	own := newSession(t, "own-1", "user-3")
	create(t, s, own)
	other := newSession(t, "own-1", "user-4")
	importSessions(t, imp, 0, other)
	if got := get(t, s, "own-1"); got.UserID != "user-3" {
		t.Fatalf("an import overwrote a session: user %q", got.UserID)
	}
	// A handle given twice in one call is stored once.
	d := newSession(t, "imp-d", "user-5")
	importSessions(t, imp, 1, d, d)
}

func testImportNoResurrection(t *testing.T, s store.Store) {
	imp := importer(t, s)
	a := newSession(t, "gone-1", "user-1")
	importSessions(t, imp, 1, a)
	if ok, err := s.DeleteSession(context.Background(), a.Handle); err != nil || !ok {
		t.Fatalf("DeleteSession: %v %v", ok, err)
	}
	importSessions(t, imp, 0, a)
	if _, err := s.GetSession(context.Background(), a.Handle, base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a signed-out session came back with the second import: %v", err)
	}
}

func testImportRefusesWhole(t *testing.T, s store.Store) {
	imp := importer(t, s)
	good, bad := newSession(t, "whole-1", "user-1"), newSession(t, "", "user-2")
	if _, err := imp.ImportSessions(context.Background(), []store.Session{*good, *bad}); err == nil {
		t.Fatal("a session without a handle was accepted")
	}
	if _, err := s.GetSession(context.Background(), good.Handle, base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("part of a refused batch was stored: %v", err)
	}
	importSessions(t, imp, 1, good)
}

func testImportMany(t *testing.T, s store.Store) {
	imp := importer(t, s)
	var all []*store.Session
	for i := range 1234 {
		all = append(all, newSession(t, fmt.Sprintf("many-%04d", i), fmt.Sprintf("user-%d", i%17)))
	}
	importSessions(t, imp, 1234, all...)
	importSessions(t, imp, 0, all...)
	list, err := s.ListUserSessions(context.Background(), "user-3", base)
	if err != nil {
		t.Fatal(err)
	}
	if want := (1234 + 17 - 1 - 3) / 17; len(list) != want {
		t.Fatalf("user-3 has %d imported sessions, want %d", len(list), want)
	}
}

func testImportedRotation(t *testing.T, s store.Store) {
	imp := importer(t, s)
	a := newSession(t, "rot-1", "user-1")
	importSessions(t, imp, 1, a)
	r := store.Rotation{NewRefreshHash: randBytes(t, 32), RotatedAt: base, ExpiresAt: base.Add(48 * time.Hour)}
	got, err := s.RotateSession(context.Background(), a.Handle, a.RefreshHash, r)
	if err != nil {
		t.Fatalf("rotating an imported session from its hash: %v", err)
	}
	checkBytes(t, "PrevRefreshHash", got.PrevRefreshHash, a.RefreshHash)
	if _, err := s.RotateSession(context.Background(), a.Handle, a.RefreshHash, r); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second rotation from the imported hash: %v, want ErrConflict", err)
	}
}

func testImportKeys(t *testing.T, s store.Store) {
	imp := importer(t, s)
	ctx := context.Background()
	k := &store.ImportedKey{ID: "d-1700000000000", Issuer: "supertokens-core:public", Algorithm: "RS256",
		Key: randBytes(t, 294), CreatedAt: base.Add(-time.Hour), ExpiresAt: base.Add(time.Hour)}
	static := &store.ImportedKey{ID: "s-0b8ad1f4", Issuer: "supertokens-core:public", Algorithm: "RS256",
		Key: randBytes(t, 294), CreatedAt: base.Add(-1000 * time.Hour), ExpiresAt: base.Add(1000 * time.Hour)}
	for _, key := range []*store.ImportedKey{k, static} {
		if added, err := imp.ImportKey(ctx, key); err != nil || !added {
			t.Fatalf("ImportKey(%s): %v %v", key.ID, added, err)
		}
	}
	again := *k
	again.Key = randBytes(t, 10)
	if added, err := imp.ImportKey(ctx, &again); err != nil || added {
		t.Fatalf("ImportKey of a present id: added %v, %v", added, err)
	}
	got, err := imp.ImportedKeys(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != k.ID || got[1].ID != static.ID {
		t.Fatalf("ImportedKeys = %+v", got)
	}
	checkBytes(t, "Key", got[0].Key, k.Key)
	checkTime(t, "ExpiresAt", got[0].ExpiresAt, k.ExpiresAt)
	checkTime(t, "CreatedAt", got[1].CreatedAt, static.CreatedAt)
	if got[0].Issuer != k.Issuer || got[0].Algorithm != "RS256" {
		t.Fatalf("ImportedKeys[0] = %+v", got[0])
	}
	if keys, err := s.SigningKeys(ctx, base); err != nil || len(keys) != 0 {
		t.Fatalf("imported keys appear among the signing keys: %v %v", keys, err)
	}
	later, err := imp.ImportedKeys(ctx, k.ExpiresAt)
	if err != nil || len(later) != 1 || later[0].ID != static.ID {
		t.Fatalf("ImportedKeys at the dynamic key's expiry = %+v, %v", later, err)
	}
	if n, err := s.DeleteExpired(ctx, k.ExpiresAt); err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want the expired imported key", n, err)
	}
	if _, err := imp.ImportKey(ctx, &store.ImportedKey{ID: "x", Issuer: "i", Algorithm: "RS256"}); err == nil {
		t.Fatal("a key without key material was accepted")
	}
}
