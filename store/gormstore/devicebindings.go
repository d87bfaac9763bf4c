package gormstore

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/ginsession/ginsession/store"
)

// The tables of store.DeviceBindings. A binding row has no expiry of its
// own: it lives as long as its session row, which GetBinding joins, and
// DeleteExpired removes the bindings whose session is gone. Sign-out and
// revocation therefore delete nothing more than they did before.

// challengeRow is a row of <prefix>dbsc_challenges.
type challengeRow struct {
	Hash      blob      `gorm:"column:hash;primaryKey;not null"`
	Handle    string    `gorm:"column:handle;not null"`
	Register  flag      `gorm:"column:register"`
	ExpiresAt time.Time `gorm:"column:expires_at;not null"`
}

// bindingRow is a row of <prefix>dbsc_bindings.
type bindingRow struct {
	Handle    string    `gorm:"column:handle;primaryKey;not null"`
	PublicKey blob      `gorm:"column:public_key;not null"`
	CreatedAt time.Time `gorm:"column:created_at;not null;autoCreateTime:false"`
}

// AddChallenge implements store.DeviceBindings.
func (s *GORMStore) AddChallenge(ctx context.Context, c store.Challenge) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if len(c.Hash) == 0 || len(c.Hash) > 64 {
		return errors.New("store: add challenge: hash must be 1..64 bytes")
	}
	if err := checkText("add challenge", "handle", c.Handle); err != nil {
		return err
	}
	db := s.write.WithContext(ctx)
	err := s.table(db, s.tables.challenges).Create(&challengeRow{Hash: c.Hash, Handle: c.Handle, Register: flag(c.Register), ExpiresAt: utc(c.ExpiresAt)}).Error
	if err != nil {
		return s.failInsert("add challenge", db, err)
	}
	return nil
}

// TakeChallenge implements store.DeviceBindings. It reads the row, then
// deletes it: of racing takers only the one whose DELETE removed the row
// gets it, on every dialect and without RETURNING.
func (s *GORMStore) TakeChallenge(ctx context.Context, hash []byte, now time.Time) (*store.Challenge, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	db := s.write.WithContext(ctx)
	var rows []challengeRow
	if err := s.table(db, s.tables.challenges).Where("hash = ?", blob(hash)).Limit(1).Find(&rows).Error; err != nil {
		return nil, s.fail("take challenge", err)
	}
	if len(rows) == 0 {
		return nil, store.ErrNotFound
	}
	var n int64
	err := s.retryDeadlock(ctx, func() error {
		res := s.table(db, s.tables.challenges).Where("hash = ?", blob(hash)).Delete(&challengeRow{})
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return nil, s.fail("take challenge", err)
	}
	r := rows[0]
	if n == 0 || !utc(r.ExpiresAt).After(now) {
		return nil, store.ErrNotFound
	}
	return &store.Challenge{Hash: r.Hash, Handle: r.Handle, Register: bool(r.Register), ExpiresAt: utc(r.ExpiresAt)}, nil
}

// BindSession implements store.DeviceBindings. The insert does nothing on
// a handle already bound, so of racing registrations one wins.
func (s *GORMStore) BindSession(ctx context.Context, b store.Binding, now time.Time) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if err := checkText("bind session", "handle", b.Handle); err != nil {
		return err
	}
	if len(b.PublicKey) == 0 {
		return errors.New("store: bind session: empty public key")
	}
	db := s.write.WithContext(ctx)
	err := s.transaction(db, func(tx *gorm.DB) error {
		var live int64
		if err := s.table(tx, s.tables.sessions).Where("handle = ? AND expires_at > ?", b.Handle, utc(now)).Count(&live).Error; err != nil {
			return err
		}
		if live == 0 {
			return store.ErrNotFound
		}
		res := s.table(tx, s.tables.bindings).Clauses(doNothingOn("handle")).
			Create(&bindingRow{Handle: b.Handle, PublicKey: b.PublicKey, CreatedAt: utc(b.CreatedAt)})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return store.ErrConflict
		}
		return nil
	})
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict):
		return err
	case err != nil:
		return s.fail("bind session", err)
	}
	return nil
}

// GetBinding implements store.DeviceBindings: the binding joined with its
// live session row, so a deleted or expired session has none.
func (s *GORMStore) GetBinding(ctx context.Context, handle string, now time.Time) (*store.Binding, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	b, sess := s.dbName(s.tables.bindings), s.dbName(s.tables.sessions)
	var rows []bindingRow
	err := s.table(s.read.WithContext(ctx), s.tables.bindings).
		Select(b+".handle, "+b+".public_key, "+b+".created_at").
		Joins("JOIN "+sess+" ON "+sess+".handle = "+b+".handle").
		Where(b+".handle = ? AND "+sess+".expires_at > ?", handle, utc(now)).
		Limit(1).Find(&rows).Error
	if err != nil {
		return nil, s.fail("get binding", err)
	}
	if len(rows) == 0 {
		return nil, store.ErrNotFound
	}
	r := rows[0]
	return &store.Binding{Handle: r.Handle, PublicKey: r.PublicKey, CreatedAt: utc(r.CreatedAt)}, nil
}

// deleteOrphanBindings removes the bindings whose session row is gone
// (DeleteExpired's last step). Orphans are few (one per signed-out bound
// session since the last run), so one statement does.
func (s *GORMStore) deleteOrphanBindings(ctx context.Context) (int64, error) {
	b, sess := s.dbName(s.tables.bindings), s.dbName(s.tables.sessions)
	var n int64
	err := s.retryDeadlock(ctx, func() error {
		res := s.write.WithContext(ctx).Exec("DELETE FROM " + b + " WHERE NOT EXISTS (SELECT 1 FROM " + sess + " WHERE " + sess + ".handle = " + b + ".handle)")
		n = res.RowsAffected
		return res.Error
	})
	return n, err
}

// dbName is a table's name as the hand-written statements write it
// (lower case on Postgres, like table).
func (s *GORMStore) dbName(name string) string {
	if s.dialect == postgresDialect {
		return strings.ToLower(name)
	}
	return name
}
