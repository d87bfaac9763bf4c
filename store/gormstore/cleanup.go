package gormstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// DefaultCleanupBatchSize is the number of rows one cleanup statement deletes
// at most when Options.CleanupBatchSize is zero.
const DefaultCleanupBatchSize = 1000

// maxCleanupBatchSize bounds Options.CleanupBatchSize: a larger batch would
// bring back the long statement batching exists to avoid.
const maxCleanupBatchSize = 100_000

// cleanupLeaseName is the row of the leases table the cleanup loop takes.
const cleanupLeaseName = "cleanup"

// defaultRunLease is how long the cleanup lease is taken for while a run is
// in progress. A run of 1000-row batches takes milliseconds per batch; the
// holder renews the lease between batches once half of it has gone, so a
// long run keeps it and a holder that dies loses it within a minute.
const defaultRunLease = time.Minute

// errLeaseLost stops a run whose lease another instance has taken over (the
// holder stalled for longer than the lease).
var errLeaseLost = errors.New("cleanup lease lost to another instance")

// cleanupState is the cleanup loop's configuration and test hooks.
type cleanupState struct {
	batch    int           // rows per DELETE statement
	holder   string        // random id of this store in the leases table
	runLease time.Duration // lease length during a run
	// held: the loop has taken the lease at least once, so Close releases
	// it. Written by the loop goroutine, read by Close after the loop ended.
	held bool

	// Test hooks (set through export_test.go only).
	onRun   func(started bool)                              // around a run that holds the lease
	onBatch func(table string, rows int64, d time.Duration) // after each DELETE statement
}

// newStoreHook, when set (by tests, through export_test.go), is called by
// newStore before the cleanup loop starts, so a test can install hooks the
// loop goroutine then reads without a race.
var newStoreHook atomic.Pointer[func(*GORMStore)]

func newHolderID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("store: cleanup lease holder id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func checkBatchSize(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultCleanupBatchSize, nil
	case n < 0 || n > maxCleanupBatchSize:
		return 0, fmt.Errorf("store: invalid CleanupBatchSize %d: want 1 to %d, or 0 for the default (%d)",
			n, maxCleanupBatchSize, DefaultCleanupBatchSize)
	}
	return n, nil
}

// Lease times. On Postgres and MariaDB the database clock decides
// (clock_timestamp(), UTC_TIMESTAMP(6): UTC whatever the session's
// time_zone), so instances with skewed clocks still agree. A SQLite
// database is only shared by processes on one machine, which share its
// clock, so Go's clock is used there.
func (s *GORMStore) leaseUntil(d time.Duration) (expr string, args []any) {
	switch s.dialect {
	case postgresDialect:
		return "clock_timestamp() + CAST(? AS bigint) * interval '1 microsecond'", []any{d.Microseconds()}
	case mysqlDialect:
		return "UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND", []any{d.Microseconds()}
	}
	return "?", []any{utc(time.Now().Add(d))}
}

func (s *GORMStore) leaseNow() (expr string, args []any) {
	switch s.dialect {
	case postgresDialect:
		return "clock_timestamp()", nil
	case mysqlDialect:
		return "UTC_TIMESTAMP(6)", nil
	}
	return "?", []any{utc(time.Now())}
}

// takeLease takes the cleanup lease for d if it is free, expired, or already
// ours, in one statement: an upsert whose update only applies when the
// current row has expired or names this holder. Concurrent callers are
// serialised on the row, and exactly one of them sees a row affected.
func (s *GORMStore) takeLease(ctx context.Context, d time.Duration) (bool, error) {
	if s.dialect == mysqlDialect {
		return s.takeLeaseMySQL(ctx, d)
	}
	until, uArgs := s.leaseUntil(d)
	now, nArgs := s.leaseNow()
	l := s.tables.leases
	if s.dialect == postgresDialect {
		l = strings.ToLower(l) // as table() names it
	}
	res := s.table(s.write.WithContext(ctx), s.tables.leases).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"holder", "expires_at"}),
		Where: clause.Where{Exprs: []clause.Expression{
			gorm.Expr(l+".expires_at <= "+now+" OR "+l+".holder = excluded.holder", nArgs...),
		}},
	}).Create(map[string]any{"name": cleanupLeaseName, "holder": s.cleanup.holder, "expires_at": gorm.Expr(until, uArgs...)})
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected == 1, nil
}

