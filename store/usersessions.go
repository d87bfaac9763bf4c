package store

import (
	"context"
	"time"
)

// SessionLimit caps a user's sessions when one is created.
type SessionLimit struct {
	Max         int  // the most unexpired sessions a user may have, the new one included; 0: no cap
	EvictOldest bool // at the cap, delete the oldest (by CreatedAt, then Handle) to make room; false: refuse with ErrLimit
}

// UserSessions is the per-user side of the sessions: a user's list of
// devices, signing a user out everywhere, and the cap on a user's sessions
// (atomic per user, across every store sharing the database).
type UserSessions interface {
	// CreateSessionLimited inserts s as CreateSession does while keeping the user's unexpired
	// sessions (ExpiresAt after now) at most l.Max: with l.EvictOldest it deletes as many of the
	// oldest as needed and returns their handles, oldest first; without, it inserts nothing and
	// returns ErrLimit when the user already has l.Max. It is atomic with every other
	// CreateSessionLimited (and DeleteUserSessions) for the same user on every store sharing the
	// database: of concurrent sign-ins from several instances, no more than l.Max sessions remain.
	// l.Max 0 is CreateSession; a negative l.Max is an error. A duplicate handle is an error
	// that evicts nothing.
	CreateSessionLimited(ctx context.Context, s *Session, now time.Time, l SessionLimit) (evicted []string, err error)

	// DeleteUserSessions removes all of a user's sessions and returns the
	// handles it removed. It is atomic with CreateSessionLimited for the
	// same user: a racing sign-in is either removed here or inserted after.
	DeleteUserSessions(ctx context.Context, userID string) ([]string, error)

	// ListUserSessions returns a user's unexpired sessions, metadata
	// included, oldest first (by CreatedAt, then Handle).
	ListUserSessions(ctx context.Context, userID string, now time.Time) ([]Session, error)
}
