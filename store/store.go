// Package store is the contract between ginsession and a database: the Store
// interface, its row types and its errors. It imports no database code.
//
// It knows nothing of HTTP, cookies or JWTs: it stores rows and performs the
// guarded writes the refresh-token rotation needs. Every backend must pass
// the conformance suite in store/storetest.
//
// The implementations live in their own packages, so that an application
// compiles only the database driver it uses:
//
//   - store/sqlitestore: Open(path, opts) for one process on an SQLite file
//     (github.com/mattn/go-sqlite3: needs cgo, that is a C compiler);
//   - store/postgresstore: Open(dsn, opts) for one or several processes on
//     Postgres (pgx: pure Go, builds with CGO_ENABLED=0);
//   - store/gormstore: the GORM implementation both use, and New(db, opts)
//     for a *gorm.DB the application opened itself.
//
// They are packages of one module, not separate modules: Go compiles only
// the packages a program imports, so a Postgres-only application never
// compiles (nor needs a C compiler for) the SQLite driver, and ginsession
// itself imports only this package.
//
// Errors: "the row is not there" is ErrNotFound; "someone else changed it
// first" is ErrConflict; anything else is a failure of the database itself and
// must never be read as "no session" by a caller.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound reports that the session (or key) does not exist or has expired.
var ErrNotFound = errors.New("store: not found")

// ErrConflict reports that a guarded write matched no row: the session is
// gone, has expired, or its refresh token is no longer the one the caller
// gave (someone rotated it first). The caller reads the row and decides.
// AddSigningKey returns it when another key already starts the same turn.
var ErrConflict = errors.New("store: conflict: session changed concurrently")

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("store: closed")

// ErrLimit reports that CreateSessionLimited refused a session because the user already has the most allowed.
var ErrLimit = errors.New("store: session limit reached")

// SessionLimit caps a user's sessions when one is created.
type SessionLimit struct {
	Max         int  // the most unexpired sessions a user may have, the new one included; 0: no cap
	EvictOldest bool // at the cap, delete the oldest (by CreatedAt, then Handle) to make room; false: refuse with ErrLimit
}

// Session is one session row.
//
// RefreshHash and PrevRefreshHash hold hashes of refresh tokens, never the
// tokens themselves. Payload and Data are JSON documents owned by the caller.
type Session struct {
	Handle          string    // primary key, chosen by the caller
	UserID          string    // indexed
	RefreshHash     []byte    // hash of the current refresh token
	PrevRefreshHash []byte    // hash of the previous refresh token; nil before the first rotation
	Generation      int64     // starts at 0, +1 on every rotation, never decreases
	RotatedAt       time.Time // time of the last rotation (creation time before the first)
	ExpiresAt       time.Time // refresh expiry; the row is gone for readers after it
	CreatedAt       time.Time
	Payload         []byte // JSON object: the app's access-token claims
	Data            []byte // JSON object: session data kept only in the database

	// Metadata for the user's list of devices. Texts are stored as given (the caller bounds
	// them: user agents up to 512 bytes, IPs up to 64, labels up to 255); "" when unknown.
	// Like handles they must be valid UTF-8 without NUL bytes (the caller replaces
	// anything else, e.g. with strings.ToValidUTF8): a store may refuse other text
	// with an error, and never stores it altered.
	DeviceLabel        string // chosen by the app at creation
	CreatedUserAgent   string // the User-Agent of the request that created the session
	CreatedIP          string // its client IP ("" when the app turned IP recording off)
	RefreshedUserAgent string // at the latest rotation; "" before the first
	RefreshedIP        string
	BrowserSessionOnly bool // created without "remember me": cookies without Expires
}

// Rotation is the change a successful refresh makes, applied by RotateSession
// in one guarded write.
type Rotation struct {
	NewRefreshHash []byte    // becomes RefreshHash; the old RefreshHash becomes PrevRefreshHash
	RotatedAt      time.Time // new RotatedAt
	ExpiresAt      time.Time // new ExpiresAt (sliding expiry)
	UserAgent, IP  string    // become RefreshedUserAgent and RefreshedIP

	// BrowserSessionExpiresAt, when not zero, is the new ExpiresAt of a row
	// whose BrowserSessionOnly is set (ExpiresAt is then the others'): the
	// caller does not know which kind of session a refresh token belongs
	// to before the write, and such a session slides by a shorter idle
	// lifetime. Zero: ExpiresAt for every row.
	BrowserSessionExpiresAt time.Time
}

// SigningKey is one access-token signing key. The store treats PrivateKey and
// PublicKey as opaque bytes (the caller may encrypt PrivateKey).
type SigningKey struct {
	ID         string // the JWT "kid"; primary key
	Algorithm  string // e.g. "ES256"
	PrivateKey []byte
	PublicKey  []byte
	CreatedAt  time.Time
	SignFrom   time.Time // the key may sign tokens from this time on (published before)
	ExpiresAt  time.Time // after this the key is neither used nor published, and may be deleted
	// Follows names the rotation turn this key starts: the caller's name for
	// the key it succeeds (ginsession: the ID of the newest key it could sign
	// with when it decided a new key was due; "" or a tag of its own when it
	// had none). Opaque to the store, which only guards it: see AddSigningKey.
	Follows string
}

// Revocation announces a revoked session to every instance sharing the
// database, until ExpiresAt (when the last access token issued for it has
// expired and nothing is left to refuse).
type Revocation struct {
	Handle    string
	RevokedAt time.Time
	ExpiresAt time.Time
}

