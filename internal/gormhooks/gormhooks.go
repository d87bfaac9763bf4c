// Package gormhooks hands store/gormstore's test hooks to gormstore's
// black-box suite, which lives in the integration module
// (integration/gormstore: it runs on Postgres and MariaDB too, whose drivers
// stay out of the library's module) where an export_test.go of gormstore
// cannot reach. gormstore sets these functions when it is initialised
// (store/gormstore/testhooks.go); only tests call them. A store is passed as
// any, a *gormstore.GORMStore: this package cannot name the type, since
// gormstore imports it. The suite's hooks_test.go wraps them with types.
package gormhooks

import (
	"context"
	"time"
)

// Cleanup are the test hooks of the cleanup loop.
type Cleanup struct {
	OnRun    func(started bool)                              // around a run that holds the lease
	OnBatch  func(table string, rows int64, d time.Duration) // after each DELETE statement
	RunLease time.Duration                                   // lease length during a run; 0 keeps the default
}

// The hooks; see store/gormstore/testhooks.go for what each does.
var (
	CloseHandles    func(s any)
	OpenWithHooks   func(h Cleanup, open func() (any, error)) (any, error)
	SetCleanupHooks func(s any, h Cleanup)
	CleanupRound    func(ctx context.Context, s any, every time.Duration)
	TakeLease       func(ctx context.Context, s any, d time.Duration) (bool, error)
	LeaseHolder     func(s any) string
	KillLoop        func(s any)
	HoldUserLock    func(s any, userID string) (release func(), err error)
)
