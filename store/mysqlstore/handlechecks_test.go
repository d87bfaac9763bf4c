package mysqlstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ginsession/ginsession/internal/mysqltest"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/mysqlstore"
)

// newOnHandle opens a *gorm.DB of the caller's own on cfg and gives it to
// gormstore.New, as an application that opens its pool itself would. The
// handle is closed when the test ends; the store, if New made one, too.
func newOnHandle(t *testing.T, cfg *mysql.Config) (*gormstore.GORMStore, error) {
	t.Helper()
	db, err := gorm.Open(gormmysql.Open(cfg.FormatDSN()), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	s, err := gormstore.New(db, gormstore.Options{CleanupInterval: -1})
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

// withParam appends a driver parameter to a mysql:// URL.
func withParam(dsn, param string) string {
	if strings.Contains(dsn, "?") {
		return dsn + "&" + param
	}
	return dsn + "?" + param
}

// The driver's clientFoundRows=true makes the server count matched rows
// instead of changed ones. Open accepts any driver parameter, but the
// Follows guard of AddSigningKey reads "nothing inserted" from the affected
// row count of INSERT … ON DUPLICATE KEY UPDATE id = id, which is 1, not 0,
// for the no-op update under CLIENT_FOUND_ROWS: the loser of a turn is told
// it won, and its key is not stored.
func TestAddSigningKeyGuardHoldsWithClientFoundRows(t *testing.T) {
	t.Run("Open", func(t *testing.T) {
		guardHolds(t, open(t, withParam(mysqltest.NewDatabase(t), "clientFoundRows=true")))
	})
	// New on a caller's handle opened with clientFoundRows=true: refusing
	// the handle is fine, a store whose guard does not hold is not.
	t.Run("New", func(t *testing.T) {
		cfg, err := mysqlstore.ParseDSN(mysqltest.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		cfg.ClientFoundRows = true
		s, err := newOnHandle(t, cfg)
		if err != nil {
			t.Logf("New refused the handle: %v", err)
			return
		}
		guardHolds(t, s)
	})
}

func guardHolds(t *testing.T, s *gormstore.GORMStore) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	key := func(id string) *store.SigningKey {
		return &store.SigningKey{ID: id, Algorithm: "ES256", PrivateKey: []byte("priv-" + id), PublicKey: []byte("pub-" + id),
			CreatedAt: now, SignFrom: now, ExpiresAt: now.Add(time.Hour), Follows: "turn-1"}
	}
	if err := s.AddSigningKey(ctx, key("first")); err != nil {
		t.Fatalf("first AddSigningKey: %v", err)
	}
	err := s.AddSigningKey(ctx, key("second"))
	keys, kerr := s.SigningKeys(ctx, now)
	if kerr != nil {
		t.Fatal(kerr)
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second AddSigningKey with the same Follows: err = %v, want ErrConflict (stored keys: %v)", err, ids)
	}
}

// Options.TablePrefix documents any [A-Za-z_][A-Za-z0-9_]* of at most 40
// bytes as valid, and SQLite and Postgres take one. On MariaDB the store
// names its indexes prefix + "signing_keys_expires_at_idx" (27 bytes), and
// identifiers are limited to 64 characters.
func TestOpenTakesLongestTablePrefix(t *testing.T) {
	for _, n := range []int{37, 38, 40} {
		prefix := strings.Repeat("p", n-1) + "_"
		s, err := mysqlstore.Open(mysqltest.NewDatabase(t), gormstore.Options{CleanupInterval: -1, TablePrefix: prefix})
		if err != nil {
			t.Errorf("Open with a %d-byte TablePrefix: %v", n, err)
			continue
		}
		s.Close()
	}
}

// New takes a caller's *gorm.DB. Its check of the handle covers the time
// settings but not strict mode: on a handle whose sql_mode is not strict
// (a server configured with sql_mode=”, or a DSN that sets it), a value
// too long for its column is cut to fit with a warning, and the cut value
// is stored: a 300-byte handle is stored as its first 255 bytes, and
// CreateSession reports success. Open forces strict mode; New must refuse
// the handle (or set strict mode itself), as it refuses loc other than UTC.
func TestNewRefusesHandleThatCutsValues(t *testing.T) {
	cfg, err := mysqlstore.ParseDSN(mysqltest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Params["sql_mode"] = "''"
	s, err := newOnHandle(t, cfg)
	if err != nil {
		return // refused: fine
	}
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	long := strings.Repeat("h", 300)
	err = s.CreateSession(ctx, &store.Session{Handle: long, UserID: "u", RefreshHash: []byte{1}, RotatedAt: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	if err == nil {
		_, cut := s.GetSession(ctx, long[:255], now)
		t.Fatalf("New accepted a non-strict handle, and CreateSession with a 300-byte handle succeeded (GetSession of its first 255 bytes: err = %v)", cut)
	}
}

// New refuses a *gorm.DB that would write or read times other than as UTC
// time.Time, and takes one built from ParseDSN.
func TestNewChecksTimeSettings(t *testing.T) {
	cfg, err := mysqlstore.ParseDSN(mysqltest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	bare := *cfg
	bare.Params = nil
	bare.ParseTime = false
	bare.Loc = time.UTC
	if _, err := newOnHandle(t, &bare); err == nil || !strings.Contains(err.Error(), "parseTime=true") {
		t.Errorf("New without parseTime: err = %v, want a refusal naming parseTime=true", err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	local := bare
	local.ParseTime = true
	local.Loc = tokyo
	if _, err := newOnHandle(t, &local); err == nil || !strings.Contains(err.Error(), "loc=UTC") {
		t.Errorf("New with loc=Asia/Tokyo: err = %v, want a refusal naming loc=UTC", err)
	}
	if _, err := newOnHandle(t, cfg); err != nil {
		t.Errorf("New with ParseDSN's settings: %v", err)
	}
}
