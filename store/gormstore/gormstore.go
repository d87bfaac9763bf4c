// Package gormstore implements store.Store on GORM, for SQLite, Postgres and
// MariaDB.
//
// It imports GORM but no database driver: the dialect comes from the
// *gorm.DB it is given (db.Dialector.Name()). Applications usually open a
// store with store/sqlitestore, store/postgresstore or store/mysqlstore, which import one
// driver each and return a *GORMStore; New is for a *gorm.DB the
// application opened itself (to share its pool, or with its own driver
// settings).
//
// The rows are GORM models (models.go) and the ordinary reads and writes
// go through GORM's query builder. Hand-written SQL remains where GORM
// cannot say it or costs too much, each place saying why: the two
// statements every request or refresh runs (hot.go: through database/sql,
// prepared once on SQLite), the advisory and per-user locks, pg_notify, the
// cleanup lease's guarded upserts on the database clock, the indexes, and
// MariaDB's tables and probes. New creates the tables if they do not
// exist (through GORM's Migrator on SQLite and Postgres), under an advisory
// lock on Postgres so instances starting together do not race.
//
// Expired rows are removed by a background cleanup loop (Options.CleanupInterval)
// in batches of at most Options.CleanupBatchSize rows, each batch its own
// short statement, so a large backlog neither holds locks for long nor keeps
// request writes waiting. Instances sharing a database take turns: a round
// runs only on the instance that takes the cleanup lease, a row in the
// <prefix>leases table claimed by a guarded upsert (no session-level locks,
// so it works behind a pooler in transaction mode). The holder renews the
// lease while it deletes, keeps it for one interval after a run and releases
// it on Close; if it dies, another instance takes over once the lease has
// expired (at most a minute during a run, one interval after it). Each
// instance's first round comes at a random offset within the interval, so
// instances started together do not wake together.
package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/internal/gormconn"
)

// DefaultCleanupInterval is the period of the cleanup loop when
// Options.CleanupInterval is zero.
const DefaultCleanupInterval = 10 * time.Minute

// DefaultTablePrefix is the table-name prefix used when Options.TablePrefix is
// empty.
const DefaultTablePrefix = "ginsession_"

// Options configures a GORMStore. The zero value is ready to use.
type Options struct {
	// CleanupInterval is how often a background goroutine deletes expired
	// sessions, signing keys and revocations (as DeleteExpired with Now()),
	// starting at a random offset within the first interval. Of the stores
	// sharing a database (same TablePrefix) only the one holding the
	// cleanup lease runs a round; the others skip it. Zero means
	// DefaultCleanupInterval (10 minutes); a negative value disables the loop,
	// and the application then calls DeleteExpired itself. Expired rows are
	// invisible to readers either way; the loop only reclaims space.
	CleanupInterval time.Duration

	// Now is the clock the cleanup loop uses to decide what has expired.
	// Default: time.Now. The Store methods never read a clock: they take the
	// time as an argument.
	Now func() time.Time

	// Logger receives the cleanup loop's failures (Warn) and results (Debug).
	// Default: a logger that discards everything. Nothing secret is logged.
	Logger *slog.Logger

	// TablePrefix is prepended to the table names (sessions, signing_keys,
	// secrets, revocations) and to the index names. Default (empty):
	// DefaultTablePrefix, "ginsession_". It must match
	// [A-Za-z_][A-Za-z0-9_]* and be at most 40 bytes, because it is written
	// into SQL statements verbatim.
	TablePrefix string

	// MaxOpenConns caps the connections a store made by postgresstore.Open
	// or mysqlstore.Open opens (all kept idle, so a burst queues in the application instead of
	// opening more). Zero means DefaultMaxOpenConns; negative is refused.
	// The budget: instances × MaxOpenConns, plus whatever else connects,
	// must stay below the server's max_connections (100 by default), or
	// below pgbouncer's max_client_conn behind pgbouncer. SQLite stores and
	// stores made by New on the caller's *gorm.DB ignore it (SQLite writes
	// through one connection and reads through max(4, GOMAXPROCS); the
	// caller sizes its own pool).
	MaxOpenConns int

	// ListenDSN is where a store made by postgresstore.Open LISTENs for the
	// revocations other instances announce (WatchRevocations), on one
	// connection of its own. Default (""): the DSN given to Open. Behind
	// pgbouncer in transaction mode, LISTEN needs a direct connection: set
	// the server's own DSN here, or "off" to rely on polling alone. Other
	// stores ignore it.
	ListenDSN string

	// CleanupBatchSize is the most rows one cleanup statement deletes, in
	// the cleanup loop and in DeleteExpired: each table is emptied of its
	// expired rows in batches of this size, each batch its own statement and
	// transaction, so a backlog of a million expired rows never becomes one
	// long statement holding locks, and request writes get the database
	// between batches. Zero means DefaultCleanupBatchSize (1000); otherwise
	// it must be between 1 and 100 000.
	CleanupBatchSize int
}

