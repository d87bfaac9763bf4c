package gormstore_test

// gormstore's test hooks (store/gormstore/testhooks.go, handed over through
// internal/gormhooks) with their types: what an export_test.go beside the
// package would declare.

import (
	"context"
	"time"

	"github.com/ginsession/ginsession/internal/gormhooks"
	"github.com/ginsession/ginsession/store/gormstore"
)

// CleanupHooks are the test hooks of the cleanup loop.
type CleanupHooks = gormhooks.Cleanup

// CloseHandlesForTest closes the database handles under s without closing s,
// so tests can see how the store reports a database that stopped working.
func CloseHandlesForTest(s *gormstore.GORMStore) { gormhooks.CloseHandles(s) }

// OpenWithHooksForTest calls open with h installed in the store it creates
// before its cleanup loop starts.
func OpenWithHooksForTest(h CleanupHooks, open func() (*gormstore.GORMStore, error)) (*gormstore.GORMStore, error) {
	v, err := gormhooks.OpenWithHooks(h, func() (any, error) {
		st, err := open()
		if st == nil {
			return nil, err
		}
		return st, err
	})
	st, _ := v.(*gormstore.GORMStore)
	return st, err
}

// SetCleanupHooksForTest installs h in a store without a cleanup loop.
func SetCleanupHooksForTest(s *gormstore.GORMStore, h CleanupHooks) { gormhooks.SetCleanupHooks(s, h) }

// CleanupRoundForTest runs one round of the cleanup loop: take the lease,
// delete, keep the lease for every.
func CleanupRoundForTest(ctx context.Context, s *gormstore.GORMStore, every time.Duration) {
	gormhooks.CleanupRound(ctx, s, every)
}

// TakeLeaseForTest tries to take the cleanup lease for d.
func TakeLeaseForTest(ctx context.Context, s *gormstore.GORMStore, d time.Duration) (bool, error) {
	return gormhooks.TakeLease(ctx, s, d)
}

// LeaseHolderForTest returns the id s writes into the leases table.
func LeaseHolderForTest(s *gormstore.GORMStore) string { return gormhooks.LeaseHolder(s) }

// KillLoopForTest stops the cleanup loop the way a crash would: the lease
// it holds is neither released now nor by Close.
func KillLoopForTest(s *gormstore.GORMStore) { gormhooks.KillLoop(s) }

// HoldUserLockForTest takes the per-user lock of CreateSessionLimited and
// DeleteUserSessions for userID in a transaction of its own and holds it
// until release is called.
func HoldUserLockForTest(s *gormstore.GORMStore, userID string) (release func(), err error) {
	return gormhooks.HoldUserLock(s, userID)
}
