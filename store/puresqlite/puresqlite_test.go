package puresqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/puresqlite"
	"github.com/ginsession/ginsession/store/storetest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// openAt opens a store on path and closes it when the test ends.
func openAt(t testing.TB, path string) *gormstore.GORMStore {
	t.Helper()
	s, err := puresqlite.Open(path, gormstore.Options{})
	if err != nil {
		t.Fatalf("puresqlite.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// TestConformance runs the store conformance suite on the pure-Go store.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openAt(t, filepath.Join(t.TempDir(), "sessions.db"))
	})
}

// TestConformanceShared runs the suite's two-store tests on two stores
// opened on one file: each race still has exactly one winner, and no
// operation fails with SQLITE_BUSY although the two writer connections
// contend for the file's lock.
func TestConformanceShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		path := filepath.Join(t.TempDir(), "sessions.db")
		return openAt(t, path), openAt(t, path)
	})
}

// TestOpenSettings: the connections have the settings Open documents.
func TestOpenSettings(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "sessions.db"))
	db := s.DB()
	pragma := func(name string) string {
		t.Helper()
		var v string
		if err := db.Raw("PRAGMA " + name).Row().Scan(&v); err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		return v
	}
	for name, want := range map[string]string{
		"journal_mode": "wal",
		"busy_timeout": "5000",
		"foreign_keys": "1",
		"synchronous":  "1", // NORMAL
	} {
		if got := pragma(name); !strings.EqualFold(got, want) {
			t.Errorf("writer: PRAGMA %s = %s, want %s", name, got, want)
		}
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	if n := sqlDB.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer pool: %d connections at most, want 1", n)
	}
	if got := db.Dialector.Name(); got != "sqlite" {
		t.Errorf("dialector %q, want sqlite", got)
	}
}

// TestOpenRefusesNonFilePaths: Open takes a plain file path and nothing
// that would carry DSN parameters of its own or make a private database.
func TestOpenRefusesNonFilePaths(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{
		"",
		":memory:",
		"file:" + filepath.Join(dir, "a.db"),
		filepath.Join(dir, "b.db") + "?_txlock=deferred",
		filepath.Join(dir, "c#d.db"),
	} {
		if s, err := puresqlite.Open(path, gormstore.Options{}); err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded", path)
		} else if !strings.Contains(err.Error(), "not a plain file path") {
			t.Errorf("Open(%q): %v", path, err)
		}
	}
}

// TestWriterTransactionsBeginImmediate: a transaction of the store's writer
// holds the file's write lock from its BEGIN, before any statement, so two
// writers never both read and then ask for the lock (which SQLite refuses
// with SQLITE_BUSY at once, without waiting). Another connection's
// BEGIN IMMEDIATE, with no busy timeout, fails while it is open and
// succeeds once it has ended.
func TestWriterTransactionsBeginImmediate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	s := openAt(t, path)
	// A plain connection of the same driver, with no busy timeout: its
	// BEGIN IMMEDIATE fails at once if another connection holds the lock.
	other, err := sql.Open("sqlite", path+"?_busy_timeout=0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	immediate := func() error {
		_, err := other.Exec("BEGIN IMMEDIATE")
		if err == nil {
			_, err = other.Exec("ROLLBACK")
		}
		return err
	}
	err = s.DB().Transaction(func(tx *gorm.DB) error {
		if err := immediate(); err == nil {
			t.Error("another connection began a write transaction while the store's writer had one open: the writer's BEGIN is not IMMEDIATE")
		} else if !strings.Contains(err.Error(), "SQLITE_BUSY") && !strings.Contains(err.Error(), "locked") {
			t.Errorf("another connection's BEGIN IMMEDIATE: %v, want SQLITE_BUSY", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := immediate(); err != nil {
		t.Errorf("BEGIN IMMEDIATE after the writer's transaction ended: %v", err)
	}
}

// TestOpenTogetherInProcess: eight Opens of one new file at the same
// moment all succeed, round after round, and each store writes and reads.
// Each Open makes connections of its own, which SQLite locks against each
// other as it would other processes', so the switch of the new file to WAL
// is contended (see switchToWAL in store/internal/sqliteconn). With that switch not retried, one open
// of the 200 failed with SQLITE_BUSY in one run of two.
func TestOpenTogetherInProcess(t *testing.T) {
	const opens, rounds = 8, 25
	dir := t.TempDir()
	failed := 0
	for round := range rounds {
		path := filepath.Join(dir, fmt.Sprintf("round-%d.db", round))
		start := make(chan struct{})
		errs := make([]error, opens)
		var wg sync.WaitGroup
		for i := range opens {
			wg.Go(func() {
				<-start
				errs[i] = useStore(path, fmt.Sprintf("h%d", i))
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				failed++
				t.Errorf("round %d, open %d: %v", round, i, err)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d opens failed", failed, opens*rounds)
	}
}

// useStore opens a store on path, writes a session with the given handle,
// reads it back through the read pool and closes the store.
func useStore(path, handle string) error {
	s, err := puresqlite.Open(path, gormstore.Options{})
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	ctx := context.Background()
	now := time.Now().UTC()
	err = s.CreateSession(ctx, &store.Session{
		Handle: handle, UserID: "u-" + handle, RefreshHash: []byte("refresh hash of " + handle),
		RotatedAt: now, ExpiresAt: now.Add(time.Hour), CreatedAt: now,
		Payload: []byte(`{}`), Data: []byte(`{}`),
	})
	if err == nil {
		_, err = s.GetSession(ctx, handle, now)
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}