// Store is what ginsession needs from a database. All methods are safe for
// concurrent use by several goroutines and by several processes sharing one
// database (Postgres).
type Store interface {
	// CreateSession inserts a new session, metadata included. A duplicate
	// handle is an error.
	CreateSession(ctx context.Context, s *Session) error

	// CreateSessionLimited inserts s as CreateSession does while keeping the user's unexpired
	// sessions (ExpiresAt after now) at most l.Max: with l.EvictOldest it deletes as many of the
	// oldest as needed and returns their handles, oldest first; without, it inserts nothing and
	// returns ErrLimit when the user already has l.Max. It is atomic with every other
	// CreateSessionLimited (and DeleteUserSessions) for the same user on every store sharing the
	// database: of concurrent sign-ins from several instances, no more than l.Max sessions remain.
	// l.Max 0 is CreateSession; a negative l.Max is an error. A duplicate handle is an error
	// that evicts nothing.
	CreateSessionLimited(ctx context.Context, s *Session, now time.Time, l SessionLimit) (evicted []string, err error)

	// GetSession returns the session, metadata included, or ErrNotFound
	// when it does not exist or its ExpiresAt is not after now.
	GetSession(ctx context.Context, handle string, now time.Time) (*Session, error)

	// RotateSession performs one rotation in one guarded write. It applies
	// r to the session whose handle is handle, whose RefreshHash equals
	// current and whose ExpiresAt is after r.RotatedAt: PrevRefreshHash
	// becomes the old RefreshHash, RefreshHash becomes r.NewRefreshHash,
	// Generation goes up by one and RotatedAt and ExpiresAt are taken from
	// r (ExpiresAt from r.BrowserSessionExpiresAt instead when that is set
	// and the row is BrowserSessionOnly); RefreshedUserAgent and RefreshedIP become r.UserAgent and r.IP
	// (DeviceLabel, the Created* fields and BrowserSessionOnly are left as
	// they are). It returns the row as it is after the write, metadata
	// included, except Data, which is not read (nil: a refresh has no use
	// for it). When no row matches all
	// three (gone, expired, or rotated by someone else) it changes nothing
	// and returns ErrConflict: the caller then reads the row (GetSession)
	// and decides (a retry in the grace window, theft, not found). Of
	// several callers racing from the same current hash exactly one wins.
	RotateSession(ctx context.Context, handle string, current []byte, r Rotation) (*Session, error)

	// UpdateSession runs fn on the current row inside one transaction and
	// writes back the Payload and Data fn leaves in it (only those two
	// fields: changes fn makes to the metadata are not written). fn's error aborts the write and is returned as is. ErrNotFound
	// when the row does not exist or has expired.
	UpdateSession(ctx context.Context, handle string, now time.Time, fn func(*Session) error) error

	// DeleteSession removes a session; it reports whether a row was removed.
	DeleteSession(ctx context.Context, handle string) (bool, error)

	// DeleteUserSessions removes all of a user's sessions and returns the
	// handles it removed. It is atomic with CreateSessionLimited for the
	// same user: a racing sign-in is either removed here or inserted after.
	DeleteUserSessions(ctx context.Context, userID string) ([]string, error)

	// ListUserSessions returns a user's unexpired sessions, metadata
	// included, oldest first (by CreatedAt, then Handle).
	ListUserSessions(ctx context.Context, userID string, now time.Time) ([]Session, error)

	// AddSigningKey inserts a key. A duplicate ID is an error. It is guarded
	// by Follows: when a key with the same Follows whose ExpiresAt is after
	// k.CreatedAt is already stored, it inserts nothing and returns
	// ErrConflict, so of several callers (in one or several processes)
	// racing to start the same turn exactly one wins; the others read the
	// keys (SigningKeys) and use the winner's. A key with that Follows that
	// has expired by k.CreatedAt does not block the insert (it is removed).
	// Rows stored without Follows (older versions) guard nothing.
	AddSigningKey(ctx context.Context, k *SigningKey) error

	// SigningKeys returns every key whose ExpiresAt is after now, ordered by
	// SignFrom ascending.
	SigningKeys(ctx context.Context, now time.Time) ([]SigningKey, error)

	// EnsureSecret stores value under name unless a value is already stored,
	// and returns the stored value. Racing callers all get the same value.
	EnsureSecret(ctx context.Context, name string, value []byte) ([]byte, error)

	// AddRevocations records revocations, all or none; a handle already
	// recorded is updated to the new times. Handles must be non-empty valid
	// UTF-8 without NUL bytes.
	AddRevocations(ctx context.Context, revs []Revocation) error

	// RevocationsSince returns the revocations with RevokedAt at or after
	// since whose ExpiresAt is after now, ordered by RevokedAt. ginsession
	// polls it so a revoked session's access tokens stop working on every
	// instance within about a second, without a database read per request.
	RevocationsSince(ctx context.Context, since, now time.Time) ([]Revocation, error)

	// WatchRevocations tells this instance at once when any store on the
	// same database adds revocations, so it need not wait for its next
	// RevocationsSince poll. It calls notify once when it starts listening
	// (and again after every reconnect: the caller then reads the log, which
	// covers anything added before), then after each AddRevocations anywhere,
	// until ctx ends or the store is closed; it returns ctx.Err() or
	// ErrClosed then, reconnecting after failures in between. notify must
	// not block. A store that cannot push (SQLite, a database without
	// notifications) returns errors.ErrUnsupported at once: its readers
	// rely on polling RevocationsSince alone, which is always enough for
	// correctness; pushing only makes it faster.
	WatchRevocations(ctx context.Context, notify func()) error

	// DeleteExpired removes sessions, signing keys and revocations whose
	// ExpiresAt is not after now, and returns how many rows it removed.
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)

	// Close stops background work (the cleanup loop) and releases the
	// database. Calls after Close return ErrClosed.
	Close() error
}
