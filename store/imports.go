package store

import (
	"context"
	"time"
)

// ImportedKey is a key of another session service (a SuperTokens core)
// that ginsession uses, until ExpiresAt, to accept the tokens that service
// issued before the switch: a public key its access tokens are verified
// with, or the key its refresh tokens are decrypted with. It never signs
// anything, and it is kept apart from the Keys ginsession signs with.
type ImportedKey struct {
	ID        string // the kid the issuer's tokens name ("d-1712345678901", "s-<uuid>"); primary key
	Issuer    string // where it came from, e.g. "supertokens-core:public" (the core's app id)
	Algorithm string // what Key is for: "RS256" (a public key), or the issuer's name of a refresh-token format
	Key       []byte // the public key as X.509 SubjectPublicKeyInfo DER, or the refresh-token key
	CreatedAt time.Time
	ExpiresAt time.Time // after this the key is of no use and may be deleted
}

// Importer is an optional capability: taking over the sessions and the
// verification keys of another session service (the SuperTokens core:
// package migrate/supertokens), so that its users stay signed in. Find it
// with ImporterOf. memstore and gormstore (SQLite, Postgres, MariaDB) have
// it.
type Importer interface {
	// ImportSessions stores each session whose handle has never been
	// imported before (the store remembers every handle it imported until
	// the session's ExpiresAt, even after the session is deleted, so that
	// importing again never brings back a session its user has signed out
	// of since), and leaves the others as they are. A handle that is
	// already a session of this store is not overwritten either. It returns
	// how many sessions it stored; the rest were already there. Sessions
	// are checked as CreateSession checks them, and the whole call is one
	// transaction.
	ImportSessions(ctx context.Context, sessions []Session) (int, error)

	// ImportKey stores k unless a key with its ID is already imported, and
	// reports whether it stored it.
	ImportKey(ctx context.Context, k *ImportedKey) (bool, error)

	// ImportedKeys returns every imported key whose ExpiresAt is after now,
	// ordered by ID.
	ImportedKeys(ctx context.Context, now time.Time) ([]ImportedKey, error)
}

// ImporterOf returns s's Importer, or nil when s cannot import.
func ImporterOf(s Store) Importer {
	if i, ok := s.(Importer); ok {
		return i
	}
	return nil
}
