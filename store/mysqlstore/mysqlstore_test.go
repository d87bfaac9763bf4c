package mysqlstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/internal/mysqltest"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/mysqlstore"
)

func TestMain(m *testing.M) { mysqltest.Main(m) }

func open(t *testing.T, dsn string) *gormstore.GORMStore {
	t.Helper()
	s, err := mysqlstore.Open(dsn, gormstore.Options{CleanupInterval: -1})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Values longer than their column are refused with an error, and nothing
// is stored: never cut to fit (strict mode), where a cut handle could
// collide with another.
func TestTooLongIsRefusedNotCut(t *testing.T) {
	s := open(t, mysqltest.NewDatabase(t))
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	long := strings.Repeat("h", 300)
	err := s.CreateSession(ctx, &store.Session{Handle: long, UserID: "u", RefreshHash: []byte{1}, RotatedAt: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		t.Fatalf("CreateSession with a 300-byte handle: err = %v, want a plain error", err)
	}
	for _, h := range []string{long, long[:255]} {
		if _, err := s.GetSession(ctx, h, now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetSession(%d bytes) err = %v, want ErrNotFound", len(h), err)
		}
	}
	if err := s.AddRevocations(ctx, []store.Revocation{{Handle: long, RevokedAt: now, ExpiresAt: now.Add(time.Hour)}}); err == nil {
		t.Fatal("AddRevocations with a 300-byte handle succeeded")
	}
	// The limit itself works, and a 64 KiB-bound user id takes 10 KiB.
	ok := &store.Session{Handle: long[:255], UserID: strings.Repeat("u", 10<<10), RefreshHash: []byte{1}, RotatedAt: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, ok); err != nil {
		t.Fatalf("CreateSession with a 255-byte handle: %v", err)
	}
	if got, err := s.GetSession(ctx, ok.Handle, now); err != nil || got.UserID != ok.UserID {
		t.Fatalf("GetSession: %v", err)
	}
}

// Open against nothing fails with an error that names the opener and does
// not show the password.
func TestOpenUnreachable(t *testing.T) {
	_, err := mysqlstore.Open("mysql://app:hunter2@127.0.0.1:1/db?timeout=2s", gormstore.Options{})
	if err == nil {
		t.Fatal("Open on port 1 succeeded")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error shows the password: %v", err)
	}
	if _, err := mysqlstore.Open("mysql://app@127.0.0.1/db", gormstore.Options{MaxOpenConns: -1}); err == nil || !strings.Contains(err.Error(), "MaxOpenConns") {
		t.Fatalf("negative MaxOpenConns: err = %v", err)
	}
}
