package gormstore

// The test hooks of this package's black-box suite (integration/gormstore,
// in the integration module, where an export_test.go cannot reach), handed
// to it through internal/gormhooks. Nothing calls them but tests.

import (
	"context"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/ginsession/ginsession/internal/gormhooks"
)

func init() {
	gormhooks.CloseHandles = func(s any) { closeHandlesForTest(s.(*GORMStore)) }
	gormhooks.OpenWithHooks = func(h gormhooks.Cleanup, open func() (any, error)) (any, error) {
		st, err := openWithHooksForTest(h, func() (*GORMStore, error) {
			v, err := open()
			st, _ := v.(*GORMStore)
			return st, err
		})
		if st == nil {
			return nil, err // not a nil *GORMStore in an any
		}
		return st, err
	}
	gormhooks.SetCleanupHooks = func(s any, h gormhooks.Cleanup) { setCleanupHooksForTest(s.(*GORMStore), h) }
	gormhooks.CleanupRound = func(ctx context.Context, s any, every time.Duration) {
		cleanupRoundForTest(ctx, s.(*GORMStore), every)
	}
	gormhooks.TakeLease = func(ctx context.Context, s any, d time.Duration) (bool, error) {
		return takeLeaseForTest(ctx, s.(*GORMStore), d)
	}
	gormhooks.LeaseHolder = func(s any) string { return leaseHolderForTest(s.(*GORMStore)) }
	gormhooks.KillLoop = func(s any) { killLoopForTest(s.(*GORMStore)) }
	gormhooks.HoldUserLock = func(s any, userID string) (func(), error) {
		return holdUserLockForTest(s.(*GORMStore), userID)
	}
}

// closeHandlesForTest closes the database handles under s without closing s,
// so tests can see how the store reports a database that stopped working.
func closeHandlesForTest(s *GORMStore) {
	for _, db := range s.owned {
		_ = db.Close()
	}
}

// installCleanupHooks installs the cleanup loop's test hooks h in s.
func installCleanupHooks(h gormhooks.Cleanup, s *GORMStore) {
	s.cleanup.onRun = h.OnRun
	s.cleanup.onBatch = h.OnBatch
	if h.RunLease > 0 {
		s.cleanup.runLease = h.RunLease
	}
}

var hookMu sync.Mutex

// openWithHooksForTest calls open with h installed in the store it creates
// before its cleanup loop starts.
func openWithHooksForTest(h gormhooks.Cleanup, open func() (*GORMStore, error)) (*GORMStore, error) {
	hookMu.Lock()
	defer hookMu.Unlock()
	f := func(s *GORMStore) { installCleanupHooks(h, s) }
	newStoreHook.Store(&f)
	defer newStoreHook.Store(nil)
	return open()
}

// setCleanupHooksForTest installs h in a store without a cleanup loop.
func setCleanupHooksForTest(s *GORMStore, h gormhooks.Cleanup) { installCleanupHooks(h, s) }

// cleanupRoundForTest runs one round of the cleanup loop: take the lease,
// delete, keep the lease for every.
func cleanupRoundForTest(ctx context.Context, s *GORMStore, every time.Duration) {
	s.cleanupRound(ctx, every)
}

// takeLeaseForTest tries to take the cleanup lease for d.
func takeLeaseForTest(ctx context.Context, s *GORMStore, d time.Duration) (bool, error) {
	return s.takeLease(ctx, d)
}

// leaseHolderForTest returns the id s writes into the leases table.
func leaseHolderForTest(s *GORMStore) string { return s.cleanup.holder }

// killLoopForTest stops the cleanup loop the way a crash would: the lease
// it holds is neither released now nor by Close.
func killLoopForTest(s *GORMStore) {
	if s.stopLoop != nil {
		s.stopLoop()
		<-s.loopDone
		s.stopLoop = nil
	}
	s.cleanup.held = false
}

// holdUserLockForTest takes the per-user lock of CreateSessionLimited and
// DeleteUserSessions for userID in a transaction of its own and holds it
// until release is called.
func holdUserLockForTest(s *GORMStore, userID string) (release func(), err error) {
	held := make(chan error, 1)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		_ = s.write.Transaction(func(tx *gorm.DB) error {
			if err := s.lockUser(tx, userID); err != nil {
				held <- err
				return err
			}
			held <- nil
			<-done
			return nil
		}, s.userTxOptions()...)
	}()
	if err := <-held; err != nil {
		<-finished
		return nil, err
	}
	return func() { close(done); <-finished }, nil
}
