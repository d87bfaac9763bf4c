package protocol

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/ginsession/ginsession/internal/refreshtoken"
	"github.com/ginsession/ginsession/store"
)

// The rotation state machine, for one authenticated refresh token and the
// row of its session:
//
//	current token            -> rotate: one guarded write makes its child current
//	previous, inside grace   -> the same child again, no write (a retry)
//	previous after grace,
//	or older                 -> theft: the session is revoked
//	newer than the row       -> refused (the database was restored)
//	session gone             -> refused

// Verdict is what a presented token is to its session's row.
type Verdict uint8

const (
	// Current: the row's refresh token. Rotating it is the common case.
	Current Verdict = iota
	// Retry: the previous token, inside the grace window after the
	// rotation (a lost response, a second tab). Its child is the row's
	// current token: answered again, nothing written.
	Retry
	// Stale: a token rotated away before — the previous one after the
	// grace window, or any older one. Somebody holds a copy: theft.
	Stale
	// Restored: a token of the lineage newer than the row. Ours, so the
	// database went back in time (restored from a backup); not theft.
	Restored
)

// Classify is the state machine's decision for a token of hash h and
// generation gen against row, at now: a pure function, tested as a table.
func Classify(row *store.Session, h []byte, gen int64, now time.Time, grace time.Duration) Verdict {
	switch {
	case subtle.ConstantTimeCompare(h, row.RefreshHash) == 1:
		return Current
	case row.PrevRefreshHash != nil && subtle.ConstantTimeCompare(h, row.PrevRefreshHash) == 1 && now.Sub(row.RotatedAt) <= grace:
		return Retry
	case gen > row.Generation:
		return Restored
	}
	return Stale
}

// Sessions is the part of the store the protocol reads and writes.
type Sessions interface {
	GetSession(ctx context.Context, handle string, now time.Time) (*store.Session, error)
	RotateSession(ctx context.Context, handle string, current []byte, r store.Rotation) (*store.Session, error)
	DeleteSession(ctx context.Context, handle string) (bool, error)
}

// Lifetimes are the durations the machine applies, already validated.
type Lifetimes struct {
	Refresh     time.Duration // a remembered session's sliding lifetime (RefreshTokenTTL)
	BrowserIdle time.Duration // a browser-session-only session's sliding lifetime
	Grace       time.Duration // how long the previous token still answers (RefreshGracePeriod)
	MaxAge      time.Duration // a session's absolute end after creation; 0: none
}

// Machine runs the protocol for one engine. Its fields are set once and
// never changed; it is safe for concurrent use.
type Machine struct {
	Sessions  Sessions
	Keys      *refreshtoken.Keys
	Lifetimes Lifetimes
	Now       func() time.Time
}

// Rotation is what a successful refresh issues.
type Rotation struct {
	Row     *store.Session      // the session after the rotation (Data not read)
	Child   *refreshtoken.Token // the new refresh token
	Expires time.Time           // the session's stored expiry now
	Retry   bool                // the previous token again inside the grace window: nothing written
}

// Client is what a refresh request says about the device, recorded with
// the rotation.
type Client struct{ UserAgent, IP string }

// maxRotateAttempts bounds the guarded writes of one refresh. A lost write
// means another request rotated the same token first, so the read after it
// finds the token as the previous one and succeeds without writing; a
// second attempt happens only when the read finds the token current again.
const maxRotateAttempts = 4

// stale is what rotate reports for a rotated-out token of a live session;
// the caller decides whether it is theft (rotateAny).
type stale struct {
	row *store.Session
	gen int64 // the presented token's generation
}

func (s *stale) Error() string { return "stale refresh token" }

// lineage is a presented refresh token as the state machine sees it: the
// session it names, the row values it may rotate from (ours: its own hash;
// an adopted token: its own, then its parent's), its generation and the
// child a rotation makes current. The child is a function of the token
// alone: the same on every path, and again on every retry of the token.
type lineage struct {
	handle string
	from   [][]byte
	gen    int64
	child  *refreshtoken.Token
}

// ourLineage is the lineage of one of our tokens.
func (m *Machine) ourLineage(tok *refreshtoken.Token) lineage {
	return lineage{handle: tok.Handle, from: [][]byte{tok.Hash()}, gen: tok.Generation, child: m.Keys.Child(tok)}
}

// classify is Classify over every row value l may rotate from: Current
// or Retry when one of them is, else Restored or Stale.
func (l lineage) classify(row *store.Session, now time.Time, grace time.Duration) Verdict {
	v := Stale
	for _, h := range l.from {
		switch Classify(row, h, l.gen, now, grace) {
		case Current:
			return Current
		case Retry:
			v = Retry
		case Restored:
			if v == Stale {
				v = Restored
			}
		}
	}
	return v
}

