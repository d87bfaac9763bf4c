package protocol

import (
	"errors"

	"github.com/ginsession/ginsession/internal/refreshtoken"
)

// Clear names the frontend tokens an answer expires.
type Clear uint8

const (
	// ClearNothing leaves the frontend's tokens alone: the request may be
	// forged, and a forged request must not sign anybody out.
	ClearNothing Clear = iota
	// ClearFound expires the tokens where the request's tokens came from
	// (its cookies, or the headers of header mode).
	ClearFound
	// ClearCookies expires the session cookies (nothing else came).
	ClearCookies
	// ClearEverywhere expires both the cookies and the header-mode tokens.
	ClearEverywhere
)

// Outcome is the protocol's answer to one refresh request.
type Outcome struct {
	// Rotation is what to issue; nil when Err is set.
	Rotation *Rotation
	// Thefts are the stale tokens found, each of whose sessions is already
	// deleted; the caller announces them (logs, hooks, the revocation log).
	Thefts []Theft
	// ClearLegacy: expire an older SDK's sIdRefreshToken cookie.
	ClearLegacy bool
	// ClearStrays: duplicate cookies came (an older cookie domain, planted
	// ones); expire both session cookies wherever strays may sit, before
	// anything is issued, whatever Err is.
	ClearStrays bool
	// ClearCookiesBeside: a header-mode refresh succeeded while session
	// cookies came too; expire them.
	ClearCookiesBeside bool
	// Err is nil, a *Refusal, a *Theft or a *StorageError.
	Err error
}

// Refusal: the request refreshes no session.
type Refusal struct {
	Clear  Clear
	Reason error
}

func (r *Refusal) Error() string { return r.Reason.Error() }
func (r *Refusal) Unwrap() error { return r.Reason }

func refuse(clear Clear, reason error) error { return &Refusal{Clear: clear, Reason: reason} }

// Theft: a refresh token rotated away before came back. Its session is
// deleted; every token of it is worthless from now on.
type Theft struct {
	Handle, UserID string
	// Generation is the presented token's, CurrentGeneration the row's.
	Generation, CurrentGeneration int64
	Clear                         Clear
}

func (t *Theft) Error() string { return "refresh token theft" }

// StorageError: the store failed. Never read as "no session": nothing is
// cleared and nobody is signed out.
type StorageError struct {
	Op  string
	Err error
}

func (e *StorageError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *StorageError) Unwrap() error { return e.Err }

func storageErr(op string, err error) error { return &StorageError{Op: op, Err: err} }

// ErrAmbiguous: the request's tokens name different sessions, so it is
// nobody's.
var ErrAmbiguous = errors.New("several session tokens naming different sessions")

// ErrTooManyCookies: more authentic refresh cookies came than MaxWider, so
// some were never looked at; the request is nobody's.
var ErrTooManyCookies = errors.New("more refresh cookies than are looked at")

var errSessionNotFound = errors.New("session not found")

// matchesAny reports whether ok accepts the session of one of toks.
func matchesAny(toks []*refreshtoken.Token, ok func(handle string) bool) bool {
	for _, tok := range toks {
		if ok(tok.Handle) {
			return true
		}
	}
	return false
}
