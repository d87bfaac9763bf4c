package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/ginsession/ginsession/store"
)

// The statements every request or refresh runs (read a session, rotate a
// refresh token) go through database/sql directly instead of GORM's raw-SQL
// path, and on SQLite as statements prepared once. Profiled on the refresh
// route, GORM's Raw/Exec prepared the SQL again on every call (SQLite's
// sqlite3_prepare_v2) and scanned rows through reflection: together more
// time than the statement itself. On Postgres the statement text goes to the
// pool as is: pgx caches prepared statements itself, or not, as its
// configuration says (a pooler in transaction mode needs it not to), and a
// prepared *sql.Stmt would override that. Everything else (migrations,
// keys, user listings, cleanup) goes through GORM's query builder, where its
// cost does not matter.
//
// Measured again when the rest moved to the query builder (store-level
// BenchmarkStore, the same statements written with Where/Find and
// Model/Clauses(clause.Returning)/Updates, three interleaved runs on a
// shared 2-core machine): GetSession on SQLite 64 µs median hand-written
// against 105 µs through the builder, 2.8 KB and 93 allocations per call
// against 14.6 KB and 158; RotateSession on SQLite 157 µs against 287 µs,
// 3.1 KB/78 allocations against 19.0 KB/181. On Postgres the times were
// within the machine's noise, the allocations not: GetSession 3.0 KB/78
// against 14.8 KB/141, RotateSession 3.0 KB/64 against 18.5 KB/165. Both
// statements therefore stay here.

// hotStmts are the statements of one store, made once by prepareHot when
// the store is built (the tables exist then), so the request path reads
// them without a lock.
type hotStmts [hotKinds]hotStmt

// hotStmt runs one hot statement: prepared (stmt set) or as text on db.
type hotStmt struct {
	stmt *sql.Stmt
	db   *sql.DB
	text string
}

func (h hotStmt) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	if h.stmt != nil {
		return h.stmt.QueryContext(ctx, args...)
	}
	return h.db.QueryContext(ctx, h.text, args...)
}

func (h hotStmt) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	if h.stmt != nil {
		return h.stmt.ExecContext(ctx, args...)
	}
	return h.db.ExecContext(ctx, h.text, args...)
}

type hotKind int

const (
	hotGet hotKind = iota
	hotRotate
	// hotRotated reads back what hotRotate's RETURNING gives elsewhere
	// (MariaDB only; rotateThenRead).
	hotRotated
	hotKinds
)

