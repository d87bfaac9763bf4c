package gormstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
)

// lockWaiters returns a function that waits until n statements of s's
// database wait for a row lock (SQLite: a fixed pause, its writers queue in
// Go).
func lockWaiters(t *testing.T, b backend, s *gormstore.GORMStore) func(n int) {
	var q string
	switch b.name {
	case "Postgres":
		q = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
	case "MariaDB":
		// INNODB_TRX's trx_state does not reliably show LOCK WAIT on 10.11:
		// count the statements of this database running for over 200 ms
		// (in this test, only lock waits take that long).
		q = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE db = DATABASE() AND command = 'Execute' AND time_ms > 200"
	default:
		return func(int) { time.Sleep(300 * time.Millisecond) }
	}
	return func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var got int64
			if err := s.DB().Raw(q).Scan(&got).Error; err != nil {
				t.Fatal(err)
			}
			if got >= int64(n) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d statements wait for a lock after 10s, want %d", got, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// Signing out one session (DeleteSession) while the same user signs out
// everywhere (DeleteUserSessions) must not fail either call: the session is
// removed once, by one of them. Both wait here for a third writer that
// holds the row (an UpdateSession whose callback is still running), so
// they meet at the row in a fixed order: the single sign-out first.
// Postgres and SQLite serialise the three on the row. On MariaDB,
// DeleteUserSessions locks the user_id index entry before the row, and the
// DELETE by handle locks the row before the user_id index entry it must
// remove: InnoDB reports a deadlock and rolls one of them back, and neither
// retries it.
func TestSignOutRacesSignOutEverywhere(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.openOn(t, b.newDB(t), gormstore.Options{CleanupInterval: -1})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			now := time.Now().UTC().Truncate(time.Microsecond)
			for _, h := range []string{"h1", "h2"} {
				if err := s.CreateSession(ctx, &store.Session{Handle: h, UserID: "u", RefreshHash: []byte("r-" + h),
					RotatedAt: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			waiters := lockWaiters(t, b, s)

			entered, release := make(chan struct{}), make(chan struct{})
			updated := make(chan error, 1)
			go func() {
				updated <- s.UpdateSession(ctx, "h2", now, func(*store.Session) error {
					close(entered)
					<-release
					return nil
				})
			}()
			<-entered

			type deleted struct {
				ok  bool
				err error
			}
			one := make(chan deleted, 1)
			go func() {
				ok, err := s.DeleteSession(ctx, "h2")
				one <- deleted{ok, err}
			}()
			waiters(1)
			type deletedAll struct {
				handles []string
				err     error
			}
			all := make(chan deletedAll, 1)
			go func() {
				hs, err := s.DeleteUserSessions(ctx, "u")
				all <- deletedAll{hs, err}
			}()
			waiters(2)
			close(release)

			if err := <-updated; err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Errorf("UpdateSession: %v", err)
			}
			d1, d2 := <-one, <-all
			if d1.err != nil {
				t.Errorf("DeleteSession(h2): %v", d1.err)
			}
			if d2.err != nil {
				t.Errorf("DeleteUserSessions(u): %v", d2.err)
			}
			if d1.err == nil && d2.err == nil && d1.ok == slices.Contains(d2.handles, "h2") {
				t.Errorf("h2 removed by DeleteSession: %v, in DeleteUserSessions' handles %v: want exactly one", d1.ok, d2.handles)
			}
			for _, h := range []string{"h1", "h2"} {
				if _, err := s.GetSession(ctx, h, now); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("GetSession(%s) after both sign-outs: err = %v, want ErrNotFound", h, err)
				}
			}
		})
	}
}

// CreateSessionLimited and DeleteUserSessions of one user wait for the
// per-user lock (held here by a transaction of the test's), across stores;
// another user's are not held up.
func TestUserLockSerialisesCapAndSignOutEverywhere(t *testing.T) {
	for _, b := range backends {
		if b.name == "SQLite" {
			continue // the database's write lock: nothing per user
		}
		t.Run(b.name, func(t *testing.T) {
			where := b.newDB(t)
			s := b.openOn(t, where, gormstore.Options{CleanupInterval: -1})
			other := b.openOn(t, where, gormstore.Options{CleanupInterval: -1})
			ctx := context.Background()
			now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			sess := func(h, u string) *store.Session {
				return &store.Session{Handle: h, UserID: u, RefreshHash: []byte("r"), RotatedAt: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			}
			if err := s.CreateSession(ctx, sess("old", "u")); err != nil {
				t.Fatal(err)
			}
			release, err := HoldUserLockForTest(s, "u")
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if release != nil {
					release()
				}
			}()
			created := make(chan error, 1)
			deleted := make(chan []string, 1)
			go func() {
				_, err := other.CreateSessionLimited(ctx, sess("new", "u"), now, store.SessionLimit{Max: 5})
				created <- err
			}()
			go func() {
				hs, err := s.DeleteUserSessions(ctx, "u")
				if err != nil {
					t.Error(err)
				}
				deleted <- hs
			}()
			lockWaiters(t, b, s)(2)
			// Another user passes.
			if _, err := s.CreateSessionLimited(ctx, sess("v1", "v"), now, store.SessionLimit{Max: 1}); err != nil {
				t.Fatal(err)
			}
			if hs, err := other.DeleteUserSessions(ctx, "v"); err != nil || !slices.Equal(hs, []string{"v1"}) {
				t.Fatalf("DeleteUserSessions(v) = %q, %v", hs, err)
			}
			select {
			case err := <-created:
				t.Fatalf("CreateSessionLimited returned while the user's lock was held: %v", err)
			case hs := <-deleted:
				t.Fatalf("DeleteUserSessions returned %q while the user's lock was held", hs)
			case <-time.After(200 * time.Millisecond):
			}
			release()
			release = nil
			if err := <-created; err != nil {
				t.Fatal(err)
			}
			hs := <-deleted
			// In either order the sign-out removed "old"; "new" is gone
			// with it or remains after it, reported by exactly one side.
			rest, err := s.ListUserSessions(ctx, "u", now)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case slices.Contains(hs, "new") && len(rest) == 0:
			case !slices.Contains(hs, "new") && len(rest) == 1 && rest[0].Handle == "new":
			default:
				t.Fatalf("DeleteUserSessions = %q, then sessions %d", hs, len(rest))
			}
			if !slices.Contains(hs, "old") {
				t.Fatalf("DeleteUserSessions = %q, want old among them", hs)
			}
		})
	}
}