// DefaultMaxOpenConns is the Postgres pool size when Options.MaxOpenConns is
// zero: ten instances stay within Postgres' default max_connections of 100.
const DefaultMaxOpenConns = 10

var prefixPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,39}$`)

// GORMStore implements store.Store on top of GORM, for SQLite, Postgres and
// MariaDB.
//
// Create one with sqlitestore.Open, postgresstore.Open, mysqlstore.Open or New, and Close it
// when done. It is safe for concurrent use by many goroutines, and several
// GORMStores (in one or several processes) may share one database.
type GORMStore struct {
	// read serves plain reads. write serves every write and every
	// transaction. They are the same handle except for stores made by
	// sqlitestore.Open, where write is a single connection (SQLite allows one
	// writer at a time; queueing writers in Go rather than in SQLite's busy
	// handler is what keeps SQLITE_BUSY away) and read is a pool.
	read, write *gorm.DB
	dialect     dialect // which SQL the store writes (dialect.go)
	// singleWriter: write is one connection shared by every writer
	// (sqlitestore.Open).
	singleWriter bool
	owned        []*sql.DB // closed by Close; empty for a caller's *gorm.DB
	tables       tableNames

	now func() time.Time
	log *slog.Logger

	hot hotStmts // prepared statements of the request path (hot.go)

	cleanup cleanupState // batch size, lease holder id, hooks (cleanup.go)

	closed   atomic.Bool
	stopLoop context.CancelFunc // nil when the cleanup loop is disabled

	listen    func(ctx context.Context, channel string, notify func()) error // nil: cannot push (watch.go)
	closing   context.Context                                                // done when Close starts
	stopWatch context.CancelFunc
	watch     watchers
	loopDone  chan struct{}
}

var (
	_ store.Store          = (*GORMStore)(nil)
	_ store.DeviceBindings = (*GORMStore)(nil)
)

type tableNames struct {
	prefix, sessions, keys, secrets, revocations, leases string
	userLocks                                            string // MariaDB only (lockUser)
	importedKeys, importedSessions                       string // store.Importer (imports.go)
	challenges, bindings                                 string // store.DeviceBindings (devicebindings.go)
}

// New returns a Store that uses db, an already opened *gorm.DB whose dialect
// is "sqlite", "postgres" or "mysql" (db.Dialector.Name(); MariaDB, see
// store/mysqlstore for the connection settings it needs). It creates the tables if
// they do not exist and starts the cleanup loop.
//
// The caller keeps ownership of db: Close stops the cleanup loop but does not
// close db. With SQLite, the caller is also responsible for the connection
// settings that make concurrent writers safe: WAL journal, a busy_timeout,
// write transactions started IMMEDIATE (mattn DSN "_txlock=immediate") and
// preferably a single open connection. sqlitestore.Open does all of that;
// prefer it.
func New(db *gorm.DB, opts Options) (*GORMStore, error) {
	if db == nil {
		return nil, errors.New("store: New: nil *gorm.DB")
	}
	// The caller's *gorm.DB stays the caller's: nothing in Owned.
	return newStore(&gormconn.Conns{Read: db, Write: db}, opts)
}

// The openers (sqlitestore, postgresstore, mysqlstore, puresqlite) hand
// their handles over through gormconn.NewStore.
func init() { gormconn.Register(newStore) }

func newStore(c *gormconn.Conns, opts Options) (*GORMStore, error) {
	// Sessions of their own: statements start from no conditions the
	// handle may carry, and a single statement runs without the
	// transaction GORM would open around a Create or Delete.
	own := &gorm.Session{NewDB: true, SkipDefaultTransaction: true}
	s := &GORMStore{read: c.Read.Session(own), write: c.Write.Session(own), owned: c.Owned, singleWriter: c.SingleWriter, now: opts.Now, log: opts.Logger, listen: c.Listen}
	s.closing, s.stopWatch = context.WithCancel(context.Background())
	var err error
	if s.dialect, err = dialectOf(s.write); err != nil {
		return nil, err
	}
	prefix := opts.TablePrefix
	if prefix == "" {
		prefix = DefaultTablePrefix
	}
	if !prefixPattern.MatchString(prefix) {
		return nil, fmt.Errorf("store: invalid TablePrefix %q: want [A-Za-z_][A-Za-z0-9_]*, at most 40 bytes", prefix)
	}
	s.tables = tableNames{
		prefix:   prefix,
		sessions: prefix + "sessions",
		keys:     prefix + "signing_keys",
		secrets:  prefix + "secrets",

		revocations: prefix + "revocations",
		leases:      prefix + "leases",
		userLocks:   prefix + "user_locks",

		importedKeys:     prefix + "imported_keys",
		importedSessions: prefix + "imported_sessions",
		challenges:       prefix + "dbsc_challenges",
		bindings:         prefix + "dbsc_bindings",
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cleanup.batch, err = checkBatchSize(opts.CleanupBatchSize); err != nil {
		return nil, err
	}
	if s.cleanup.holder, err = newHolderID(); err != nil {
		return nil, err
	}
	s.cleanup.runLease = defaultRunLease
	if h := newStoreHook.Load(); h != nil {
		(*h)(s)
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.dialect == mysqlDialect {
		if err := s.checkMySQLTimes(context.Background()); err != nil {
			return nil, err
		}
	}
	if err := s.migrate(context.Background()); err != nil {
		return nil, err
	}
	if s.dialect == mysqlDialect {
		if err := s.checkMySQLWrites(context.Background()); err != nil {
			return nil, err
		}
	}
	if err := s.prepareHot(context.Background()); err != nil {
		return nil, err
	}
	interval := opts.CleanupInterval
	if interval == 0 {
		interval = DefaultCleanupInterval
	}
	if interval > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		s.stopLoop = cancel
		s.loopDone = make(chan struct{})
		go s.cleanupLoop(ctx, interval)
	}
	return s, nil
}

// DB returns the *gorm.DB the store writes through. For a store made by
// sqlitestore.Open it is the single writer connection (reads use a separate pool);
// otherwise it is the only handle. It is meant for tests and for tuning the
// connection pool (DB().DB()); queries run through it bypass the store's
// guarantees.
func (s *GORMStore) DB() *gorm.DB { return s.write }

// Close stops the cleanup loop, waits for it to return, and closes the
// database handles the store opened itself (not a *gorm.DB given to New).
// Every later call, including a second Close, returns ErrClosed.
func (s *GORMStore) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return store.ErrClosed
	}
	s.stopWatching()
	if s.stopLoop != nil {
		s.stopLoop()
		<-s.loopDone
		if s.cleanup.held {
			// Hand the lease over now rather than when it expires. A
			// failure only delays the next cleanup by one interval.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := s.releaseLease(ctx); err != nil {
				s.log.Debug("ginsession store: releasing the cleanup lease failed", "error", err)
			}
			cancel()
		}
	}
	var errs []error
	if err := s.closeHot(); err != nil {
		errs = append(errs, err)
	}
	for _, db := range s.owned {
		if err := db.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// fail wraps a database error. It never returns ErrNotFound or ErrConflict:
// a failing database must not look like a missing or contested row.
func (s *GORMStore) fail(op string, err error) error {
	if s.closed.Load() {
		return fmt.Errorf("store: %s: %w: %w", op, store.ErrClosed, err)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// failInsert is fail for INSERTs: a unique-key violation also matches
// gorm.ErrDuplicatedKey, so callers can tell "already exists" from an outage.
func (s *GORMStore) failInsert(op string, db *gorm.DB, err error) error {
	if t, ok := db.Dialector.(gorm.ErrorTranslator); ok && errors.Is(t.Translate(err), gorm.ErrDuplicatedKey) {
		return s.fail(op, fmt.Errorf("%w: %w", gorm.ErrDuplicatedKey, err))
	}
	return s.fail(op, err)
}

// checkText rejects strings that one backend would store and another would
// refuse or alter (Postgres text cannot hold NUL or invalid UTF-8), so both
// backends give the same answer: a clear error at write time.
func checkText(op, field, v string) error {
	if v == "" {
		return fmt.Errorf("store: %s: empty %s", op, field)
	}
	return checkMetaText(op, field, v)
}

// checkMetaText is checkText for the session metadata, which may be empty.
func checkMetaText(op, field, v string) error {
	if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("store: %s: %s must be valid UTF-8 without NUL bytes", op, field)
	}
	return nil
}

func utc(t time.Time) time.Time { return t.UTC() }

// sessionColumns are the columns of sessionRow, in its order: the hot
// statements (hot.go) name them.
const sessionColumns = "handle, user_id, refresh_hash, prev_refresh_hash, generation, rotated_at, expires_at, created_at, payload, data, " +
	"device_label, created_user_agent, created_ip, refreshed_user_agent, refreshed_ip, browser_session_only"

// table returns db on the named table of this store. GORM quotes the name;
// the hand-written statements name tables unquoted, which Postgres folds to
// lower case (and the tables were created so, with any TablePrefix): on
// Postgres the quoted name is folded the same way, so both reach one table.
func (s *GORMStore) table(db *gorm.DB, name string) *gorm.DB {
	if s.dialect == postgresDialect {
		name = strings.ToLower(name)
	}
	return db.Table(name)
}

// CreateSession implements store.Store. Handle and UserID must be non-empty valid
// UTF-8 without NUL bytes, the metadata texts valid UTF-8 without NUL bytes
// (on MariaDB also within the documented bounds: 255 bytes for the label,
// 512 for user agents, 64 for IPs); RefreshHash must be set. A duplicate
// handle gives an error matching gorm.ErrDuplicatedKey.
func (s *GORMStore) CreateSession(ctx context.Context, in *store.Session) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if err := checkSession(in); err != nil {
		return err
	}
	db := s.write.WithContext(ctx)
	if err := s.insertSession(db, in); err != nil {
		return s.failInsert("create session", db, err)
	}
	s.yieldWriter()
	return nil
}

// checkSession refuses a session CreateSession and CreateSessionLimited
// would not store as given.
func checkSession(in *store.Session) error {
	if in == nil {
		return errors.New("store: create session: nil session")
	}
	if err := checkText("create session", "handle", in.Handle); err != nil {
		return err
	}
	if err := checkText("create session", "user id", in.UserID); err != nil {
		return err
	}
	if len(in.RefreshHash) == 0 {
		return errors.New("store: create session: empty refresh hash")
	}
	for _, f := range []struct{ name, v string }{
		{"device label", in.DeviceLabel},
		{"created user agent", in.CreatedUserAgent},
		{"created ip", in.CreatedIP},
		{"refreshed user agent", in.RefreshedUserAgent},
		{"refreshed ip", in.RefreshedIP},
	} {
		if err := checkMetaText("create session", f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

// insertSession inserts in, every column, on db (a handle or a transaction).
func (s *GORMStore) insertSession(db *gorm.DB, in *store.Session) error {
	return s.table(db, s.tables.sessions).Create(newSessionRow(in)).Error
}

// GetSession implements store.Store.
func (s *GORMStore) GetSession(ctx context.Context, handle string, now time.Time) (*store.Session, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	st := s.hot[hotGet]
	row, err := querySession(ctx, st, handle, utc(now))
	if err != nil {
		return nil, s.fail("get session", err)
	}
	if row == nil {
		return nil, store.ErrNotFound
	}
	return row, nil
}

// RotateSession implements store.Store: one UPDATE guarded on the handle,
// the current refresh hash and the expiry, which also writes the refreshed
// user agent and IP, with RETURNING (on MariaDB,
// which has no UPDATE … RETURNING, followed by a read in the same
// transaction: rotateThenRead).
func (s *GORMStore) RotateSession(ctx context.Context, handle string, current []byte, r store.Rotation) (*store.Session, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if len(r.NewRefreshHash) == 0 || len(current) == 0 {
		return nil, errors.New("store: rotate session: empty refresh hash")
	}
	if err := checkMetaText("rotate session", "user agent", r.UserAgent); err != nil {
		return nil, err
	}
	if err := checkMetaText("rotate session", "ip", r.IP); err != nil {
		return nil, err
	}
	var row *store.Session
	var err error
	if s.dialect == mysqlDialect {
		// A deadlock victim was rolled back whole; the guarded write
		// runs again and gets the answer it would have had second.
		err = s.retryDeadlock(ctx, func() (err error) {
			row, err = s.rotateThenRead(ctx, handle, current, r)
			return err
		})
	} else {
		row, err = queryRotated(ctx, s.hot[hotRotate], handle, current, r)
	}
	if err != nil {
		return nil, s.fail("rotate session", err)
	}
	s.yieldWriter()
	if row == nil {
		return nil, store.ErrConflict
	}
	return row, nil
}

// fnError carries UpdateSession's callback error through the transaction so
// it can be returned unwrapped.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// UpdateSession implements store.Store. The row is locked for the whole
// transaction: SELECT ... FOR UPDATE on Postgres, the database write lock on
// SQLite (taken before the read, so concurrent updates serialise instead of
// failing).
func (s *GORMStore) UpdateSession(ctx context.Context, handle string, now time.Time, fn func(*store.Session) error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.dialect == sqliteDialect {
			// A write first makes SQLite take its write lock now, even in a
			// deferred transaction (New with the caller's settings), so the
			// read below cannot go stale before the write.
			err := s.table(tx, s.tables.sessions).Where("handle = ?", handle).Update("generation", gorm.Expr("generation")).Error
			if err != nil {
				return err
			}
		}
		q := s.table(tx, s.tables.sessions).Where("handle = ? AND expires_at > ?", handle, utc(now))
		if s.dialect != sqliteDialect {
			q = q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
		}
		var rows []sessionRow
		if err := q.Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return store.ErrNotFound
		}
		sess := rows[0].session()
		if err := fn(sess); err != nil {
			return fnError{err}
		}
		return s.table(tx, s.tables.sessions).Where("handle = ?", handle).
			Updates(map[string]any{"payload": blob(sess.Payload), "data": blob(sess.Data)}).Error
	})
	var fe fnError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return fe.err
	case errors.Is(err, store.ErrNotFound):
		return store.ErrNotFound
	default:
		return s.fail("update session", err)
	}
}

// DeleteSession implements store.Store.
func (s *GORMStore) DeleteSession(ctx context.Context, handle string) (bool, error) {
	if s.closed.Load() {
		return false, store.ErrClosed
	}
	var n int64
	err := s.retryDeadlock(ctx, func() error {
		res := s.table(s.write.WithContext(ctx), s.tables.sessions).Where("handle = ?", handle).Delete(&sessionRow{})
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return false, s.fail("delete session", err)
	}
	return n > 0, nil
}

// DeleteUserSessions implements store.Store. The handles come back in no
// particular order; a user with no sessions gives an empty result. It takes
// the user's lock (lockUser) as CreateSessionLimited does, so the two
// serialise; on SQLite the single DELETE holds the database's write lock.
func (s *GORMStore) DeleteUserSessions(ctx context.Context, userID string) ([]string, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	var handles []string
	var err error
	switch s.dialect {
	case mysqlDialect:
		handles, err = s.deleteUserSessionsLocked(ctx, userID)
	case postgresDialect:
		err = s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := s.lockUser(tx, userID); err != nil {
				return err
			}
			handles, err = s.deleteReturningHandles(tx, userID)
			return err
		}, s.userTxOptions()...)
	default:
		handles, err = s.deleteReturningHandles(s.write.WithContext(ctx), userID)
	}
	if err != nil {
		return nil, s.fail("delete user sessions", err)
	}
	return handles, nil
}

// deleteReturningHandles deletes the user's sessions with DELETE …
// RETURNING handle, one statement (SQLite, Postgres).
func (s *GORMStore) deleteReturningHandles(db *gorm.DB, userID string) ([]string, error) {
	var rows []sessionRow
	err := s.table(db, s.tables.sessions).Clauses(clause.Returning{Columns: []clause.Column{{Name: "handle"}}}).
		Where("user_id = ?", userID).Delete(&rows).Error
	if err != nil {
		return nil, err
	}
	handles := make([]string, len(rows))
	for i := range rows {
		handles[i] = rows[i].Handle
	}
	return handles, nil
}

// deleteUserSessionsLocked is DeleteUserSessions without DELETE …
// RETURNING (MySQL has none): under the user's lock, the user's rows are
// locked and read, then exactly those rows are deleted, in one transaction,
// so the handles returned are the rows deleted.
func (s *GORMStore) deleteUserSessionsLocked(ctx context.Context, userID string) ([]string, error) {
	var handles []string
	// A deadlock victim (see retryDeadlock) runs again from the start.
	err := s.transaction(s.write.WithContext(ctx), func(tx *gorm.DB) error {
		handles = nil
		if err := s.lockUser(tx, userID); err != nil {
			return err
		}
		err := s.table(tx, s.tables.sessions).Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
			Where("user_id = ?", userID).Pluck("handle", &handles).Error
		if err != nil {
			return err
		}
		return s.deleteHandles(tx, handles)
	}, s.userTxOptions()...)
	if err != nil {
		return nil, err
	}
	return handles, nil
}

// ListUserSessions implements store.Store, ordering by CreatedAt then Handle.
func (s *GORMStore) ListUserSessions(ctx context.Context, userID string, now time.Time) ([]store.Session, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	var rows []sessionRow
	err := s.table(s.read.WithContext(ctx), s.tables.sessions).Where("user_id = ? AND expires_at > ?", userID, utc(now)).
		Order(s.dialect.ageOrder()).Find(&rows).Error
	if err != nil {
		return nil, s.fail("list user sessions", err)
	}
	out := make([]store.Session, len(rows))
	for i := range rows {
		out[i] = *rows[i].session()
	}
	return out, nil
}

// AddSigningKey implements store.Store. ID and Algorithm must be non-empty valid
// UTF-8 without NUL bytes; Follows valid UTF-8 without NUL bytes. A
// duplicate ID gives an error matching gorm.ErrDuplicatedKey. The Follows
// guard is a unique index: in one transaction, the keys with the same
// Follows that have expired by k.CreatedAt are deleted, then the insert does
// nothing on a conflict on follows (ErrConflict), so racing writers in
// several processes serialise on the index and exactly one inserts.
func (s *GORMStore) AddSigningKey(ctx context.Context, k *store.SigningKey) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if k == nil {
		return errors.New("store: add signing key: nil key")
	}
	if err := checkText("add signing key", "id", k.ID); err != nil {
		return err
	}
	if err := checkText("add signing key", "algorithm", k.Algorithm); err != nil {
		return err
	}
	if k.Follows != "" {
		if err := checkText("add signing key", "follows", k.Follows); err != nil {
			return err
		}
	}
	db := s.write.WithContext(ctx)
	err := s.transaction(db, func(tx *gorm.DB) error {
		err := s.table(tx, s.tables.keys).Where("follows = ? AND expires_at <= ?", k.Follows, utc(k.CreatedAt)).Delete(&keyRow{}).Error
		if err != nil {
			return err
		}
		res := s.table(tx, s.tables.keys).Clauses(doNothingOn("follows")).Create(newKeyRow(k))
		if res.Error != nil || res.RowsAffected > 0 {
			return res.Error
		}
		// Nothing inserted: a unique index matched (on MariaDB the no-op
		// update counts no changed row). The same ID stored
		// already is the caller's duplicate, not a lost race.
		var n int64
		if err := s.table(tx, s.tables.keys).Where("id = ?", k.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return errDuplicateKeyID
		}
		return store.ErrConflict
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		return store.ErrConflict
	case errors.Is(err, errDuplicateKeyID):
		return s.fail("add signing key", fmt.Errorf("%w: key %q already stored", gorm.ErrDuplicatedKey, k.ID))
	case err != nil:
		return s.failInsert("add signing key", db, err)
	}
	return nil
}

var errDuplicateKeyID = errors.New("duplicate key id")

// SigningKeys implements store.Store, ordering by SignFrom then ID.
func (s *GORMStore) SigningKeys(ctx context.Context, now time.Time) ([]store.SigningKey, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	var rows []keyRow
	err := s.table(s.read.WithContext(ctx), s.tables.keys).Where("expires_at > ?", utc(now)).Order("sign_from, id").Find(&rows).Error
	if err != nil {
		return nil, s.fail("signing keys", err)
	}
	out := make([]store.SigningKey, len(rows))
	for i := range rows {
		out[i] = rows[i].key()
	}
	return out, nil
}

// EnsureSecret implements store.Store with INSERT ... ON CONFLICT DO NOTHING
// followed by a read, so the first value committed wins everywhere. name
// must be non-empty valid UTF-8 without NUL bytes; value must not be empty.
func (s *GORMStore) EnsureSecret(ctx context.Context, name string, value []byte) ([]byte, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if err := checkText("ensure secret", "name", name); err != nil {
		return nil, err
	}
	if len(value) == 0 {
		return nil, errors.New("store: ensure secret: empty value")
	}
	db := s.write.WithContext(ctx)
	err := s.table(db, s.tables.secrets).Clauses(doNothingOn("name")).Create(&secretRow{Name: name, Value: value}).Error
	if err != nil {
		return nil, s.fail("ensure secret", err)
	}
	var rows []secretRow
	err = s.table(db, s.tables.secrets).Where("name = ?", name).Find(&rows).Error
	if err != nil {
		return nil, s.fail("ensure secret", err)
	}
	if len(rows) == 0 {
		// Deleted between the insert and the read by someone else: that is a
		// fault of the deployment, not "no secret".
		return nil, s.fail("ensure secret", fmt.Errorf("secret %q vanished after insert", name))
	}
	return []byte(rows[0].Value), nil
}

// DeleteExpired implements store.Store. It deletes in batches of at most
// Options.CleanupBatchSize rows per statement, each batch its own
// transaction, until no expired row is left; it checks ctx between batches
// and, when ctx ends or a statement fails, returns the error (rows deleted by
// earlier batches stay deleted). It takes no lease: an application that calls
// it itself decides when and where. On error the count is of the rows
// deleted before it.
func (s *GORMStore) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	n, err := s.deleteExpired(ctx, now, nil)
	if err != nil {
		return n, s.fail("delete expired", err)
	}
	return n, nil
}