// hotSQL returns the statement text of kind for the store's dialect, with
// positional placeholders in the dialect's syntax.
func (s *GORMStore) hotSQL(kind hotKind) string {
	t := s.tables.sessions
	var q string
	switch kind {
	case hotGet:
		q = "SELECT " + sessionColumns + " FROM " + t + " WHERE handle = ? AND expires_at > ?"
	case hotRotate:
		// The new expiry depends on the kind of session
		// (store.Rotation.BrowserSessionExpiresAt), decided in the same
		// statement. Postgres would type the bare placeholders of a CASE
		// as text.
		exp := "?"
		if s.dialect == postgresDialect {
			exp = "CAST(? AS timestamptz)"
		}
		q = "UPDATE " + t + " SET prev_refresh_hash = refresh_hash, refresh_hash = ?, generation = generation + 1, rotated_at = ?," +
			" expires_at = CASE WHEN browser_session_only THEN " + exp + " ELSE " + exp + " END," +
			" refreshed_user_agent = ?, refreshed_ip = ?" +
			" WHERE handle = ? AND refresh_hash = ? AND expires_at > ?"
		if s.dialect != mysqlDialect {
			q += " RETURNING " + rotatedColumns
		}
	case hotRotated:
		if s.dialect != mysqlDialect {
			return ""
		}
		q = "SELECT " + rotatedColumns + " FROM " + t + " WHERE handle = ?"
	default:
		panic("gormstore: unknown hot statement")
	}
	if s.dialect != postgresDialect {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// rotatedColumns are what a rotation reads back: the columns the caller
// of RotateSession cannot know (queryRotated).
const rotatedColumns = "user_id, generation, created_at, payload, device_label, created_user_agent, created_ip, browser_session_only"

// prepareHot makes every hot statement on its handle (the read pool for
// hotGet, the writer otherwise), prepared on SQLite and MariaDB (where a
// statement with arguments sent as text is prepared, run and closed on
// every call by the driver: three round trips instead of one).
func (s *GORMStore) prepareHot(ctx context.Context) error {
	for kind := range hotKinds {
		text := s.hotSQL(kind)
		if text == "" {
			continue
		}
		h := s.write
		if kind == hotGet {
			h = s.read
		}
		db, err := h.DB()
		if err != nil {
			return errors.Join(err, s.closeHot())
		}
		st := hotStmt{db: db, text: text}
		if s.dialect != postgresDialect {
			if st.stmt, err = db.PrepareContext(ctx, st.text); err != nil {
				return errors.Join(fmt.Errorf("store: preparing statements: %w", err), s.closeHot())
			}
		}
		s.hot[kind] = st
	}
	return nil
}

// yieldWriter is called after a write on the request path has released the
// writer. With sqlitestore.Open there is one writer connection; the goroutine
// queued for it is made runnable when it is released, but without a yield
// it runs only once this goroutine has finished its own CPU work (signing
// the new access token: tens of microseconds), and the writer sits idle
// meanwhile. Measured on the parallel refresh benchmark (8 clients, 2
// cores): 9 300 refreshes/s without the yield, 15 400/s with it. Postgres
// has a pool of writers and no such convoy.
func (s *GORMStore) yieldWriter() {
	if s.singleWriter {
		runtime.Gosched()
	}
}

// closeHot closes the prepared statements (Close, before the handles).
func (s *GORMStore) closeHot() error {
	var errs []error
	for i := range s.hot {
		if st := s.hot[i].stmt; st != nil {
			errs = append(errs, st.Close())
		}
		s.hot[i] = hotStmt{}
	}
	return errors.Join(errs...)
}

// scanSession reads one row of sessionColumns.
func scanSession(rows *sql.Rows) (*store.Session, error) {
	var out store.Session
	var rotated, expires, created dbTime
	if err := rows.Scan(&out.Handle, &out.UserID, &out.RefreshHash, &out.PrevRefreshHash, &out.Generation,
		&rotated, &expires, &created, &out.Payload, &out.Data,
		&out.DeviceLabel, &out.CreatedUserAgent, &out.CreatedIP, &out.RefreshedUserAgent, &out.RefreshedIP, &out.BrowserSessionOnly); err != nil {
		return nil, err
	}
	out.RotatedAt, out.ExpiresAt, out.CreatedAt = rotated.t, expires.t, created.t
	return &out, nil
}

// queryOne runs a statement that returns at most one row and scans it with
// scan. found is false when there was no row.
func queryOne(ctx context.Context, st hotStmt, scan func(*sql.Rows) error, args ...any) (found bool, err error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return false, rows.Err()
	}
	if err := scan(rows); err != nil {
		return false, err
	}
	if rows.Next() {
		// Impossible with handle as primary key; never hand out either row.
		return false, errors.New("more than one row for one handle")
	}
	return true, rows.Close()
}

// querySession runs a statement that returns at most one session row of
// sessionColumns; nil when there is none.
func querySession(ctx context.Context, st hotStmt, args ...any) (*store.Session, error) {
	var row *store.Session
	found, err := queryOne(ctx, st, func(rows *sql.Rows) (err error) {
		row, err = scanSession(rows)
		return err
	}, args...)
	if !found || err != nil {
		return nil, err
	}
	return row, nil
}

// rotateThenRead is the rotation on MariaDB: the guarded UPDATE, then, if
// it changed the row, a read of what RETURNING would have given, in one
// transaction. The read comes after the write in the transaction that
// holds the row's lock, so it sees this rotation and no other. It is still
// one guarded write: the state machine above it is the same on every
// backend. The UPDATE always changes a row it matches (generation goes up),
// so MariaDB's count of changed rows is the count of matched rows.
func (s *GORMStore) rotateThenRead(ctx context.Context, handle string, current []byte, r store.Rotation) (_ *store.Session, err error) {
	db := s.hot[hotRotate].db
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	res, err := tx.StmtContext(ctx, s.hot[hotRotate].stmt).ExecContext(ctx, rotateArgs(handle, current, r)...)
	if err != nil {
		return nil, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, tx.Rollback()
	}
	row, err := queryRotated(ctx, hotStmt{stmt: tx.StmtContext(ctx, s.hot[hotRotated].stmt)}, handle, current, r, handle)
	if err != nil {
		return nil, err
	}
	if row == nil {
		return nil, errors.New("rotated row vanished inside its transaction")
	}
	return row, tx.Commit()
}

// rotateArgs are the arguments of the hotRotate statement.
func rotateArgs(handle string, current []byte, r store.Rotation) []any {
	return []any{[]byte(r.NewRefreshHash), utc(r.RotatedAt), utc(sessionOnlyExpiry(r)), utc(r.ExpiresAt), r.UserAgent, r.IP, handle, current, utc(r.RotatedAt)}
}

// sessionOnlyExpiry is the new expiry of a BrowserSessionOnly row.
func sessionOnlyExpiry(r store.Rotation) time.Time {
	if r.BrowserSessionExpiresAt.IsZero() {
		return r.ExpiresAt
	}
	return r.BrowserSessionExpiresAt
}

// queryRotated runs the hotRotate statement and completes the row
// from what the caller passed: only the columns the caller cannot know come
// back from the database (the times it set, the hashes, user agent and IP
// it gave and the handle are not read again; Data is not read at all). nil
// when no row matched.
// args, when given, replace the rotation's arguments (rotateThenRead reads
// with the handle alone).
func queryRotated(ctx context.Context, st hotStmt, handle string, current []byte, r store.Rotation, args ...any) (*store.Session, error) {
	out := store.Session{
		Handle:          handle,
		RefreshHash:     append([]byte(nil), r.NewRefreshHash...),
		PrevRefreshHash: append([]byte(nil), current...),
		RotatedAt:       utc(r.RotatedAt),
		ExpiresAt:       utc(r.ExpiresAt),

		RefreshedUserAgent: r.UserAgent,
		RefreshedIP:        r.IP,
	}
	if len(args) == 0 {
		args = rotateArgs(handle, current, r)
	}
	var created dbTime
	found, err := queryOne(ctx, st, func(rows *sql.Rows) error {
		return rows.Scan(&out.UserID, &out.Generation, &created, &out.Payload,
			&out.DeviceLabel, &out.CreatedUserAgent, &out.CreatedIP, &out.BrowserSessionOnly)
	}, args...)
	if !found || err != nil {
		return nil, err
	}
	out.CreatedAt = created.t
	if out.BrowserSessionOnly {
		out.ExpiresAt = utc(sessionOnlyExpiry(r))
	}
	return &out, nil
}

// dbTime scans a timestamp column as either backend returns it: Postgres
// and SQLite columns declared DATETIME come back as time.Time; SQLite
// returns the stored text where it does not know the declared type (the
// RETURNING clause, on some versions).
type dbTime struct{ t time.Time }

// sqliteTimeLayouts are the layouts the mattn driver writes and reads.
var sqliteTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
}

// Scan implements sql.Scanner.
func (d *dbTime) Scan(v any) error {
	var text string
	switch x := v.(type) {
	case time.Time:
		d.t = x.UTC()
		return nil
	case string:
		text = x
	case []byte:
		text = string(x)
	default:
		return fmt.Errorf("store: cannot read %T as a time", v)
	}
	text = strings.TrimSuffix(text, "Z")
	for _, layout := range sqliteTimeLayouts {
		if t, err := time.ParseInLocation(layout, text, time.UTC); err == nil {
			d.t = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("store: cannot read %q as a time", text)
}
