package gormstore

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/ginsession/ginsession/store"
)

// The rows of the store's tables as GORM models. Their table names are not
// the models' own (TableName): every statement names its table through
// s.tables (Options.TablePrefix), so one program can hold stores with
// different prefixes. Column names are explicit so that the naming strategy
// of a *gorm.DB given to New cannot change them.
//
// The tags describe the schema as the migration creates it on SQLite and
// Postgres (migrate.go), where GORM's types for these Go types are the
// ones the tables have always had (text, bytea or BLOB, timestamptz or
// DATETIME, bigint, boolean). MariaDB's tables are created by hand-written
// DDL (mysqlTables): there text the store compares must be bytes
// (VARBINARY), which no GORM type says. Indexes are not in the tags: their
// names carry the table prefix (migrate.go).
//
// Times are stored in UTC: every conversion from the store's types goes
// through utc. CreatedAt carries autoCreateTime:false: the caller's
// creation time is stored as given, never GORM's clock.

// sessionRow is a row of <prefix>sessions.
type sessionRow struct {
	Handle          string    `gorm:"column:handle;primaryKey;not null"`
	UserID          string    `gorm:"column:user_id;not null"`
	RefreshHash     blob      `gorm:"column:refresh_hash;not null"`
	PrevRefreshHash blob      `gorm:"column:prev_refresh_hash"`
	Generation      int64     `gorm:"column:generation;not null;default:0"`
	RotatedAt       time.Time `gorm:"column:rotated_at;not null"`
	ExpiresAt       time.Time `gorm:"column:expires_at;not null"`
	CreatedAt       time.Time `gorm:"column:created_at;not null;autoCreateTime:false"`
	Payload         blob      `gorm:"column:payload"`
	Data            blob      `gorm:"column:data"`

	// The metadata columns, added after the table's first version with
	// defaults, so rows written before read as "" and false
	// (addSessionMetadata adds them to such a table).
	// Their NOT NULL and default are part of their types (metaText, flag).
	DeviceLabel        metaText `gorm:"column:device_label"`
	CreatedUserAgent   metaText `gorm:"column:created_user_agent"`
	CreatedIP          metaText `gorm:"column:created_ip"`
	RefreshedUserAgent metaText `gorm:"column:refreshed_user_agent"`
	RefreshedIP        metaText `gorm:"column:refreshed_ip"`
	BrowserSessionOnly flag     `gorm:"column:browser_session_only"`
}

// metadataFields are sessionRow's metadata columns, field and column names,
// in the order they were added (addSessionMetadata).
var metadataFields = []struct{ field, column string }{
	{"DeviceLabel", "device_label"},
	{"CreatedUserAgent", "created_user_agent"},
	{"CreatedIP", "created_ip"},
	{"RefreshedUserAgent", "refreshed_user_agent"},
	{"RefreshedIP", "refreshed_ip"},
	{"BrowserSessionOnly", "browser_session_only"},
}

// newSessionRow is the row of in, times in UTC.
func newSessionRow(in *store.Session) *sessionRow {
	return &sessionRow{
		Handle:          in.Handle,
		UserID:          in.UserID,
		RefreshHash:     in.RefreshHash,
		PrevRefreshHash: in.PrevRefreshHash,
		Generation:      in.Generation,
		RotatedAt:       utc(in.RotatedAt),
		ExpiresAt:       utc(in.ExpiresAt),
		CreatedAt:       utc(in.CreatedAt),
		Payload:         in.Payload,
		Data:            in.Data,

		DeviceLabel:        metaText(in.DeviceLabel),
		CreatedUserAgent:   metaText(in.CreatedUserAgent),
		CreatedIP:          metaText(in.CreatedIP),
		RefreshedUserAgent: metaText(in.RefreshedUserAgent),
		RefreshedIP:        metaText(in.RefreshedIP),
		BrowserSessionOnly: flag(in.BrowserSessionOnly),
	}
}

func (r *sessionRow) session() *store.Session {
	return &store.Session{
		Handle:          r.Handle,
		UserID:          r.UserID,
		RefreshHash:     r.RefreshHash,
		PrevRefreshHash: r.PrevRefreshHash,
		Generation:      r.Generation,
		RotatedAt:       utc(r.RotatedAt),
		ExpiresAt:       utc(r.ExpiresAt),
		CreatedAt:       utc(r.CreatedAt),
		Payload:         r.Payload,
		Data:            r.Data,

		DeviceLabel:        string(r.DeviceLabel),
		CreatedUserAgent:   string(r.CreatedUserAgent),
		CreatedIP:          string(r.CreatedIP),
		RefreshedUserAgent: string(r.RefreshedUserAgent),
		RefreshedIP:        string(r.RefreshedIP),
		BrowserSessionOnly: bool(r.BrowserSessionOnly),
	}
}

// keyRow is a row of <prefix>signing_keys.
type keyRow struct {
	ID         string    `gorm:"column:id;primaryKey;not null"`
	Algorithm  string    `gorm:"column:algorithm;not null"`
	PrivateKey blob      `gorm:"column:private_key"`
	PublicKey  blob      `gorm:"column:public_key"`
	CreatedAt  time.Time `gorm:"column:created_at;not null;autoCreateTime:false"`
	SignFrom   time.Time `gorm:"column:sign_from;not null"`
	ExpiresAt  time.Time `gorm:"column:expires_at;not null"`
	// Follows is NULL on rows written by versions without it (added to
	// such a table by addFollows). The store always writes it, "" included.
	Follows sql.NullString `gorm:"column:follows"`
}

