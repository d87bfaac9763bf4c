package store

import (
	"context"
	"time"
)

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

// SessionRows is the life of one session row, by handle: create it, read
// it, rotate its refresh token, update what the application keeps in it,
// delete it. It is what the engine's request paths (verify, refresh,
// sign-out) need.
type SessionRows interface {
	// CreateSession inserts a new session, metadata included. A duplicate
	// handle is an error.
	CreateSession(ctx context.Context, s *Session) error

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
}