// rotate runs the state machine for one authenticated token. Errors: a
// *Refusal, a *stale, or a *StorageError.
func (m *Machine) rotate(ctx context.Context, tok lineage, client Client) (*Rotation, error) {
	child := tok.child
	childHash := child.Hash()
	var end time.Time // the session's absolute end; zero: none
	if m.Lifetimes.MaxAge > 0 {
		// The stored expiry must not slide past the end, or the row would
		// outlive the session and count as live (the per-user cap, database
		// checks, by-handle updates); its creation time is in the row.
		now := m.Now()
		row, err := m.Sessions.GetSession(ctx, tok.handle, now)
		if errors.Is(err, store.ErrNotFound) {
			return nil, refuse(ClearFound, errSessionNotFound)
		}
		if err != nil {
			return nil, storageErr("reading a session", err)
		}
		end = row.CreatedAt.Add(m.Lifetimes.MaxAge)
		if m.Lifetimes.PastMaxAge(row.CreatedAt, now) {
			// Left by an instance without MaxSessionAge (a rolling deploy).
			if _, err := m.Sessions.DeleteSession(ctx, row.Handle); err != nil {
				return nil, storageErr("ending a session past its maximum age", err)
			}
			return nil, refuse(ClearFound, errors.New("session past its maximum age"))
		}
	}
	for attempt := 0; attempt < maxRotateAttempts; attempt++ {
		// The common case in one statement: the token is the current one.
		// Anything else (a retry in the grace window, theft, a row that is
		// gone) is a conflict here and is decided by the read below.
		now := m.Now()
		// Which kind of session the token belongs to is in its row, read
		// by the write itself: the store picks one of the two expiries.
		expires, onlyExpires := now.Add(m.Lifetimes.Refresh), now.Add(m.Lifetimes.BrowserIdle)
		if !end.IsZero() {
			expires, onlyExpires = earliest(expires, end), earliest(onlyExpires, end)
		}
		for _, h := range tok.from {
			row, err := m.Sessions.RotateSession(ctx, tok.handle, h, store.Rotation{
				NewRefreshHash: childHash, RotatedAt: now, ExpiresAt: expires,
				UserAgent: client.UserAgent, IP: client.IP,
				BrowserSessionExpiresAt: onlyExpires,
			})
			switch {
			case err == nil:
				if row.BrowserSessionOnly {
					expires = onlyExpires
				}
				return &Rotation{Row: row, Child: child, Expires: expires}, nil
			case !errors.Is(err, store.ErrConflict):
				return nil, storageErr("rotating a refresh token", err)
			}
		}
		row, err := m.Sessions.GetSession(ctx, tok.handle, now)
		if errors.Is(err, store.ErrNotFound) {
			return nil, refuse(ClearFound, errSessionNotFound)
		}
		if err != nil {
			return nil, storageErr("reading a session", err)
		}
		switch tok.classify(row, now, m.Lifetimes.Grace) {
		case Current:
			continue // current again (the row changed between the write and the read): rotate again
		case Retry:
			// The same child again, provided the row's current token is it.
			if subtle.ConstantTimeCompare(childHash, row.RefreshHash) != 1 {
				return nil, refuse(ClearFound, errors.New("lineage mismatch"))
			}
			return &Rotation{Row: row, Child: child, Expires: row.ExpiresAt, Retry: true}, nil
		case Restored:
			return nil, refuse(ClearFound, errors.New("refresh token newer than the session"))
		default:
			return nil, &stale{row: row, gen: tok.gen}
		}
	}
	return nil, storageErr("rotating a refresh token", errors.New("too much contention"))
}

// staleCheck reports, without rotating anything, whether tok is a
// rotated-out token of a live session (st) or its session is gone; both are
// zero when it is current, a retry inside the grace window, or newer than
// the row.
func (m *Machine) staleCheck(ctx context.Context, tok *refreshtoken.Token) (st *stale, gone bool, err error) {
	now := m.Now()
	row, err := m.Sessions.GetSession(ctx, tok.Handle, now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, storageErr("reading a session", err)
	}
	if Classify(row, tok.Hash(), tok.Generation, now, m.Lifetimes.Grace) != Stale {
		return nil, false, nil
	}
	return &stale{row: row, gen: tok.Generation}, false, nil
}

// theft revokes the session of a stale token and records it in out. The
// caller announces it (logs, hooks, the revocation log).
func (m *Machine) theft(ctx context.Context, st *stale, clear Clear, out *Outcome) error {
	if _, err := m.Sessions.DeleteSession(ctx, st.row.Handle); err != nil {
		return storageErr("revoking a session after theft", err)
	}
	t := &Theft{Handle: st.row.Handle, UserID: st.row.UserID, Generation: st.gen, CurrentGeneration: st.row.Generation, Clear: clear}
	out.Thefts = append(out.Thefts, *t)
	return t
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// End is the earlier of a session's refresh expiry and its absolute end
// (MaxAge after created): no token outlives the session.
func (l Lifetimes) End(created, expires time.Time) time.Time {
	if l.MaxAge > 0 && created.Add(l.MaxAge).Before(expires) {
		return created.Add(l.MaxAge)
	}
	return expires
}

// Stored is the expiry a session's row gets when it is created or
// refreshed at now: the refresh lifetime on, or the browser-idle lifetime
// for a browser-session-only session (nobody can reach it once the browser
// has closed, so it must not live, nor count towards a per-user cap, for
// long), never after the session's absolute end.
func (l Lifetimes) Stored(created, now time.Time, sessionOnly bool) time.Time {
	ttl := l.Refresh
	if sessionOnly {
		ttl = l.BrowserIdle
	}
	return l.End(created, now.Add(ttl))
}

// PastMaxAge reports a session created at created that is past its
// absolute end at now. Its row may outlive that end (a refresh slides the
// stored expiry without reading the creation time first); no token of it
// works any more, the next refresh deletes it, and lists leave it out.
func (l Lifetimes) PastMaxAge(created, now time.Time) bool {
	return l.MaxAge > 0 && !now.Before(created.Add(l.MaxAge))
}
