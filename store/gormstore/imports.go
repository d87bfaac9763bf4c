package gormstore

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/ginsession/ginsession/store"
)

// importedKeyRow is a row of the imported_keys table (store.ImportedKey).
type importedKeyRow struct {
	ID        string    `gorm:"column:id;primaryKey;not null"`
	Issuer    string    `gorm:"column:issuer;not null"`
	Algorithm string    `gorm:"column:algorithm;not null"`
	Material  blob      `gorm:"column:material;not null"`
	CreatedAt time.Time `gorm:"column:created_at;not null;autoCreateTime:false"`
	ExpiresAt time.Time `gorm:"column:expires_at;not null"`
}

// importedSessionRow marks a handle ImportSessions has imported, until the
// session's expiry, so that importing again never brings back a session
// deleted since.
type importedSessionRow struct {
	Handle    string    `gorm:"column:handle;primaryKey;not null"`
	ExpiresAt time.Time `gorm:"column:expires_at;not null"`
}

var _ store.Importer = (*GORMStore)(nil)

// importBatch bounds the rows of one INSERT (16 columns a session: far
// below every dialect's limit on placeholders) and of one IN list.
const importBatch = 500

// ImportSessions implements store.Importer in one transaction: it reads
// which handles were imported before or are sessions already, then inserts
// the marks and the sessions of the others.
func (s *GORMStore) ImportSessions(ctx context.Context, sessions []store.Session) (int, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	for i := range sessions {
		if err := checkSession(&sessions[i]); err != nil {
			return 0, err
		}
	}
	if len(sessions) == 0 {
		return 0, nil
	}
	n := 0
	err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		n = 0
		taken := map[string]bool{}
		for start := 0; start < len(sessions); start += importBatch {
			chunk := sessions[start:min(start+importBatch, len(sessions))]
			handles := make([]string, len(chunk))
			for i := range chunk {
				handles[i] = chunk[i].Handle
			}
			for _, table := range []string{s.tables.importedSessions, s.tables.sessions} {
				var found []string
				if err := s.table(tx, table).Where("handle IN ?", handles).Pluck("handle", &found).Error; err != nil {
					return err
				}
				for _, h := range found {
					taken[h] = true
				}
			}
		}
		var marks []importedSessionRow
		var rows []*sessionRow
		for i := range sessions {
			in := &sessions[i]
			if taken[in.Handle] {
				continue
			}
			taken[in.Handle] = true // a handle twice in one call is imported once
			marks = append(marks, importedSessionRow{Handle: in.Handle, ExpiresAt: utc(in.ExpiresAt)})
			rows = append(rows, newSessionRow(in))
		}
		if len(rows) == 0 {
			return nil
		}
		if err := s.table(tx, s.tables.importedSessions).Clauses(doNothingOn("handle")).CreateInBatches(marks, importBatch).Error; err != nil {
			return err
		}
		res := s.table(tx, s.tables.sessions).Clauses(doNothingOn("handle")).CreateInBatches(rows, importBatch)
		if res.Error != nil {
			return res.Error
		}
		n = int(res.RowsAffected)
		return nil
	})
	s.yieldWriter()
	if err != nil {
		return 0, s.fail("import sessions", err)
	}
	return n, nil
}

// ImportKey implements store.Importer with INSERT … ON CONFLICT DO NOTHING.
func (s *GORMStore) ImportKey(ctx context.Context, k *store.ImportedKey) (bool, error) {
	if s.closed.Load() {
		return false, store.ErrClosed
	}
	if k == nil {
		return false, errors.New("store: import key: nil key")
	}
	for _, f := range []struct{ name, v string }{{"id", k.ID}, {"issuer", k.Issuer}, {"algorithm", k.Algorithm}} {
		if err := checkText("import key", f.name, f.v); err != nil {
			return false, err
		}
	}
	if len(k.Key) == 0 {
		return false, errors.New("store: import key: empty key")
	}
	row := &importedKeyRow{ID: k.ID, Issuer: k.Issuer, Algorithm: k.Algorithm, Material: k.Key, CreatedAt: utc(k.CreatedAt), ExpiresAt: utc(k.ExpiresAt)}
	res := s.table(s.write.WithContext(ctx), s.tables.importedKeys).Clauses(doNothingOn("id")).Create(row)
	s.yieldWriter()
	if res.Error != nil {
		return false, s.fail("import key", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ImportedKeys implements store.Importer.
func (s *GORMStore) ImportedKeys(ctx context.Context, now time.Time) ([]store.ImportedKey, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	var rows []importedKeyRow
	err := s.table(s.read.WithContext(ctx), s.tables.importedKeys).Where("expires_at > ?", utc(now)).Order("id").Find(&rows).Error
	if err != nil {
		return nil, s.fail("imported keys", err)
	}
	out := make([]store.ImportedKey, len(rows))
	for i, r := range rows {
		out[i] = store.ImportedKey{ID: r.ID, Issuer: r.Issuer, Algorithm: r.Algorithm, Key: r.Material, CreatedAt: utc(r.CreatedAt), ExpiresAt: utc(r.ExpiresAt)}
	}
	return out, nil
}

// mysqlImportTables are MariaDB's imported_keys and imported_sessions
// tables (mysqlTables).
func (s *GORMStore) mysqlImportTables(opts string) []string {
	t := s.tables
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + t.importedKeys + ` (
			id         VARBINARY(255) NOT NULL PRIMARY KEY,
			issuer     VARBINARY(255) NOT NULL,
			algorithm  VARBINARY(255) NOT NULL,
			material   BLOB           NOT NULL,
			created_at DATETIME(6)    NOT NULL,
			expires_at DATETIME(6)    NOT NULL,
			INDEX imported_keys_expires_at_idx (expires_at))` + opts,
		`CREATE TABLE IF NOT EXISTS ` + t.importedSessions + ` (
			handle     VARBINARY(255) NOT NULL PRIMARY KEY,
			expires_at DATETIME(6)    NOT NULL,
			INDEX imported_sessions_expires_at_idx (expires_at))` + opts,
	}
}