func newKeyRow(k *store.SigningKey) *keyRow {
	return &keyRow{
		ID: k.ID, Algorithm: k.Algorithm, PrivateKey: k.PrivateKey, PublicKey: k.PublicKey,
		CreatedAt: utc(k.CreatedAt), SignFrom: utc(k.SignFrom), ExpiresAt: utc(k.ExpiresAt),
		Follows: sql.NullString{String: k.Follows, Valid: true},
	}
}

func (r *keyRow) key() store.SigningKey {
	return store.SigningKey{
		ID:         r.ID,
		Algorithm:  r.Algorithm,
		PrivateKey: r.PrivateKey,
		PublicKey:  r.PublicKey,
		CreatedAt:  utc(r.CreatedAt),
		SignFrom:   utc(r.SignFrom),
		ExpiresAt:  utc(r.ExpiresAt),
		Follows:    r.Follows.String,
	}
}

// secretRow is a row of <prefix>secrets.
type secretRow struct {
	Name  string `gorm:"column:name;primaryKey;not null"`
	Value blob   `gorm:"column:value;not null"`
}

// revocationRow is a row of <prefix>revocations.
type revocationRow struct {
	Handle    string    `gorm:"column:handle;primaryKey;not null"`
	RevokedAt time.Time `gorm:"column:revoked_at;not null"`
	ExpiresAt time.Time `gorm:"column:expires_at;not null"`
}

// leaseRow is a row of <prefix>leases (cleanup.go).
type leaseRow struct {
	Name      string    `gorm:"column:name;primaryKey;not null"`
	Holder    string    `gorm:"column:holder;not null"`
	ExpiresAt time.Time `gorm:"column:expires_at;not null"`
}

// blob is a binary column: nil is stored as NULL (a bare nil []byte would
// reach some drivers as an empty value), and a value read is the store's
// own copy.
type blob []byte

// Value implements driver.Valuer.
func (b blob) Value() (driver.Value, error) {
	if b == nil {
		return nil, nil
	}
	return []byte(b), nil
}

// Scan implements sql.Scanner.
func (b *blob) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*b = nil
	case []byte:
		*b = append(blob{}, x...)
	case string:
		*b = blob(x)
	default:
		return fmt.Errorf("store: cannot read %T as bytes", v)
	}
	return nil
}

// metaText is a session metadata text: NOT NULL DEFAULT ”, so rows
// written before the column was added read as "". The default is part of the
// type rather than a default tag, which GORM would write on SQLite as
// DEFAULT "" (a double-quoted string, which SQLite reads as a literal only
// while its legacy double-quoted-string setting is on).
type metaText string

// GormDBDataType is the column's type with its constraint and default.
func (metaText) GormDBDataType(db *gorm.DB, _ *schema.Field) string {
	switch db.Dialector.Name() {
	case "sqlite":
		return "TEXT NOT NULL DEFAULT ''"
	case "postgres":
		return "text NOT NULL DEFAULT ''"
	}
	return "" // MariaDB: hand-written DDL (mysqlMetadataColumns)
}

// Scan implements sql.Scanner.
func (m *metaText) Scan(v any) error {
	switch x := v.(type) {
	case string:
		*m = metaText(x)
	case []byte:
		*m = metaText(x)
	default:
		return fmt.Errorf("store: cannot read %T as text", v)
	}
	return nil
}

// Value implements driver.Valuer.
func (m metaText) Value() (driver.Value, error) { return string(m), nil }

// GormDataType tells GORM the field is text (metaText implements Valuer).
func (metaText) GormDataType() string { return "string" }

// flag is BrowserSessionOnly's column: NOT NULL DEFAULT false, as metaText.
// On SQLite its type is INTEGER, as the tables have always had it, not
// GORM's "numeric" (another affinity, though 0 and 1 read the same under
// both).
type flag bool

// GormDBDataType is the column's type with its constraint and default.
func (flag) GormDBDataType(db *gorm.DB, _ *schema.Field) string {
	switch db.Dialector.Name() {
	case "sqlite":
		return "INTEGER NOT NULL DEFAULT 0"
	case "postgres":
		return "boolean NOT NULL DEFAULT false"
	}
	return ""
}

// Scan implements sql.Scanner: SQLite gives an integer, the others a bool.
func (f *flag) Scan(v any) error {
	switch x := v.(type) {
	case bool:
		*f = flag(x)
	case int64:
		*f = x != 0
	default:
		var b sql.NullBool
		if err := b.Scan(v); err != nil {
			return err
		}
		*f = flag(b.Bool)
	}
	return nil
}

// Value implements driver.Valuer.
func (f flag) Value() (driver.Value, error) { return bool(f), nil }

// GormDataType tells GORM the field is a boolean.
func (flag) GormDataType() string { return "bool" }

// GormDataType tells GORM the column holds bytes (blob implements Valuer,
// which would otherwise hide its kind).
func (blob) GormDataType() string { return "bytes" }
