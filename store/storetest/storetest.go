// Package storetest is the conformance suite every store.Store must pass.
//
// Run checks one store, every concern of the contract it implements; RunShared
// checks two stores on one database, the way several application instances
// share Postgres. Backends call them from their own tests with a function that
// opens a fresh, empty store.
//
// The checks are cut by concern, like store.Store, one file each, and each
// concern has an entry point of its own for a backend (or a change) that
// wants one: RunSessions, RunRotation, RunUserSessions, RunMetadata,
// RunKeys, RunSecrets, RunRevocations, RunLifecycle (expiry cleanup, a
// canceled context, Close), RunImports (store.Importer). Optional capabilities are checked only where
// the store has them (store.Watcher, store.Bindings); RunWatch checks pushing revocations
// and fails when the store cannot, for a backend that means to push;
// RunDeviceBindings does the same for store.DeviceBindings.
//
// The suite uses fixed times (never the wall clock) with microsecond
// precision, and expects them back exactly, in UTC.
package storetest

import (
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

// Rounds is how many rounds the concurrency tests run, and Racers how many
// goroutines race in each round.
const (
	Rounds = 20
	Racers = 50
)

// base is the suite's "now". It is not in UTC on purpose: stores must
// normalise, and compare instants, not wall-clock text.
var base = time.Date(2031, 5, 6, 7, 8, 9, 123456000, time.FixedZone("UTC+5:30", 5*3600+1800))

// check is one named check of one store; the name is its subtest's.
type check struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// one makes a check of a race between two stores into a check of one store
// racing with itself (many goroutines on one store).
func one(race func(t *testing.T, a, b store.Store)) func(t *testing.T, s store.Store) {
	return func(t *testing.T, s store.Store) { race(t, s, s) }
}

// runChecks runs each check as a subtest, on a store of its own.
func runChecks(t *testing.T, open func(t *testing.T) store.Store, checks []check) {
	t.Helper()
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

// Run runs the conformance suite against the store open returns: every
// concern of store.Store, and each optional capability the store has
// (store.Watcher: pushing revocations, checked with the store watching its
// own writes).
//
// open must return a new, empty store each time it is called, and arrange to
// close it when the test ends (t.Cleanup). The suite closes some stores
// itself, so Close must tolerate a second call (store.ErrClosed or nil).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	for _, checks := range [][]check{
		sessionChecks, rotationChecks, userChecks, metadataChecks,
		keyChecks, secretChecks, revocationChecks, lifecycleChecks,
		importChecks, // each skips when the store has no store.Importer
	} {
		runChecks(t, open, checks)
	}
	if canWatch(t, open) {
		t.Run("WatchRevocations", func(t *testing.T) { s := open(t); testWatchRevocationsAcross(t, s, s) })
	}
	if hasBindings(t, open) {
		runChecks(t, open, bindingChecks)
	}
}

// RunShared runs the tests that need two stores on one database (two
// engines, as two application instances would have), optional capabilities
// included when the stores have them. open returns two stores on the same
// new, empty database and arranges to close both.
func RunShared(t *testing.T, open func(t *testing.T) (a, b store.Store)) {
	t.Run("WritesVisibleAcross", func(t *testing.T) { a, b := open(t); testVisibleAcross(t, a, b) })
	t.Run("RotateRaceAcross", func(t *testing.T) { a, b := open(t); testRotateRace(t, a, b) })
	t.Run("UpdateRaceAcross", func(t *testing.T) { a, b := open(t); testUpdateRace(t, a, b) })
	t.Run("EnsureSecretRaceAcross", func(t *testing.T) { a, b := open(t); testEnsureSecretRace(t, a, b) })
	t.Run("RevocationsVisibleAcross", func(t *testing.T) { a, b := open(t); testRevocationsVisibleAcross(t, a, b) })
	if canWatch(t, func(t *testing.T) store.Store { a, _ := open(t); return a }) {
		t.Run("WatchRevocationsAcross", func(t *testing.T) { a, b := open(t); testWatchRevocationsAcross(t, a, b) })
	}
	if hasBindings(t, func(t *testing.T) store.Store { a, _ := open(t); return a }) {
		t.Run("DeviceBindingsAcross", func(t *testing.T) { a, b := open(t); testBindingsVisibleAcross(t, a, b) })
		t.Run("ChallengeTakeRaceAcross", func(t *testing.T) { a, b := open(t); testChallengeRace(t, a, b) })
	}
	t.Run("SigningKeyTurnRaceAcross", func(t *testing.T) { a, b := open(t); testKeyTurnRace(t, a, b) })
	t.Run("CreateSessionLimitedRaceAcross", func(t *testing.T) { a, b := open(t); testLimitRace(t, a, b) })
}