// takeLeaseMySQL is takeLease on MariaDB, whose upsert has no WHERE: each
// assignment applies only when the row has expired or is ours. holder is
// assigned first, because MariaDB evaluates the assignments in order and
// the second sees the first's result: when the condition held, it still
// holds after holder changed (the row names this holder now); when it did
// not, holder did not change. The affected-row count cannot tell "renewed
// to the same instant" from "someone else's", so the holder is read back
// in the same transaction, under the row lock the upsert took.
func (s *GORMStore) takeLeaseMySQL(ctx context.Context, d time.Duration) (bool, error) {
	until, uArgs := s.leaseUntil(d)
	now, _ := s.leaseNow()
	free := "(expires_at <= " + now + " OR holder = VALUES(holder))"
	upsert := clause.OnConflict{DoUpdates: []clause.Assignment{
		{Column: clause.Column{Name: "holder"}, Value: gorm.Expr("IF(" + free + ", VALUES(holder), holder)")},
		{Column: clause.Column{Name: "expires_at"}, Value: gorm.Expr("IF(" + free + ", VALUES(expires_at), expires_at)")},
	}}
	taken := false
	err := s.transaction(s.write.WithContext(ctx), func(tx *gorm.DB) error {
		err := s.table(tx, s.tables.leases).Clauses(upsert).
			Create(map[string]any{"name": cleanupLeaseName, "holder": s.cleanup.holder, "expires_at": gorm.Expr(until, uArgs...)}).Error
		if err != nil {
			return err
		}
		var holder []string
		if err := s.table(tx, s.tables.leases).Where("name = ?", cleanupLeaseName).Pluck("holder", &holder).Error; err != nil {
			return err
		}
		taken = len(holder) == 1 && holder[0] == s.cleanup.holder
		return nil
	})
	return taken, err
}

// extendLease sets the end of the lease this store holds to d from now. It
// reports false when the lease is no longer ours.
func (s *GORMStore) extendLease(ctx context.Context, d time.Duration) (bool, error) {
	until, args := s.leaseUntil(d)
	ours := func(db *gorm.DB) *gorm.DB {
		return s.table(db, s.tables.leases).Where("name = ? AND holder = ?", cleanupLeaseName, s.cleanup.holder)
	}
	if s.dialect == mysqlDialect {
		// MariaDB counts changed rows, not matched ones: an extension to
		// the same instant would count 0. The statement matched if the
		// row still names this holder.
		held := false
		err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := ours(tx).Update("expires_at", gorm.Expr(until, args...)).Error; err != nil {
				return err
			}
			var n int64
			err := ours(tx).Count(&n).Error
			held = n == 1
			return err
		})
		return held, err
	}
	res := ours(s.write.WithContext(ctx)).Update("expires_at", gorm.Expr(until, args...))
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected == 1, nil
}

// releaseLease gives the lease up if this store holds it (Close), so another
// instance takes over at its next tick instead of when the lease expires.
func (s *GORMStore) releaseLease(ctx context.Context) error {
	return s.table(s.write.WithContext(ctx), s.tables.leases).
		Where("name = ? AND holder = ?", cleanupLeaseName, s.cleanup.holder).Delete(&leaseRow{}).Error
}

