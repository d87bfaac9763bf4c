package gormstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ginsession/ginsession/store"
)

// CreateSessionLimited implements store.Store.
//
// The cap holds across processes because every CreateSessionLimited and
// DeleteUserSessions of one user runs in a transaction that first takes a
// lock on that user, held until the transaction ends (lockUser), and
// counts the user's sessions only once it holds it. Under the lock it
//
//  1. inserts the new row (a duplicate handle fails here, before anything
//     is evicted; on SQLite this first write also takes the lock);
//  2. reads the user's other unexpired sessions, oldest first, locking
//     them (FOR UPDATE on Postgres and MariaDB), so that a row deleted or
//     rotated meanwhile by DeleteSession, the cleanup or a refresh is
//     counted as it is once that write has committed, and not evicted
//     twice;
//  3. at the cap, either returns ErrLimit, which rolls the insert back, or
//     deletes the oldest rows that do not fit, in the same transaction.
//
// Expired rows are not counted (nor deleted: the cleanup does that).
// Writes that take no user lock (CreateSession, DeleteSession) may still
// run alongside: they add or remove rows outside the cap's count, which is
// the caller's choice when it uses them.
func (s *GORMStore) CreateSessionLimited(ctx context.Context, in *store.Session, now time.Time, l store.SessionLimit) ([]string, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if l.Max < 0 {
		return nil, errors.New("store: create session: negative session limit")
	}
	if l.Max == 0 {
		return nil, s.CreateSession(ctx, in)
	}
	if err := checkSession(in); err != nil {
		return nil, err
	}
	db := s.write.WithContext(ctx)
	var evicted []string
	// On MariaDB a deadlock victim (the rows of step 2 meeting a
	// DeleteSession or the cleanup, which lock them in the other order)
	// runs again from the start.
	err := s.transaction(db, func(tx *gorm.DB) error {
		evicted = nil
		if err := s.lockUser(tx, in.UserID); err != nil {
			return err
		}
		if err := s.insertSession(tx, in); err != nil {
			return err
		}
		q := s.table(tx, s.tables.sessions).Where("user_id = ? AND expires_at > ? AND handle <> ?", in.UserID, utc(now), in.Handle).
			Order(s.dialect.ageOrder())
		if s.dialect != sqliteDialect {
			q = q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
		}
		var others []string
		if err := q.Pluck("handle", &others).Error; err != nil {
			return err
		}
		over := len(others) + 1 - l.Max
		if over <= 0 {
			return nil
		}
		if !l.EvictOldest {
			return store.ErrLimit
		}
		if err := s.deleteHandles(tx, others[:over]); err != nil {
			return err
		}
		evicted = others[:over:over]
		return nil
	}, s.userTxOptions()...)
	switch {
	case errors.Is(err, store.ErrLimit):
		return nil, store.ErrLimit
	case err != nil:
		return nil, s.failInsert("create session", db, err)
	}
	s.yieldWriter()
	return evicted, nil
}

// deleteHandles deletes the sessions of handles, 500 to a statement (a
// bound on its parameters).
func (s *GORMStore) deleteHandles(tx *gorm.DB, handles []string) error {
	for chunk := range slices.Chunk(handles, 500) {
		if err := s.table(tx, s.tables.sessions).Where("handle IN ?", chunk).Delete(&sessionRow{}).Error; err != nil {
			return err
		}
	}
	return nil
}

// lockUser takes, inside tx, a lock on userID that no other transaction
// taking it for the same user (in any process sharing the database) can
// hold until tx ends:
//
//   - Postgres: pg_advisory_xact_lock on two keys, a hash of the table
//     prefix (stores with other tables do not contend) and a hash of the
//     user id. It is transaction-scoped, so it works behind pgbouncer in
//     transaction mode and nothing outlives the transaction; two users
//     whose ids hash alike merely wait for each other. (The migration lock
//     uses the one-key form, a separate key space.)
//   - MariaDB: the row of <prefix>user_locks keyed by the SHA-256 of the
//     user id, written by an upsert, whose exclusive row lock InnoDB keeps
//     until the transaction ends. A named lock (GET_LOCK) would belong to
//     the connection, not the transaction, and could outlive a failed
//     transaction on a pooled connection. The rows stay: 32 bytes for each
//     user who ever signed in under a cap or signed out everywhere.
//     (InnoDB's locking read in step 2 waits for rows other transactions
//     inserted and have not committed, so the cap would hold without this
//     row too, but only through deadlocks: without it the conformance
//     races (twelve sign-ins of one user at once) met hundreds, and racers
//     ran out of retries. With it they queue and none deadlocks.)
//   - SQLite: nothing here. The database has one writer at a time, and the
//     caller's first statement is a write (CreateSessionLimited's insert,
//     DeleteUserSessions' single DELETE), so the transaction holds the
//     write lock from its start.
//
// Written by hand: GORM has no advisory locks, and the MariaDB row's upsert
// is a MariaDB statement on a table only MariaDB has.
func (s *GORMStore) lockUser(tx *gorm.DB, userID string) error {
	switch s.dialect {
	case postgresDialect:
		return tx.Exec("SELECT pg_advisory_xact_lock(hashtext(?), hashtext(?))", "ginsession/user/"+s.tables.prefix, userID).Error
	case mysqlDialect:
		key := sha256.Sum256([]byte(userID))
		return tx.Exec("INSERT INTO "+s.tables.userLocks+" (user_key) VALUES (?) ON DUPLICATE KEY UPDATE user_key = user_key", blob(key[:])).Error
	}
	return nil
}

// userTxOptions are the options of the transactions that take lockUser:
// READ COMMITTED on Postgres and MariaDB, so that each statement after the
// lock reads what the previous holder committed. Under REPEATABLE READ a
// Postgres transaction would read a snapshot taken by its first statement,
// the wait for the lock, and count the sessions as they were before the
// previous holder inserted its own. SQLite has one isolation level.
func (s *GORMStore) userTxOptions() []*sql.TxOptions {
	if s.dialect == sqliteDialect {
		return nil
	}
	return []*sql.TxOptions{{Isolation: sql.LevelReadCommitted}}
}

// userLocksTable is the MariaDB table of lockUser's rows.
func (s *GORMStore) userLocksTable() string {
	return `CREATE TABLE IF NOT EXISTS ` + s.tables.userLocks + ` (
			user_key BINARY(32) NOT NULL PRIMARY KEY) ENGINE=InnoDB`
}
