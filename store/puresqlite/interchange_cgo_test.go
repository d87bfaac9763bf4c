//go:build cgo

package puresqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/puresqlite"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

// TestInterchangeWithSQLiteStore (cgo only): a file store/sqlitestore made
// and wrote opens with puresqlite, which reads and rotates the session, and
// sqlitestore then reads puresqlite's write: both drivers write timestamps
// in the same layout, so an application can move from one to the other on
// its existing file.
func TestInterchangeWithSQLiteStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)

	cgoStore, err := sqlitestore.Open(path, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = cgoStore.CreateSession(ctx, &store.Session{
		Handle: "h1", UserID: "alice", RefreshHash: []byte("refresh 1"),
		RotatedAt: now, ExpiresAt: now.Add(time.Hour), CreatedAt: now,
		Payload: []byte(`{}`), Data: []byte(`{}`),
	})
	if cerr := cgoStore.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	pure, err := puresqlite.Open(path, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := pure.GetSession(ctx, "h1", now)
	if err != nil || sess.UserID != "alice" || !sess.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("puresqlite read %+v, %v; want alice's session expiring at %v", sess, err, now.Add(time.Hour))
	}
	rotated := now.Add(time.Minute)
	_, err = pure.RotateSession(ctx, "h1", []byte("refresh 1"), store.Rotation{
		NewRefreshHash: []byte("refresh 2"), RotatedAt: rotated, ExpiresAt: rotated.Add(time.Hour),
	})
	if cerr := pure.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	cgoStore, err = sqlitestore.Open(path, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cgoStore.Close()
	sess, err = cgoStore.GetSession(ctx, "h1", rotated)
	if err != nil || sess.Generation != 1 || !sess.ExpiresAt.Equal(rotated.Add(time.Hour)) || string(sess.RefreshHash) != "refresh 2" {
		t.Fatalf("sqlitestore read %+v, %v; want generation 1 expiring at %v", sess, err, rotated.Add(time.Hour))
	}
}