// deleteExpired deletes the expired rows of every table in batches of at
// most s.cleanup.batch rows, each batch one statement and so one short
// transaction. Between batches it yields the writer (SQLite: the one
// connection request writes wait for), checks ctx, and calls between (the
// loop renews its lease there) when it is not nil.
//
// A batch that deletes fewer rows than asked normally means the table is
// done. On Postgres and MariaDB another deleter (DeleteExpired elsewhere) may have
// deleted some of the rows the batch selected, so there only an empty batch
// ends a table. On SQLite a statement runs alone under the write lock.
func (s *GORMStore) deleteExpired(ctx context.Context, now time.Time, between func(context.Context) error) (int64, error) {
	var total int64
	tables := []struct {
		name, key string
		model     any
	}{
		{s.tables.sessions, "handle", &sessionRow{}},
		{s.tables.keys, "id", &keyRow{}},
		{s.tables.revocations, "handle", &revocationRow{}},
		{s.tables.importedKeys, "id", &importedKeyRow{}},
		{s.tables.importedSessions, "handle", &importedSessionRow{}},
		{s.tables.challenges, "hash", &challengeRow{}},
	}
	batch := s.cleanup.batch
	at := utc(now)
	for _, t := range tables {
		// One batch: on SQLite and Postgres the keys of at most batch
		// expired rows are picked in a subquery. The outer expires_at
		// test is not redundant: Postgres re-checks it on the row version
		// it finally locks, so a row a concurrent write extended after the
		// subquery picked it survives. MariaDB refuses LIMIT in an IN
		// subquery and a subquery on the table being deleted from, but its
		// DELETE takes a LIMIT itself; it reads each row it deletes under
		// the row's lock (the latest committed version), so the extended
		// row survives there too.
		deleteBatch := func(db *gorm.DB) *gorm.DB {
			q := s.table(db, t.name).Where("expires_at <= ?", at)
			if s.dialect == mysqlDialect {
				return q.Limit(batch).Delete(t.model)
			}
			picked := s.table(db.Session(&gorm.Session{NewDB: true}), t.name).Select(t.key).Where("expires_at <= ?", at).Limit(batch)
			return q.Where(t.key+" IN (?)", picked).Delete(t.model)
		}
		for {
			if err := ctx.Err(); err != nil {
				return total, err
			}
			start := time.Now()
			var res *gorm.DB
			// The batch meets DeleteUserSessions and rotations on
			// MariaDB's index locks (retryDeadlock); a victim deleted
			// nothing and runs again.
			err := s.retryDeadlock(ctx, func() error {
				res = deleteBatch(s.write.WithContext(ctx))
				return res.Error
			})
			if err != nil {
				return total, err
			}
			if s.cleanup.onBatch != nil {
				s.cleanup.onBatch(t.name, res.RowsAffected, time.Since(start))
			}
			total += res.RowsAffected
			if res.RowsAffected == 0 || (s.dialect == sqliteDialect && res.RowsAffected < int64(batch)) {
				break
			}
			s.yieldWriter()
			if between != nil {
				if err := between(ctx); err != nil {
					return total, err
				}
			}
		}
	}
	n, err := s.deleteOrphanBindings(ctx)
	return total + n, err
}

// cleanupLoop runs a cleanup round every interval, the first one at a random
// offset within the interval so instances started together do not wake
// together.
func (s *GORMStore) cleanupLoop(ctx context.Context, every time.Duration) {
	defer close(s.loopDone)
	first := time.NewTimer(time.Duration(mathrand.Int64N(int64(every))))
	select {
	case <-ctx.Done():
		first.Stop()
		return
	case <-first.C:
	}
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		s.cleanupRound(ctx, every)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// cleanupRound runs one cleanup if this store can take the lease; otherwise
// another instance holds it and this round is skipped. After a successful
// run the holder keeps the lease for one interval, so the instances sharing
// a database clean up once per interval between them rather than once each;
// the holder renews it at its next tick. After a failed run it releases the
// lease so another instance can try.
func (s *GORMStore) cleanupRound(ctx context.Context, every time.Duration) {
	ok, err := s.takeLease(ctx, s.cleanup.runLease)
	switch {
	case err != nil && ctx.Err() != nil:
		return // closing
	case err != nil:
		s.log.Warn("ginsession store: taking the cleanup lease failed", "error", err)
		return
	case !ok:
		s.log.Debug("ginsession store: cleanup skipped, another instance holds the lease")
		return
	}
	s.cleanup.held = true
	if s.cleanup.onRun != nil {
		s.cleanup.onRun(true)
	}
	start := time.Now()
	renewAt := start.Add(s.cleanup.runLease / 2)
	renew := func(ctx context.Context) error {
		if time.Now().Before(renewAt) {
			return nil
		}
		ok, err := s.extendLease(ctx, s.cleanup.runLease)
		if err != nil {
			return err
		}
		if !ok {
			return errLeaseLost
		}
		renewAt = time.Now().Add(s.cleanup.runLease / 2)
		return nil
	}
	n, err := s.deleteExpired(ctx, s.now(), renew)
	if s.cleanup.onRun != nil {
		s.cleanup.onRun(false)
	}
	switch {
	case err != nil && ctx.Err() != nil:
		return // closing: Close releases the lease
	case err != nil:
		s.log.Warn("ginsession store: cleanup of expired rows failed", "error", err, "rows", n)
		if !errors.Is(err, errLeaseLost) {
			if rerr := s.releaseLease(ctx); rerr != nil {
				s.log.Warn("ginsession store: releasing the cleanup lease failed", "error", rerr)
			}
		}
		return
	}
	s.log.Debug("ginsession store: cleanup done", "rows", n, "duration", time.Since(start))
	if _, err := s.extendLease(ctx, every); err != nil && ctx.Err() == nil {
		s.log.Warn("ginsession store: holding the cleanup lease failed", "error", err)
	}
}
