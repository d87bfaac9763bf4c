package gormstore

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/ginsession/ginsession/store"
)

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
			// One statement per revocation: a batch naming one handle
			// twice would be refused by Postgres as one upsert.
			err := s.table(tx, s.tables.revocations).Clauses(replaceOn("handle", "revoked_at", "expires_at")).
				Create(&revocationRow{Handle: r.Handle, RevokedAt: utc(r.RevokedAt), ExpiresAt: utc(r.ExpiresAt)}).Error
			if err != nil {
				return err
			}
		}
		if s.dialect == postgresDialect {
			// Delivered to every listener when the transaction commits
			// (WatchRevocations); works through pgbouncer in transaction
			// mode too, since NOTIFY belongs to the transaction. Written by
			// hand: GORM has no NOTIFY.
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
	err := s.table(s.read.WithContext(ctx), s.tables.revocations).Where("revoked_at >= ? AND expires_at > ?", utc(since), utc(now)).
		Order("revoked_at").Find(&rows).Error
	if err != nil {
		return nil, s.fail("revocations since", err)
	}
	out := make([]store.Revocation, len(rows))
	for i, r := range rows {
		out[i] = store.Revocation{Handle: r.Handle, RevokedAt: utc(r.RevokedAt), ExpiresAt: utc(r.ExpiresAt)}
	}
	return out, nil
}
