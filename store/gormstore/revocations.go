package gormstore

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/ginsession/ginsession/store"
)

type revocationRow struct {
	Handle    string    `gorm:"column:handle"`
	RevokedAt time.Time `gorm:"column:revoked_at"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

// AddRevocations implements store.Store. It writes every revocation in one
// transaction; a handle already recorded takes the new times.
func (s *GORMStore) AddRevocations(ctx context.Context, revs []store.Revocation) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	for _, r := range revs {
		if err := checkText("add revocations", "handle", r.Handle); err != nil {
			return err
		}
	}
	if len(revs) == 0 {
		return nil
	}
	// Upserts of overlapping batches in different orders can deadlock on
	// MariaDB; running the batch again is harmless (transaction retries).
	err := s.transaction(s.write.WithContext(ctx), func(tx *gorm.DB) error {
		for _, r := range revs {
			err := tx.Exec("INSERT INTO "+s.tables.revocations+" (handle, revoked_at, expires_at) VALUES (?, ?, ?)"+
				s.dialect.upsertReplace("handle", "revoked_at", "expires_at"),
				r.Handle, utc(r.RevokedAt), utc(r.ExpiresAt)).Error
			if err != nil {
				return err
			}
		}
		if s.dialect == postgresDialect {
			// Delivered to every listener when the transaction commits
			// (WatchRevocations); works through pgbouncer in transaction
			// mode too, since NOTIFY belongs to the transaction.
			return tx.Exec("SELECT pg_notify(?, '')", s.tables.revocations).Error
		}
		return nil
	})
	if err != nil {
		return s.fail("add revocations", err)
	}
	return nil
}

// RevocationsSince implements store.Store.
func (s *GORMStore) RevocationsSince(ctx context.Context, since, now time.Time) ([]store.Revocation, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	var rows []revocationRow
	err := s.read.WithContext(ctx).Raw("SELECT handle, revoked_at, expires_at FROM "+s.tables.revocations+
		" WHERE revoked_at >= ? AND expires_at > ? ORDER BY revoked_at", utc(since), utc(now)).Scan(&rows).Error
	if err != nil {
		return nil, s.fail("revocations since", err)
	}
	out := make([]store.Revocation, len(rows))
	for i, r := range rows {
		out[i] = store.Revocation{Handle: r.Handle, RevokedAt: utc(r.RevokedAt), ExpiresAt: utc(r.ExpiresAt)}
	}
	return out, nil
}

// revocationTable returns the statements that create the revocations table.
func (s *GORMStore) revocationTable() []string {
	t := s.tables
	typ := s.dialect.timeType()
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + t.revocations + ` (
			handle     text NOT NULL PRIMARY KEY,
			revoked_at ` + typ + ` NOT NULL,
			expires_at ` + typ + ` NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS ` + t.prefix + `revocations_revoked_at_idx ON ` + t.revocations + ` (revoked_at)`,
		`CREATE INDEX IF NOT EXISTS ` + t.prefix + `revocations_expires_at_idx ON ` + t.revocations + ` (expires_at)`,
	}
}
