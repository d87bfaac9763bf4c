package gormstore

import (
	"context"
	"sync"
	"time"

	"gorm.io/gorm"
)

// CloseHandlesForTest closes the database handles under s without closing s,
// so tests can see how the store reports a database that stopped working.
func CloseHandlesForTest(s *GORMStore) {
	for _, db := range s.owned {
		_ = db.Close()
	}
}

// CleanupHooks are the test hooks of the cleanup loop.
type CleanupHooks struct {
	OnRun    func(started bool)                              // around a run that holds the lease
	OnBatch  func(table string, rows int64, d time.Duration) // after each DELETE statement
	RunLease time.Duration                                   // lease length during a run; 0 keeps the default
}

func (h CleanupHooks) install(s *GORMStore) {
	s.cleanup.onRun = h.OnRun
	s.cleanup.onBatch = h.OnBatch
	if h.RunLease > 0 {
		s.cleanup.runLease = h.RunLease
	}
}

var hookMu sync.Mutex

// OpenWithHooksForTest calls open with h installed in the store it creates
// before its cleanup loop starts.
func OpenWithHooksForTest(h CleanupHooks, open func() (*GORMStore, error)) (*GORMStore, error) {
	hookMu.Lock()
	defer hookMu.Unlock()
	f := h.install
	newStoreHook.Store(&f)
	defer newStoreHook.Store(nil)
	return open()
}

// SetCleanupHooksForTest installs h in a store without a cleanup loop.
func SetCleanupHooksForTest(s *GORMStore, h CleanupHooks) { h.install(s) }

// CleanupRoundForTest runs one round of the cleanup loop: take the lease,
// delete, keep the lease for every.
func CleanupRoundForTest(ctx context.Context, s *GORMStore, every time.Duration) {
	s.cleanupRound(ctx, every)
}

// TakeLeaseForTest tries to take the cleanup lease for d.
func TakeLeaseForTest(ctx context.Context, s *GORMStore, d time.Duration) (bool, error) {
	return s.takeLease(ctx, d)
}

// LeaseHolderForTest returns the id s writes into the leases table.
func LeaseHolderForTest(s *GORMStore) string { return s.cleanup.holder }

// KillLoopForTest stops the cleanup loop the way a crash would: the lease
// it holds is neither released now nor by Close.
func KillLoopForTest(s *GORMStore) {
	if s.stopLoop != nil {
		s.stopLoop()
		<-s.loopDone
		s.stopLoop = nil
	}
	s.cleanup.held = false
}

// HoldUserLockForTest takes the per-user lock of CreateSessionLimited and
// DeleteUserSessions for userID in a transaction of its own and holds it
// until release is called.
func HoldUserLockForTest(s *GORMStore, userID string) (release func(), err error) {
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
